package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// This file holds what the federation rule resource, its workspace
// enablement and the rule data sources share: the nested match/target
// values, the plan-time guards (the same internal/policy checks the service
// runs) and the workload environment a rule hands to the SDKs.

// Environment variables the Anthropic SDKs read for a federated workload.
const (
	envFederationRuleID = "ANTHROPIC_FEDERATION_RULE_ID"
	envServiceAccountID = "ANTHROPIC_SERVICE_ACCOUNT_ID"
	envWorkspaceID      = "ANTHROPIC_WORKSPACE_ID"
)

// ruleMatchModel is the nested match attribute.
type ruleMatchModel struct {
	Audience      types.String `tfsdk:"audience"`
	Claims        types.Map    `tfsdk:"claims"`
	SubjectPrefix types.String `tfsdk:"subject_prefix"`
	Condition     types.String `tfsdk:"condition"`
}

// ruleTargetModel is the nested target attribute.
type ruleTargetModel struct {
	ServiceAccountID   types.String `tfsdk:"service_account_id"`
	ServiceAccountName types.String `tfsdk:"service_account_name"`
}

var ruleMatchAttrTypes = map[string]attr.Type{
	"audience":       types.StringType,
	"claims":         types.MapType{ElemType: types.StringType},
	"subject_prefix": types.StringType,
	"condition":      types.StringType,
}

var ruleTargetAttrTypes = map[string]attr.Type{
	"service_account_id":   types.StringType,
	"service_account_name": types.StringType,
}

// mapAttributePaths are the attributes, below the rule, whose children are
// map keys rather than nested attribute names.
var mapAttributePaths = map[string]bool{"match.claims": true}

// findingPath turns a policy finding's path, such as
// ["match","claims","sub"], into the framework path of that attribute, so
// the diagnostic points at the offending line of the configuration.
func findingPath(p []string) path.Path {
	if len(p) == 0 {
		return path.Empty()
	}
	out := path.Root(p[0])
	for i := 1; i < len(p); i++ {
		if mapAttributePaths[strings.Join(p[:i], ".")] {
			out = out.AtMapKey(p[i])
		} else {
			out = out.AtName(p[i])
		}
	}
	return out
}

// addFindings reports policy findings at their attributes. Summaries repeat
// the path in the service's field-first style, so the message names the
// attribute even where Terraform cannot show the source line.
func addFindings(diags *diag.Diagnostics, findings []policy.Finding, withWarnings bool) {
	for _, f := range findings {
		summary := "Federation rule " + f.Error()
		switch f.Severity {
		case policy.SeverityError:
			diags.AddAttributeError(findingPath(f.Path), summary, f.Detail)
		case policy.SeverityWarning:
			if withWarnings {
				diags.AddAttributeWarning(findingPath(f.Path), summary, f.Detail)
			}
		}
	}
}

