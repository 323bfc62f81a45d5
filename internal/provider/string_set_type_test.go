package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

func tfStringSet(elems ...tftypes.Value) tftypes.Value {
	return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, elems)
}

func tfStrings(ss ...string) []tftypes.Value {
	out := make([]tftypes.Value, len(ss))
	for i, s := range ss {
		out[i] = tftypes.NewValue(tftypes.String, s)
	}
	return out
}

func manyWorkspaceIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("wrkspc_01%024d", i)
	}
	return out
}

// The framework's own duplicate check is quadratic; workspace_ids (in the
// resource and both data sources) must use the linear one.
func TestWorkspaceIDsUseLinearSetType(t *testing.T) {
	ctx := context.Background()
	var rr resource.SchemaResponse
	newFederationRuleResource().Schema(ctx, resource.SchemaRequest{}, &rr)
	if _, ok := rr.Schema.Attributes["workspace_ids"].GetType().(stringSetType); !ok {
		t.Errorf("resource workspace_ids type = %T, want stringSetType", rr.Schema.Attributes["workspace_ids"].GetType())
	}
	var dr datasource.SchemaResponse
	newFederationRuleDataSource().Schema(ctx, datasource.SchemaRequest{}, &dr)
	if _, ok := dr.Schema.Attributes["workspace_ids"].GetType().(stringSetType); !ok {
		t.Errorf("data source workspace_ids type = %T, want stringSetType", dr.Schema.Attributes["workspace_ids"].GetType())
	}
}

func TestStringSetTypeValidate(t *testing.T) {
	ctx := context.Background()
	typ := newStringSetType()
	at := path.Root("workspace_ids")
	cases := []struct {
		name string
		in   tftypes.Value
		want string // summary of the one expected error; "" for none
	}{
		{"distinct", tfStringSet(tfStrings("a", "b", "c")...), ""},
		{"empty", tfStringSet(), ""},
		{"null", tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, nil), ""},
		{"unknown", tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, tftypes.UnknownValue), ""},
		{"unknown elements are not duplicates", tfStringSet(tftypes.NewValue(tftypes.String, tftypes.UnknownValue), tftypes.NewValue(tftypes.String, tftypes.UnknownValue)), ""},
		{"duplicate", tfStringSet(tfStrings("a", "b", "a")...), "Duplicate Set Element"},
		{"duplicate null", tfStringSet(tftypes.NewValue(tftypes.String, nil), tftypes.NewValue(tftypes.String, nil)), "Duplicate Set Element"},
		{"not a set of strings", tftypes.NewValue(tftypes.Set{ElementType: tftypes.Number}, []tftypes.Value{}), "Set Type Validation Error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := typ.Validate(ctx, tc.in, at)
			if tc.want == "" {
				if d.HasError() {
					t.Fatalf("unexpected diagnostics: %v", d)
				}
				return
			}
			if d.ErrorsCount() != 1 || d.Errors()[0].Summary() != tc.want {
				t.Fatalf("diagnostics = %v, want one %q", d, tc.want)
			}
			if wp, ok := d.Errors()[0].(interface{ Path() path.Path }); !ok || !wp.Path().Equal(at) {
				t.Errorf("the error is not on %s", at)
			}
		})
	}
	// Agrees with the framework's own check on a duplicate.
	in := tfStringSet(tfStrings("x", "y", "x")...)
	if got, want := typ.Validate(ctx, in, at), (basetypes.SetType{ElemType: types.StringType}).Validate(ctx, in, at); got.ErrorsCount() != want.ErrorsCount() ||
		!strings.Contains(got.Errors()[0].Detail(), `"x"`) {
		t.Errorf("diagnostics %v, framework says %v", got, want)
	}
}

func TestStringSetTypeRoundTrip(t *testing.T) {
	ctx := context.Background()
	typ := newStringSetType()
	v, err := typ.ValueFromTerraform(ctx, tfStringSet(tfStrings("b", "a")...))
	if err != nil {
		t.Fatal(err)
	}
	sv, ok := v.(stringSetValue)
	if !ok {
		t.Fatalf("value is %T", v)
	}
	if !sv.Type(ctx).Equal(typ) || !typ.Equal(sv.Type(ctx)) || typ.Equal(basetypes.SetType{ElemType: types.StringType}) {
		t.Error("type identity")
	}
	if got, _ := setStrings(sv.SetValue); strings.Join(got, ",") != "a,b" {
		t.Errorf("elements = %v", got)
	}
	tf, err := sv.ToTerraformValue(ctx)
	if err != nil || !tf.Equal(tfStringSet(tfStrings("a", "b")...)) {
		t.Errorf("ToTerraformValue = %v, %v", tf, err)
	}
}

func TestStringSetValueEqual(t *testing.T) {
	ab, ba := workspaceSet([]string{"a", "b"}), workspaceSet([]string{"b", "a"})
	null := workspaceSet(nil)
	unknown := stringSetValue{SetValue: types.SetUnknown(types.StringType)}
	cases := []struct {
		name string
		x, y stringSetValue
		want bool
	}{
		{"order does not matter", ab, ba, true},
		{"subset", ab, workspaceSet([]string{"a"}), false},
		{"same size, other member", ab, workspaceSet([]string{"a", "c"}), false},
		{"null", null, workspaceSet(nil), true},
		{"null and empty-less set", null, ab, false},
		{"unknown", unknown, stringSetValue{SetValue: types.SetUnknown(types.StringType)}, true},
		{"unknown and known", unknown, ab, false},
	}
	for _, tc := range cases {
		if got := tc.x.Equal(tc.y); got != tc.want {
			t.Errorf("%s: Equal = %v, want %v", tc.name, got, tc.want)
		}
		if got := tc.y.Equal(tc.x); got != tc.want {
			t.Errorf("%s (reversed): Equal = %v, want %v", tc.name, got, tc.want)
		}
	}
	if ab.Equal(ab.SetValue) {
		t.Error("a plain SetValue is another type")
	}
}

