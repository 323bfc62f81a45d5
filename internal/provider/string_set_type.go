package provider

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// stringSetType is a set of strings whose values are plain types.Set. It
// exists for its Validate: the framework's SetType.Validate looks for
// duplicates by comparing every pair of elements with tftypes.Value.Equal,
// and runs on every read and write of the attribute (config, plan, state),
// so a rule with 10,000 workspace_ids took over a minute to plan
// (hashicorp/terraform-plugin-framework#1322). Strings can be hashed, so
// the same check is linear here.
type stringSetType struct {
	basetypes.SetType
}

var (
	_ basetypes.SetTypable = stringSetType{}
	// xattr.TypeWithValidate is deprecated, but it is what the framework
	// calls, and what its SetType implements.
	_ xattr.TypeWithValidate = stringSetType{} //nolint:staticcheck
)

func newStringSetType() stringSetType {
	return stringSetType{SetType: basetypes.SetType{ElemType: types.StringType}}
}

func (t stringSetType) Equal(o attr.Type) bool {
	other, ok := o.(stringSetType)
	return ok && t.SetType.Equal(other.SetType)
}

func (t stringSetType) String() string { return "stringSetType[" + t.ElementType().String() + "]" }

// Validate reports duplicate elements, as the framework's check does, in
// one pass.
func (t stringSetType) Validate(_ context.Context, in tftypes.Value, at path.Path) diag.Diagnostics {
	var diags diag.Diagnostics
	if in.Type() == nil || !in.IsKnown() || in.IsNull() {
		return diags
	}
	if !in.Type().Equal(tftypes.Set{ElementType: tftypes.String}) {
		diags.AddAttributeError(at, "Set Type Validation Error",
			fmt.Sprintf("An unexpected error was encountered trying to validate an attribute value. This is always an error in the provider. "+
				"Please report the following to the provider developer:\n\nexpected a set of strings, received %s", in.Type()))
		return diags
	}
	var elems []tftypes.Value
	if err := in.As(&elems); err != nil {
		diags.AddAttributeError(at, "Set Type Validation Error",
			"An unexpected error was encountered trying to validate an attribute value. This is always an error in the provider. "+
				"Please report the following to the provider developer:\n\n"+err.Error())
		return diags
	}
	seen := make(map[string]struct{}, len(elems))
	nulls := 0
	for _, e := range elems {
		if !e.IsKnown() {
			continue
		}
		if e.IsNull() {
			if nulls++; nulls > 1 {
				diags.AddAttributeError(at, "Duplicate Set Element", fmt.Sprintf("This attribute contains duplicate values of: %s", e))
			}
			continue
		}
		var s string
		if err := e.As(&s); err != nil {
			diags.AddAttributeError(at, "Set Type Validation Error", "An unexpected error was encountered trying to validate an attribute value: "+err.Error())
			continue
		}
		if _, dup := seen[s]; dup {
			diags.AddAttributeError(at, "Duplicate Set Element", fmt.Sprintf("This attribute contains duplicate values of: %s", e))
			continue
		}
		seen[s] = struct{}{}
	}
	return diags
}

func (t stringSetType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.SetType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	set, ok := v.(basetypes.SetValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return stringSetValue{SetValue: set}, nil
}

func (t stringSetType) ValueFromSet(_ context.Context, in basetypes.SetValue) (basetypes.SetValuable, diag.Diagnostics) {
	return stringSetValue{SetValue: in}, nil
}

func (t stringSetType) ValueType(context.Context) attr.Value { return stringSetValue{} }

// stringSetValue is the value of a stringSetType attribute: a set of
// strings, compared in linear time.
type stringSetValue struct {
	basetypes.SetValue
}

var _ basetypes.SetValuable = stringSetValue{}

func (v stringSetValue) Type(context.Context) attr.Type { return newStringSetType() }

// Equal compares as sets, by hashing; the framework's SetValue.Equal looks
// up every element by a linear scan of the other set.
func (v stringSetValue) Equal(o attr.Value) bool {
	other, ok := o.(stringSetValue)
	if !ok {
		return false
	}
	if v.IsNull() || v.IsUnknown() || other.IsNull() || other.IsUnknown() {
		return v.SetValue.Equal(other.SetValue)
	}
	a, b := v.Elements(), other.Elements()
	if len(a) != len(b) {
		return false
	}
	members := make(map[string]struct{}, len(a))
	for _, e := range a {
		s, ok := e.(basetypes.StringValue)
		if !ok || s.IsNull() || s.IsUnknown() {
			return v.SetValue.Equal(other.SetValue)
		}
		members[s.ValueString()] = struct{}{}
	}
	for _, e := range b {
		s, ok := e.(basetypes.StringValue)
		if !ok || s.IsNull() || s.IsUnknown() {
			return v.SetValue.Equal(other.SetValue)
		}
		if _, found := members[s.ValueString()]; !found {
			return false
		}
	}
	return true
}

// workspaceSet is the workspace_ids value for ids; null when there are none.
func workspaceSet(ids []string) stringSetValue { return stringSetValue{SetValue: stringSet(ids)} }

// setStrings returns a string set's members, sorted; known is false when
// the set or a member is unknown.
func setStrings(s types.Set) (out []string, known bool) {
	if s.IsUnknown() {
		return nil, false
	}
	for _, e := range s.Elements() {
		v, ok := e.(types.String)
		if !ok || v.IsUnknown() {
			return nil, false
		}
		out = append(out, v.ValueString())
	}
	slices.Sort(out)
	return out, true
}

func stringSet(ids []string) types.Set {
	if len(ids) == 0 {
		return types.SetNull(types.StringType)
	}
	elems := make([]attr.Value, len(ids))
	for i, id := range ids {
		elems[i] = types.StringValue(id)
	}
	return types.SetValueMust(types.StringType, elems)
}

// workspaceDiff says which enablements to add and remove to go from
// current to desired, each sorted. Linear in the number of workspaces: a
// rule may be enabled in thousands.
func workspaceDiff(current, desired []string) (add, remove []string) {
	have := make(map[string]struct{}, len(current))
	for _, w := range current {
		have[w] = struct{}{}
	}
	want := make(map[string]struct{}, len(desired))
	for _, w := range desired {
		want[w] = struct{}{}
		if _, ok := have[w]; !ok {
			add = append(add, w)
		}
	}
	for _, w := range current {
		if _, ok := want[w]; !ok {
			remove = append(remove, w)
		}
	}
	slices.Sort(add)
	add = slices.Compact(add)
	slices.Sort(remove)
	remove = slices.Compact(remove)
	return add, remove
}

// sameMembers compares two workspace lists as sets.
func sameMembers(a, b []string) bool {
	add, remove := workspaceDiff(a, b)
	return len(add) == 0 && len(remove) == 0
}