// matchFromObject reads the nested match value; ok is false when the object
// itself is null or unknown.
func matchFromObject(ctx context.Context, obj types.Object, diags *diag.Diagnostics) (ruleMatchModel, bool) {
	var m ruleMatchModel
	if obj.IsNull() || obj.IsUnknown() {
		return m, false
	}
	diags.Append(obj.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	return m, !diags.HasError()
}

func targetFromObject(ctx context.Context, obj types.Object, diags *diag.Diagnostics) (ruleTargetModel, bool) {
	var t ruleTargetModel
	if obj.IsNull() || obj.IsUnknown() {
		return t, false
	}
	diags.Append(obj.As(ctx, &t, basetypes.ObjectAsOptions{})...)
	return t, !diags.HasError()
}

// toPolicy converts the match to the policy (and wire) shape. known is false
// while any part is still unknown: the guards then wait for apply.
func (m ruleMatchModel) toPolicy() (pm policy.Match, known bool) {
	known = true
	str := func(v types.String) *string {
		if v.IsUnknown() {
			known = false
			return nil
		}
		return v.ValueStringPointer()
	}
	pm.Audience = str(m.Audience)
	pm.SubjectPrefix = str(m.SubjectPrefix)
	pm.Condition = str(m.Condition)
	switch {
	case m.Claims.IsUnknown():
		known = false
	case !m.Claims.IsNull():
		pm.Claims = make(map[string]string, len(m.Claims.Elements()))
		for k, v := range m.Claims.Elements() {
			s, ok := v.(types.String)
			if !ok || s.IsUnknown() {
				known = false
				continue
			}
			pm.Claims[k] = s.ValueString()
		}
	}
	return pm, known
}

// toWire is the match as the API takes it.
func (m ruleMatchModel) toWire() client.RuleMatch {
	pm, _ := m.toPolicy()
	return client.RuleMatch{SubjectPrefix: pm.SubjectPrefix, Audience: pm.Audience, Claims: pm.Claims, Condition: pm.Condition}
}

// matchObjectFromAPI renders the API's match; empty values are null, as the
// schema forbids them in configuration.
func matchObjectFromAPI(m client.RuleMatch) types.Object {
	claims := types.MapNull(types.StringType)
	if len(m.Claims) > 0 {
		elems := make(map[string]attr.Value, len(m.Claims))
		for k, v := range m.Claims {
			elems[k] = types.StringValue(v)
		}
		claims = types.MapValueMust(types.StringType, elems)
	}
	return types.ObjectValueMust(ruleMatchAttrTypes, map[string]attr.Value{
		"audience":       optionalStringPtr(m.Audience),
		"claims":         claims,
		"subject_prefix": optionalStringPtr(m.SubjectPrefix),
		"condition":      optionalStringPtr(m.Condition),
	})
}

func targetObject(serviceAccountID, serviceAccountName types.String) types.Object {
	return types.ObjectValueMust(ruleTargetAttrTypes, map[string]attr.Value{
		"service_account_id":   serviceAccountID,
		"service_account_name": serviceAccountName,
	})
}

func optionalStringPtr(p *string) types.String {
	if p == nil {
		return types.StringNull()
	}
	return optionalString(*p)
}

// validateMatchConfig runs the issuer-independent match checks. Everything
// it needs is in the configuration, so it makes no API request. A condition
// is compiled on its own when the rest of the match is not known yet, so a
// CEL mistake shows at the earliest plan.
func validateMatchConfig(m ruleMatchModel, diags *diag.Diagnostics, withWarnings bool) {
	pm, known := m.toPolicy()
	if known {
		addFindings(diags, policy.ValidateMatch(pm), withWarnings)
		return
	}
	if !m.Condition.IsNull() && !m.Condition.IsUnknown() {
		if _, err := policy.CompileCondition(m.Condition.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("match").AtName("condition"), "Federation rule match.condition: "+err.Error(),
				"condition is a CEL expression over the variable claims that must evaluate to a bool and depend on the token, e.g. claims.email == \"robot@example.com\".")
		}
	}
}

// validateWorkspaceChoice enforces that the rule is enabled somewhere:
// workspace_ids, applies_to_all_workspaces = true, or both (the API keeps
// explicit enablements while the rule applies to all workspaces and ignores
// them at exchange until it is narrowed again).
func validateWorkspaceChoice(ws types.Set, all types.Bool, diags *diag.Diagnostics) {
	if ws.IsUnknown() || all.IsUnknown() {
		return
	}
	allTrue := all.ValueBool()
	switch {
	case ws.IsNull() && !allTrue:
		diags.AddAttributeError(path.Root("workspace_ids"), "Missing workspaces",
			"workspace_ids: a federation rule must be enabled somewhere. Set workspace_ids to one or more workspace IDs "+
				"(wrkspc_...; data.anthropic_workspace finds them, the default workspace included), or set applies_to_all_workspaces = true.")
	}
}

// ruleGuardInput is what the issuer- and target-dependent guards look at.
type ruleGuardInput struct {
	issuerID    types.String
	match       ruleMatchModel
	matchKnown  bool
	scope       types.String
	target      types.String // service account id
	checkTarget bool         // the target or the scope is new: read the service account
	allowGoogle bool
}

// ruleGuardResult carries what the guards learned.
type ruleGuardResult struct {
	serviceAccountName string // set when the target was read
}