func TestWorkspaceDiffLarge(t *testing.T) {
	current := manyWorkspaceIDs(10000)
	desired := append(append([]string{}, current[1:]...), "wrkspc_new", "wrkspc_new")
	add, remove := workspaceDiff(current, desired)
	if len(add) != 1 || add[0] != "wrkspc_new" || len(remove) != 1 || remove[0] != current[0] {
		t.Errorf("add %v, remove %v", add, remove)
	}
}

// Benchmarks (go test -run '^$' -bench StringSet ./internal/provider/):
// at 10,000 workspace_ids the framework's check takes seconds per call,
// and Terraform makes several per plan; the linear one milliseconds.

func benchmarkSetValidate(b *testing.B, validate func(context.Context, tftypes.Value, path.Path) interface{ HasError() bool }, n int) {
	in := tfStringSet(tfStrings(manyWorkspaceIDs(n)...)...)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if validate(ctx, in, path.Root("workspace_ids")).HasError() {
			b.Fatal("unexpected error")
		}
	}
}

func BenchmarkStringSetTypeValidate10000(b *testing.B) {
	typ := newStringSetType()
	benchmarkSetValidate(b, func(ctx context.Context, v tftypes.Value, p path.Path) interface{ HasError() bool } {
		return typ.Validate(ctx, v, p)
	}, 10000)
}

// The framework's check, for comparison, at a tenth of the size.
func BenchmarkFrameworkSetTypeValidate1000(b *testing.B) {
	typ := basetypes.SetType{ElemType: types.StringType}
	benchmarkSetValidate(b, func(ctx context.Context, v tftypes.Value, p path.Path) interface{ HasError() bool } {
		return typ.Validate(ctx, v, p)
	}, 1000)
}

func BenchmarkStringSetValueEqual10000(b *testing.B) {
	ids := manyWorkspaceIDs(10000)
	x := workspaceSet(ids)
	y := workspaceSet(append([]string{}, ids...))
	b.ResetTimer()
	for range b.N {
		if !x.Equal(y) {
			b.Fatal("not equal")
		}
	}
}

func BenchmarkWorkspaceDiff10000(b *testing.B) {
	current := manyWorkspaceIDs(10000)
	desired := append(append([]string{}, current[5000:]...), manyWorkspaceIDs(15000)[10000:]...)
	b.ResetTimer()
	for range b.N {
		workspaceDiff(current, desired)
	}
}

// ModifyPlan's "nothing changed" test compares every attribute, the
// embedded ones too, without tftypes' quadratic set comparison.
func TestFederationRuleModelSameAs(t *testing.T) {
	base := func() *federationRuleModel {
		var m federationRuleModel
		m.fromAPI(context.Background(), &client.FederationRule{ID: "fdrl_1", Name: "a", WorkspaceIDs: manyWorkspaceIDs(3)}, "org")
		m.AllowGoogleSubjectPrefix = types.BoolValue(false)
		return &m
	}
	if a, b := base(), base(); !a.sameAs(b) {
		t.Fatal("identical models differ")
	}
	for name, edit := range map[string]func(*federationRuleModel){
		"name":          func(m *federationRuleModel) { m.Name = types.StringValue("b") },
		"one workspace": func(m *federationRuleModel) { m.WorkspaceIDs = workspaceSet(manyWorkspaceIDs(4)[1:]) },
		"unknown workspace": func(m *federationRuleModel) {
			m.WorkspaceIDs = stringSetValue{SetValue: types.SetUnknown(types.StringType)}
		},
		"opt-out": func(m *federationRuleModel) { m.AllowGoogleSubjectPrefix = types.BoolValue(true) },
	} {
		a, b := base(), base()
		edit(b)
		if a.sameAs(b) || b.sameAs(a) {
			t.Errorf("%s: a change went unnoticed", name)
		}
	}
}

func TestWorkspaceDiff(t *testing.T) {
	add, remove := workspaceDiff([]string{"wrkspc_b", "default"}, []string{"wrkspc_c", "default", "wrkspc_a"})
	if !slices.Equal(add, []string{"wrkspc_a", "wrkspc_c"}) || !slices.Equal(remove, []string{"wrkspc_b"}) {
		t.Errorf("add %v remove %v", add, remove)
	}
	if add, remove := workspaceDiff(nil, nil); add != nil || remove != nil {
		t.Errorf("empty: %v %v", add, remove)
	}
	if !sameMembers([]string{"a", "b"}, []string{"b", "a"}) || sameMembers([]string{"a"}, []string{"a", "b"}) || !sameMembers(nil, []string{}) {
		t.Error("sameMembers")
	}
}

func TestSetStrings(t *testing.T) {
	got, known := setStrings(stringSet([]string{"b", "a"}))
	if !known || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("setStrings = %v %v", got, known)
	}
	if _, known := setStrings(types.SetUnknown(types.StringType)); known {
		t.Error("unknown set reported known")
	}
	if !stringSet(nil).IsNull() {
		t.Error("no workspaces must be null, like an unset attribute")
	}
}
