package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

func TestFindingPath(t *testing.T) {
	cases := []struct {
		in   []string
		want path.Path
	}{
		{nil, path.Empty()},
		{[]string{"match"}, path.Root("match")},
		{[]string{"match", "subject_prefix"}, path.Root("match").AtName("subject_prefix")},
		{[]string{"match", "claims"}, path.Root("match").AtName("claims")},
		{[]string{"match", "claims", "sub"}, path.Root("match").AtName("claims").AtMapKey("sub")},
		{[]string{"match", "claims", "https://example.com/tenant"}, path.Root("match").AtName("claims").AtMapKey("https://example.com/tenant")},
		{[]string{"target", "service_account_id"}, path.Root("target").AtName("service_account_id")},
		{[]string{"oauth_scope"}, path.Root("oauth_scope")},
	}
	for _, tc := range cases {
		if got := findingPath(tc.in); !got.Equal(tc.want) {
			t.Errorf("findingPath(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Every path the policy package reports must name an attribute of the
// resource, or the diagnostic would point nowhere.
func TestFindingPathsExistInSchema(t *testing.T) {
	ctx := context.Background()
	var sresp resource.SchemaResponse
	newFederationRuleResource().Schema(ctx, resource.SchemaRequest{}, &sresp)
	s := func(v string) *string { return &v }
	matches := []policy.Match{
		{},
		{Audience: s("x")},
		{Audience: s(""), SubjectPrefix: s("")},
		{SubjectPrefix: s("*")},
		{SubjectPrefix: s("a*b*")},
		{SubjectPrefix: s(" a ")},
		{Claims: map[string]string{"": "x", "email": "", "a.b": "x*"}},
		{Condition: s("claims.x ==")},
		{Condition: s("false")},
		{Claims: map[string]string{"sub": "robot@example.com"}},
		{Claims: map[string]string{"sub": "123", "email": "112233445566778899001"}},
		{SubjectPrefix: s("1122*"), Condition: s("claims.email_verified == true")},
		{Claims: map[string]string{"ref": "main"}},
		{Condition: s(`claims.ref == "main"`)},
		{Condition: s(`claims.sub`)},
	}
	var findings []policy.Finding
	for _, m := range matches {
		findings = append(findings, policy.ValidateMatch(m)...)
		for _, w := range policy.WellKnownIssuers() {
			findings = append(findings, policy.CheckTenantPin(w.URL, m, policy.TenantOptions{})...)
		}
	}
	if len(findings) < 15 {
		t.Fatalf("expected many findings, got %d", len(findings))
	}
	for _, f := range findings {
		p := findingPath(f.Path)
		if last, _ := p.Steps().LastStep(); isMapKey(last) {
			// A claim: the map attribute holding it must exist.
			p = p.ParentPath()
			if a, d := sresp.Schema.AttributeAtPath(ctx, p); d.HasError() || !strings.HasPrefix(a.GetType().String(), "types.MapType") {
				t.Errorf("finding %q: %s is not a map attribute of the rule: %v", f.Error(), p, d)
			}
			continue
		}
		if _, d := sresp.Schema.AttributeAtPath(ctx, p); d.HasError() {
			t.Errorf("finding %q: path %s is not an attribute of the rule: %v", f.Error(), p, d)
		}
	}
}

func isMapKey(s path.PathStep) bool {
	_, ok := s.(path.PathStepElementKeyString)
	return ok
}

func TestAddFindings(t *testing.T) {
	findings := []policy.Finding{
		{Severity: policy.SeverityError, Path: []string{"match", "claims", "sub"}, Summary: "bad sub", Detail: "fix it"},
		{Severity: policy.SeverityWarning, Path: []string{"match", "audience"}, Summary: "set audience", Detail: "why"},
	}
	var withWarn, withoutWarn diag.Diagnostics
	addFindings(&withWarn, findings, true)
	addFindings(&withoutWarn, findings, false)
	if withWarn.ErrorsCount() != 1 || withWarn.WarningsCount() != 1 {
		t.Fatalf("with warnings: %v", withWarn)
	}
	if withoutWarn.ErrorsCount() != 1 || withoutWarn.WarningsCount() != 0 {
		t.Fatalf("without warnings: %v", withoutWarn)
	}
	e := withWarn.Errors()[0]
	if e.Summary() != "Federation rule match.claims.sub: bad sub" || e.Detail() != "fix it" {
		t.Errorf("error = %q / %q", e.Summary(), e.Detail())
	}
	wp, ok := e.(diag.DiagnosticWithPath)
	if !ok || !wp.Path().Equal(path.Root("match").AtName("claims").AtMapKey("sub")) {
		t.Errorf("error path = %v", e)
	}
}

func matchModel(audience, prefix, condition types.String, claims types.Map) ruleMatchModel {
	return ruleMatchModel{Audience: audience, SubjectPrefix: prefix, Condition: condition, Claims: claims}
}

func TestExpandRuleMatch(t *testing.T) {
	null := types.StringNull()
	claims := types.MapValueMust(types.StringType, map[string]attr.Value{"sub": types.StringValue("1"), "email": types.StringValue("a@b")})
	pm, known := expandRuleMatch(matchModel(types.StringValue("aud"), null, null, claims))
	if !known || *pm.Audience != "aud" || pm.SubjectPrefix != nil || pm.Condition != nil || pm.Claims["email"] != "a@b" || len(pm.Claims) != 2 {
		t.Errorf("expandRuleMatch = %+v, %v", pm, known)
	}
	unknownCases := map[string]ruleMatchModel{
		"audience":    matchModel(types.StringUnknown(), null, null, claims),
		"prefix":      matchModel(null, types.StringUnknown(), null, claims),
		"condition":   matchModel(null, null, types.StringUnknown(), claims),
		"claims":      matchModel(null, null, null, types.MapUnknown(types.StringType)),
		"claim value": matchModel(null, null, null, types.MapValueMust(types.StringType, map[string]attr.Value{"sub": types.StringUnknown()})),
	}
	for name, m := range unknownCases {
		if _, known := expandRuleMatch(m); known {
			t.Errorf("%s unknown: expandRuleMatch reported known", name)
		}
	}
	if pm, known := expandRuleMatch(matchModel(null, null, null, types.MapNull(types.StringType))); !known || pm.Claims != nil {
		t.Errorf("all null: %+v %v", pm, known)
	}
}

func TestMatchWireRoundTrip(t *testing.T) {
	s := func(v string) *string { return &v }
	ctx := context.Background()
	for _, in := range []client.RuleMatch{
		{},
		{Audience: s("aud"), Claims: map[string]string{"sub": "1", "email": "a@b"}},
		{SubjectPrefix: s("repo:o/r:*"), Condition: s("claims.x == 'y'")},
	} {
		var d diag.Diagnostics
		m, ok := objectAs[ruleMatchModel](ctx, ruleMatchObject(ctx, flattenRuleMatch(in)), &d)
		if !ok || d.HasError() {
			t.Fatalf("objectAs: %v", d)
		}
		out, _ := expandRuleMatch(m)
		if !ptrEq(in.Audience, out.Audience) || !ptrEq(in.SubjectPrefix, out.SubjectPrefix) || !ptrEq(in.Condition, out.Condition) ||
			len(in.Claims) != len(out.Claims) {
			t.Errorf("round trip %+v -> %+v", in, out)
		}
		for k, v := range in.Claims {
			if out.Claims[k] != v {
				t.Errorf("claim %s: %q -> %q", k, v, out.Claims[k])
			}
		}
	}
	// The API's empty values are "not set": the schema refuses them, so
	// mapping them to null keeps refreshes free of phantom diffs.
	obj := ruleMatchObject(ctx, flattenRuleMatch(client.RuleMatch{Audience: s(""), Claims: map[string]string{}}))
	if !obj.Attributes()["audience"].IsNull() || !obj.Attributes()["claims"].IsNull() {
		t.Errorf("empty values not mapped to null: %v", obj)
	}
}

func ptrEq(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func TestValidateWorkspaceChoice(t *testing.T) {
	set := stringSet([]string{"wrkspc_01ABCDEFGHIJKLMNOPQRSTUVWX"})
	noSet := types.SetNull(types.StringType)
	cases := []struct {
		name    string
		ws      types.Set
		all     types.Bool
		errPath string
	}{
		{"list", set, types.BoolValue(false), ""},
		{"list with null all", set, types.BoolNull(), ""},
		{"all", noSet, types.BoolValue(true), ""},
		// Both: the API keeps explicit enablements while the rule applies to all.
		{"both", set, types.BoolValue(true), ""},
		{"neither", noSet, types.BoolValue(false), "workspace_ids"},
		{"neither, null", noSet, types.BoolNull(), "workspace_ids"},
		{"unknown list", types.SetUnknown(types.StringType), types.BoolValue(true), ""},
		{"unknown all", noSet, types.BoolUnknown(), ""},
	}
	for _, tc := range cases {
		var d diag.Diagnostics
		validateWorkspaceChoice(tc.ws, tc.all, &d)
		if tc.errPath == "" {
			if d.HasError() {
				t.Errorf("%s: unexpected %v", tc.name, d)
			}
			continue
		}
		if d.ErrorsCount() != 1 {
			t.Errorf("%s: want one error, got %v", tc.name, d)
			continue
		}
		if wp, ok := d.Errors()[0].(diag.DiagnosticWithPath); !ok || !wp.Path().Equal(path.Root(tc.errPath)) {
			t.Errorf("%s: error not at %s: %v", tc.name, tc.errPath, d)
		}
	}
}

func TestValidateMatchConfigCompilesKnownCondition(t *testing.T) {
	// The claims are unknown (from another resource), so the match as a
	// whole cannot be checked yet; the condition still is.
	m := matchModel(types.StringNull(), types.StringNull(), types.StringValue("claims.x =="), types.MapUnknown(types.StringType))
	var d diag.Diagnostics
	validateMatchConfig(nestedMatch(m), &d, true)
	if d.ErrorsCount() != 1 || !strings.Contains(d.Errors()[0].Summary(), "match.condition") {
		t.Fatalf("diagnostics = %v", d)
	}
	m.Condition = types.StringValue("claims.x == 'y'")
	d = nil
	validateMatchConfig(nestedMatch(m), &d, true)
	if d.HasError() {
		t.Fatalf("valid condition refused: %v", d)
	}
}

func TestSDKEnvironment(t *testing.T) {
	const org = "123e4567-e89b-12d3-a456-426614174000"
	one := sdkEnvironment("fdrl_1", org, "svac_1", []string{"wrkspc_1"}, false)
	if one[envWorkspaceID] != "wrkspc_1" || one[envFederationRuleID] != "fdrl_1" || one[envServiceAccountID] != "svac_1" || one[envOrganizationID] != org || len(one) != 4 {
		t.Errorf("one workspace: %v", one)
	}
	if two := sdkEnvironment("fdrl_1", org, "svac_1", []string{"a", "b"}, false); len(two) != 3 || two[envWorkspaceID] != "" {
		t.Errorf("two workspaces must leave the choice to the workload: %v", two)
	}
	if all := sdkEnvironment("fdrl_1", org, "svac_1", nil, true); len(all) != 3 {
		t.Errorf("all workspaces: %v", all)
	}
	if noOrg := sdkEnvironment("fdrl_1", "", "svac_1", []string{"wrkspc_01ABCDEFGHIJKLMNOPQRSTUVWX"}, false); len(noOrg) != 3 {
		t.Errorf("without an organization id the variable is left out: %v", noOrg)
	}
	if v := sdkEnvironmentValue(types.StringUnknown(), types.StringValue("svac_1"), org, stringSet([]string{"wrkspc_01ABCDEFGHIJKLMNOPQRSTUVWX"}), types.BoolValue(false)); !v.IsUnknown() {
		t.Errorf("unknown id must give an unknown map, got %v", v)
	}
	v := sdkEnvironmentValue(types.StringValue("fdrl_1"), types.StringValue("svac_1"), org, stringSet([]string{"wrkspc_01ABCDEFGHIJKLMNOPQRSTUVWX"}), types.BoolValue(false))
	if v.IsUnknown() || len(v.Elements()) != 4 {
		t.Errorf("known inputs: %v", v)
	}
}

func TestUpdateIsEmpty(t *testing.T) {
	if !updateIsEmpty(client.FederationRuleUpdateParams{}) {
		t.Error("zero params not empty")
	}
	if updateIsEmpty(client.FederationRuleUpdateParams{Description: client.Null[string]()}) {
		t.Error("an explicit null is a change")
	}
}

// Every attribute of the rule types is documented, and the schemas are
// valid for the framework.
func TestRuleSchemasDocumented(t *testing.T) {
	ctx := context.Background()
	var rs []resource.SchemaResponse
	for _, r := range []resource.Resource{newFederationRuleResource(), newFederationRuleWorkspaceResource()} {
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		if d := resp.Schema.ValidateImplementation(ctx); d.HasError() {
			t.Fatalf("schema: %v", d)
		}
		rs = append(rs, resp)
	}
	for _, r := range rs {
		for name, a := range r.Schema.Attributes {
			if a.GetMarkdownDescription() == "" {
				t.Errorf("resource attribute %s lacks a description", name)
			}
		}
	}
	for _, d := range []datasource.DataSource{newFederationRuleDataSource(), newFederationRulesDataSource()} {
		var resp datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &resp)
		if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
			t.Fatalf("data source schema: %v", diags)
		}
		for name, a := range resp.Schema.Attributes {
			if a.GetMarkdownDescription() == "" {
				t.Errorf("data source attribute %s lacks a description", name)
			}
		}
	}
}

// At plan time the remote guards never fail: what they find is a warning
// on the attribute to fix (apply turns it into an error before any write),
// and checks whose inputs are unknown are announced.
func TestPlanRuleGuardsWarn(t *testing.T) {
	env := newTestEnv(t)
	google := env.issuer(t, "google", policy.GoogleIssuer)
	sa := env.serviceAccount(t, "developer-robot")
	badMatch := ruleMatchModel{
		Audience:      types.StringValue(testAudience),
		Claims:        types.MapValueMust(types.StringType, map[string]attr.Value{"sub": types.StringValue(testGoogleEmail), "email": types.StringValue(testGoogleEmail)}),
		SubjectPrefix: types.StringNull(),
		Condition:     types.StringNull(),
	}
	badWire, _ := expandRuleMatch(badMatch)
	in := func(mod func(*ruleGuardInput)) ruleGuardInput {
		g := ruleGuardInput{
			issuerID: types.StringValue(google.ID), match: badWire, matchKnown: true,
			scope: types.StringValue("workspace:developer"), target: types.StringValue(sa.ID), checkTarget: true,
		}
		if mod != nil {
			mod(&g)
		}
		return g
	}
	cases := []struct {
		name          string
		input         ruleGuardInput
		path, summary string
	}{
		{"tenant pin", in(nil), "match.claims[\"sub\"]", "Will fail at apply: Federation rule match.claims.sub"},
		{"unknown issuer", in(func(g *ruleGuardInput) { g.issuerID = types.StringValue("fdis_01ABCDEFGHIJKLMNOPQRSTUVWX") }), "issuer_id", "Will fail at apply: Federation issuer not found"},
		{"org:admin on a developer", in(func(g *ruleGuardInput) {
			g.match.Claims = map[string]string{"sub": testGoogleSub, "email": testGoogleEmail}
			g.scope = types.StringValue("org:admin")
		}),
			"oauth_scope", "Will fail at apply: oauth_scope org:admin needs an admin service account"},
		{"issuer created in this run", in(func(g *ruleGuardInput) { g.issuerID = types.StringUnknown() }), "issuer_id", "Federation rule checked at apply: the issuer is created in this run"},
		{"match known only at apply", in(func(g *ruleGuardInput) { g.matchKnown = false }), "match", "Federation rule match checked at apply"},
		{"org:admin target created in this run", in(func(g *ruleGuardInput) {
			g.issuerID, g.target, g.scope = types.StringNull(), types.StringUnknown(), types.StringValue("org:admin")
		}), "target.service_account_id", "Federation rule checked at apply: the target service account is created in this run"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d diag.Diagnostics
			planRuleGuards(bg, &providerData{client: env.client}, tc.input, &d)
			if d.HasError() {
				t.Fatalf("plan-time guard failed: %v", d)
			}
			var found bool
			for _, w := range d.Warnings() {
				wp, ok := w.(diag.DiagnosticWithPath)
				if ok && wp.Path().String() == tc.path && strings.HasPrefix(w.Summary(), tc.summary) {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning %q at %s in %v", tc.summary, tc.path, d)
			}
		})
	}
	// The same input fails at apply.
	var d diag.Diagnostics
	remoteRuleGuards(bg, &providerData{client: env.client}, in(nil), &d, true)
	if !d.HasError() {
		t.Error("the apply-time guard let the rule through")
	}
	// A rule that passes every check: no diagnostics at all.
	d = nil
	planRuleGuards(bg, &providerData{client: env.client}, in(func(g *ruleGuardInput) {
		g.match.Claims = map[string]string{"sub": testGoogleSub, "email": testGoogleEmail}
	}), &d)
	if len(d) != 0 {
		t.Errorf("diagnostics for a good rule: %v", d)
	}
}