// remoteRuleGuards runs the checks that need the issuer or the target
// service account, reading each (GET only, through the provider instance's
// read cache, so many rules on one issuer read it once) when its ID is known. The
// service applies the same tenant-pinning and organization-role rules and
// answers 400; checking first turns that into a plan-time error on the
// attribute to fix, with no write attempted.
func remoteRuleGuards(ctx context.Context, pd *providerData, in ruleGuardInput, diags *diag.Diagnostics, withWarnings bool) ruleGuardResult {
	var res ruleGuardResult
	if !in.issuerID.IsUnknown() && !in.issuerID.IsNull() {
		issuerID := in.issuerID.ValueString()
		is, err := pd.federationIssuer(ctx, issuerID)
		switch {
		case client.IsNotFound(err):
			diags.AddAttributeError(path.Root("issuer_id"), "Federation issuer not found",
				fmt.Sprintf("issuer_id: no federation issuer %s exists in this organization. Check the ID, or create the issuer first.", issuerID))
		case err != nil:
			addAPIError(diags, "Unable to read federation issuer "+issuerID+" to check the rule", err)
		case is.IsArchived():
			diags.AddAttributeError(path.Root("issuer_id"), "Federation issuer is archived",
				fmt.Sprintf("issuer_id: federation issuer %s (%s) is archived, so rules cannot use it. Point the rule at a live issuer.", issuerID, is.Name))
		case in.matchKnown:
			pm, _ := in.match.toPolicy()
			addFindings(diags, policy.CheckTenantPin(is.IssuerURL, pm, policy.TenantOptions{AllowGoogleSubjectPrefix: in.allowGoogle}), withWarnings)
		}
	}
	if in.checkTarget && !in.target.IsUnknown() && !in.target.IsNull() {
		saID := in.target.ValueString()
		targetPath := path.Root("target").AtName("service_account_id")
		sa, err := pd.serviceAccount(ctx, saID)
		switch {
		case client.IsNotFound(err):
			diags.AddAttributeError(targetPath, "Target service account not found",
				fmt.Sprintf("target.service_account_id: no service account %s exists in this organization.", saID))
		case err != nil:
			addAPIError(diags, "Unable to read service account "+saID+" to check the rule's target", err)
		case sa.IsArchived():
			diags.AddAttributeError(targetPath, "Target service account is archived",
				fmt.Sprintf("target.service_account_id: service account %s (%s) is archived; a rule must target a live service account.", saID, sa.Name))
		default:
			res.serviceAccountName = sa.Name
			if policy.HasOAuthScope(in.scope.ValueString(), policy.ScopeOrgAdmin) && sa.OrganizationRole != "admin" {
				diags.AddAttributeError(path.Root("oauth_scope"), "oauth_scope org:admin needs an admin service account",
					fmt.Sprintf("oauth_scope: an org:admin rule must target a service account with organization_role = \"admin\", but %s (%s) is %q. "+
						"Target an admin service account (creating or promoting one needs an interactive credential: a user's OAuth token, not a token minted by a federation exchange), "+
						"or use a workspace scope such as workspace:developer.",
						saID, sa.Name, sa.OrganizationRole))
			}
		}
	}
	return res
}

// planGuardNote explains why a finding of the remote guards is a warning
// at plan time.
const planGuardNote = "This check depends on the issuer or the target service account, which live outside this resource and may change " +
	"outside this configuration, so the plan reports it as a warning: as an error it would also stop `terraform destroy` and refreshes, " +
	"which plan the configuration again. Apply repeats the check and refuses the rule before anything is written."

// planRuleGuards runs the remote guards for a plan. What they find is
// reported as warnings, on the attribute to fix: a plan-time error would
// trap the configuration, because Terraform plans it again before a destroy
// (the pre-destroy refresh) and a provider cannot tell that plan from any
// other. The same checks run as errors in Create and Update, before any
// write. Checks whose inputs are not known yet are announced, so a rule
// that will be checked only at apply does not look verified.
func planRuleGuards(ctx context.Context, pd *providerData, in ruleGuardInput, diags *diag.Diagnostics) ruleGuardResult {
	var found diag.Diagnostics
	res := remoteRuleGuards(ctx, pd, in, &found, true)
	for _, d := range found {
		if d.Severity() != diag.SeverityError {
			diags.Append(d)
			continue
		}
		summary, detail := "Will fail at apply: "+d.Summary(), d.Detail()+"\n\n"+planGuardNote
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			diags.AddAttributeWarning(wp.Path(), summary, detail)
		} else {
			diags.AddWarning(summary, detail)
		}
	}
	switch {
	case in.issuerID.IsUnknown():
		diags.AddAttributeWarning(path.Root("issuer_id"), "Federation rule checked at apply: the issuer is created in this run",
			"issuer_id is known only after apply (the issuer is created or replaced in this run), so the checks that need the issuer "+
				"(that it exists and is live, and the tenant pinning required on shared issuers such as "+policy.GoogleIssuer+") run at apply, "+
				"before the rule is written. To see them at plan time, apply the issuer first (terraform apply -target=<the issuer>).")
	case !in.issuerID.IsNull() && !in.matchKnown:
		diags.AddAttributeWarning(path.Root("match"), "Federation rule match checked at apply: it is known only after apply",
			"Part of match comes from values known only after apply, so the tenant-pinning checks of the issuer run at apply, before the rule is written.")
	}
	if in.checkTarget && in.target.IsUnknown() && (in.scope.IsUnknown() || policy.HasOAuthScope(in.scope.ValueString(), policy.ScopeOrgAdmin)) {
		diags.AddAttributeWarning(path.Root("target").AtName("service_account_id"),
			"Federation rule checked at apply: the target service account is created in this run",
			"target.service_account_id is known only after apply, so the check that an org:admin rule targets an admin service account runs at apply, "+
				"before the rule is written.")
	}
	return res
}

// privilegedScope reports oauth_scope values only a Console session may
// grant or change (any scope beyond workspace:developer and
// workspace:inference); the provider's OAuth credential gets 403 for them.
func privilegedScope(scope string) bool { return !policy.IsOAuthCallerScope(scope) }

// privilegedScopeDetail explains a 403 on a rule with a privileged scope.
func privilegedScopeDetail(scope string, err error) string {
	return fmt.Sprintf("oauth_scope: rules with oauth_scope %q can only be created, changed or archived from an Anthropic Console session. "+
		"An OAuth access token, which is what this provider authenticates with, may only manage rules whose scopes are %s. "+
		"Create or change this rule in the Console and, if you want Terraform to track it, import it (terraform import with its fdrl_ ID) "+
		"and leave it unchanged; or use a workspace scope.\n\n%s",
		scope, strings.Join(policy.OAuthCallerScopes(), " and/or "), apiErrorDetail(err))
}

// sdkEnvironment is the environment a workload needs to exchange its
// identity token through the rule with an Anthropic SDK.
// ANTHROPIC_WORKSPACE_ID is only set when the rule is enabled in exactly one
// workspace: with more, the workload must choose, and the exchange requires
// the choice.
func sdkEnvironment(ruleID, organizationID, serviceAccountID string, workspaceIDs []string, allWorkspaces bool) map[string]string {
	env := map[string]string{
		envFederationRuleID: ruleID,
		envServiceAccountID: serviceAccountID,
	}
	if organizationID != "" {
		env[envOrganizationID] = organizationID
	}
	if !allWorkspaces && len(workspaceIDs) == 1 {
		env[envWorkspaceID] = workspaceIDs[0]
	}
	return env
}

// sdkEnvironmentValue builds the map value, unknown while an input is.
func sdkEnvironmentValue(id, saID types.String, organizationID string, ws types.Set, all types.Bool) types.Map {
	if id.IsUnknown() || saID.IsUnknown() || ws.IsUnknown() || all.IsUnknown() {
		return types.MapUnknown(types.StringType)
	}
	ids, known := setStrings(ws)
	if !known {
		return types.MapUnknown(types.StringType)
	}
	env := sdkEnvironment(id.ValueString(), organizationID, saID.ValueString(), ids, all.ValueBool())
	elems := make(map[string]attr.Value, len(env))
	for k, v := range env {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

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
