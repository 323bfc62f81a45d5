package provider

// The federation rule's model: the nested match and target attributes and
// their models, expand/flatten between those and the wire types (which
// internal/policy checks as they are), and the workload environment a rule
// hands to the SDKs. The resource, its workspace enablement and the
// rule data sources share it. Then the rule's fields and the resource's
// model: the mapping from the API object, the create and update bodies, and
// the comparisons ModifyPlan makes.

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

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

// ruleMatchAttribute is the match attribute of the resource; the data
// sources derive theirs from it, and its object type comes from it.
func ruleMatchAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Which tokens the rule accepts; every matcher that is set must pass. Set at least one of `subject_prefix`, `claims` or " +
			"`condition` (`audience` alone identifies no workload). Changed in place: the API replaces the whole match.",
		Required: true,
		Attributes: map[string]schema.Attribute{
			"audience": schema.StringAttribute{
				MarkdownDescription: "Audience the token must carry (one of its `aud` values), compared exactly. When unset, tokens must carry " +
					"`aud = \"https://api.anthropic.com\"`. Recommended for Google-issued tokens, which any Google account can mint for any audience.",
				Optional: true,
			},
			"claims": schema.MapAttribute{
				MarkdownDescription: "Top-level claims the token must carry, each compared exactly as a string (no wildcards). For Google tokens pin " +
					"`sub` (the service account's 21-digit numeric uniqueId, not its email) and `email`.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Map{mapvalidator.SizeAtLeast(1)},
			},
			"subject_prefix": schema.StringAttribute{
				MarkdownDescription: "The token's `sub`, exactly, or a prefix of it when it ends in `*` (e.g. `repo:my-org/my-repo:*`). Case-sensitive; " +
					"`*` alone is refused. Not usable with Google-issued tokens, whose `sub` is a numeric uniqueId with no stable prefix " +
					"(see `allow_google_subject_prefix`).",
				Optional: true,
			},
			"condition": schema.StringAttribute{
				MarkdownDescription: "[CEL](https://cel.dev) expression over the variable `claims` (the token's full claim map, nested maps included) that " +
					"must be true, e.g. `claims.email_verified == true && claims.email.endsWith(\"@example.com\")`. It is compiled at plan time: it must " +
					"return a bool and depend on the claims (a constant `true` or a tautology such as `has(claims.sub) || !has(claims.sub)` is refused). " +
					"On a shared issuer a condition pins your tenant only if no other tenant's token can make it true: compare a tenant claim with " +
					"exact values (`claims.repository_owner_id == \"1342004\"`, `claims.repository in [\"acme/a\", \"acme/b\"]`) and join other tests " +
					"with `&&`; `contains`, `matches`, `!=` or an `||` branch without a pin let other tenants through, and the plan says which part does.",
				Optional: true,
			},
		},
	}
}

// ruleTargetAttribute is the target attribute of the resource; the data
// sources derive theirs from it.
func ruleTargetAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "The service account whose access tokens the rule mints. Changed in place.",
		Required:            true,
		Attributes: map[string]schema.Attribute{
			"service_account_id": schema.StringAttribute{
				MarkdownDescription: "Service account ID (`svac_...`).",
				Required:            true,
				Validators:          []validator.String{idValidator(policy.PrefixServiceAccount, "service account")},
			},
			"service_account_name": schema.StringAttribute{
				MarkdownDescription: "Name of the target service account.",
				Computed:            true,
			},
		},
	}
}

// expandRuleMatch converts the match to the wire shape, which the policy
// checks take as is. known is false while any part is still unknown: the
// guards then wait for apply.
func expandRuleMatch(m ruleMatchModel) (w client.RuleMatch, known bool) {
	known = true
	str := func(v types.String) *string {
		if v.IsUnknown() {
			known = false
			return nil
		}
		return v.ValueStringPointer()
	}
	w.Audience = str(m.Audience)
	w.SubjectPrefix = str(m.SubjectPrefix)
	w.Condition = str(m.Condition)
	switch {
	case m.Claims.IsUnknown():
		known = false
	case !m.Claims.IsNull():
		w.Claims = make(map[string]string, len(m.Claims.Elements()))
		for k, v := range m.Claims.Elements() {
			s, ok := v.(types.String)
			if !ok || s.IsUnknown() {
				known = false
				continue
			}
			w.Claims[k] = s.ValueString()
		}
	}
	return w, known
}

// flattenRuleMatch renders the API's match; empty values are null, as the
// schema forbids them in configuration.
func flattenRuleMatch(w client.RuleMatch) ruleMatchModel {
	claims := types.MapNull(types.StringType)
	if len(w.Claims) > 0 {
		elems := make(map[string]attr.Value, len(w.Claims))
		for k, v := range w.Claims {
			elems[k] = types.StringValue(v)
		}
		claims = types.MapValueMust(types.StringType, elems)
	}
	return ruleMatchModel{
		Audience:      optionalStringPtr(w.Audience),
		Claims:        claims,
		SubjectPrefix: optionalStringPtr(w.SubjectPrefix),
		Condition:     optionalStringPtr(w.Condition),
	}
}

// expandRuleTarget is the target as the API takes it (the name is read-only).
func expandRuleTarget(m ruleTargetModel) client.RuleTarget {
	return client.RuleTarget{Type: policy.TargetServiceAccount, ServiceAccountID: m.ServiceAccountID.ValueString()}
}

func flattenRuleTarget(w client.RuleTarget) ruleTargetModel {
	return ruleTargetModel{ServiceAccountID: types.StringValue(w.ServiceAccountID), ServiceAccountName: types.StringValue(w.ServiceAccountName)}
}

func ruleMatchObject(ctx context.Context, m ruleMatchModel) types.Object {
	return objectOf(ctx, nestedTypes(ruleMatchAttribute()), m)
}

func ruleTargetObject(ctx context.Context, m ruleTargetModel) types.Object {
	return objectOf(ctx, nestedTypes(ruleTargetAttribute()), m)
}

// ruleNested is a plan's match and target, decoded from their objects and
// the match expanded to the wire shape once per operation; the guards, the
// write and the computed values all use this one copy.
type ruleNested struct {
	match      ruleMatchModel
	matchSet   bool             // the match object is neither null nor unknown
	wire       client.RuleMatch // the expanded match, complete when matchKnown
	matchKnown bool             // matchSet and nothing in it is unknown
	target     ruleTargetModel
	targetSet  bool
}

// nestedMatch holds a decoded match and its expansion.
func nestedMatch(match ruleMatchModel) ruleNested {
	n := ruleNested{match: match, matchSet: true}
	n.wire, n.matchKnown = expandRuleMatch(match)
	return n
}

func (m *federationRuleFields) decodeNested(ctx context.Context, diags *diag.Diagnostics) ruleNested {
	var n ruleNested
	if match, ok := objectAs[ruleMatchModel](ctx, m.Match, diags); ok {
		n = nestedMatch(match)
	}
	n.target, n.targetSet = objectAs[ruleTargetModel](ctx, m.Target, diags)
	return n
}

// decodeTarget decodes the target alone (a state's, to compare with a plan).
func (m *federationRuleFields) decodeTarget(ctx context.Context, diags *diag.Diagnostics) ruleTargetModel {
	t, _ := objectAs[ruleTargetModel](ctx, m.Target, diags)
	return t
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

// federationRuleFields are the attributes a rule has on the API; the
// resource and the data sources share them.
type federationRuleFields struct {
	ID                     types.String   `tfsdk:"id"`
	Name                   types.String   `tfsdk:"name"`
	Description            types.String   `tfsdk:"description"`
	IssuerID               types.String   `tfsdk:"issuer_id"`
	IssuerName             types.String   `tfsdk:"issuer_name"`
	Match                  types.Object   `tfsdk:"match"`
	Target                 types.Object   `tfsdk:"target"`
	OAuthScope             types.String   `tfsdk:"oauth_scope"`
	WorkspaceIDs           stringSetValue `tfsdk:"workspace_ids"`
	AppliesToAllWorkspaces types.Bool     `tfsdk:"applies_to_all_workspaces"`
	TokenLifetimeSeconds   types.Int64    `tfsdk:"token_lifetime_seconds"`
	SDKEnvironment         types.Map      `tfsdk:"sdk_environment"`
	CreatedAt              types.String   `tfsdk:"created_at"`
	CreatedByActorID       types.String   `tfsdk:"created_by_actor_id"`
	UpdatedAt              types.String   `tfsdk:"updated_at"`
	UpdatedByActorID       types.String   `tfsdk:"updated_by_actor_id"`
}

type federationRuleModel struct {
	federationRuleFields
	AllowGoogleSubjectPrefix types.Bool `tfsdk:"allow_google_subject_prefix"`
}

// fromAPI maps the API's rule onto the model; every field the API returns
// is refreshed, so edits made elsewhere show as drift.
func (m *federationRuleFields) fromAPI(ctx context.Context, rule *client.FederationRule, organizationID string) {
	m.ID = types.StringValue(rule.ID)
	m.Name = types.StringValue(rule.Name)
	m.Description = optionalStringPtr(rule.Description)
	m.IssuerID = types.StringValue(rule.IssuerID)
	m.IssuerName = types.StringValue(rule.IssuerName)
	m.Match = ruleMatchObject(ctx, flattenRuleMatch(rule.Match))
	m.Target = ruleTargetObject(ctx, flattenRuleTarget(rule.Target))
	m.OAuthScope = types.StringValue(rule.OAuthScope)
	m.AppliesToAllWorkspaces = types.BoolValue(rule.AppliesToAllWorkspaces)
	m.WorkspaceIDs = workspaceSet(rule.WorkspaceIDs)
	m.TokenLifetimeSeconds = types.Int64Value(rule.TokenLifetimeSeconds)
	m.CreatedAt = timeString(rule.CreatedAt)
	m.CreatedByActorID = types.StringValue(rule.CreatedByActorID)
	m.UpdatedAt = timeString(rule.UpdatedAt)
	m.UpdatedByActorID = types.StringValue(rule.UpdatedByActorID)
	m.SDKEnvironment = sdkEnvironmentValue(m.ID, types.StringValue(rule.Target.ServiceAccountID), organizationID, m.WorkspaceIDs.SetValue, m.AppliesToAllWorkspaces)
}

// toCreate builds the create body. The rule is created enabled in the first
// workspace (sorted, so plans are reproducible); the others are enabled
// afterwards through the workspaces sub-resource.
func (m *federationRuleModel) toCreate(n ruleNested) (client.FederationRuleCreateParams, []string) {
	p := client.FederationRuleCreateParams{
		Name:                 m.Name.ValueString(),
		Description:          m.Description.ValueStringPointer(),
		IssuerID:             m.IssuerID.ValueString(),
		Match:                n.wire,
		Target:               expandRuleTarget(n.target),
		OAuthScope:           m.OAuthScope.ValueString(),
		TokenLifetimeSeconds: m.TokenLifetimeSeconds.ValueInt64Pointer(),
	}
	ws, _ := setStrings(m.WorkspaceIDs.SetValue)
	if m.AppliesToAllWorkspaces.ValueBool() {
		// All the explicit enablements go through the sub-resource: the API
		// takes workspace_id or applies_to_all_workspaces on create, not both.
		all := true
		p.AppliesToAllWorkspaces = &all
		return p, ws
	}
	if len(ws) > 0 {
		p.WorkspaceID = &ws[0]
	}
	return p, ws
}

// toUpdate builds a partial update with only what changed; match and target
// are sent whole (the API replaces them whole). The workspace mode switches
// here; individual enablements are synced afterwards.
func (m *federationRuleModel) toUpdate(state *federationRuleModel, n ruleNested, stateTarget ruleTargetModel) client.FederationRuleUpdateParams {
	var p client.FederationRuleUpdateParams
	if !m.Name.Equal(state.Name) {
		p.Name = client.Set(m.Name.ValueString())
	}
	if !m.Description.Equal(state.Description) {
		if m.Description.IsNull() {
			p.Description = client.Null[string]()
		} else {
			p.Description = client.Set(m.Description.ValueString())
		}
	}
	if !m.Match.Equal(state.Match) {
		p.Match = client.Set(n.wire)
	}
	if !n.target.ServiceAccountID.Equal(stateTarget.ServiceAccountID) {
		p.Target = client.Set(expandRuleTarget(n.target))
	}
	if !m.OAuthScope.Equal(state.OAuthScope) {
		p.OAuthScope = client.Set(m.OAuthScope.ValueString())
	}
	if !m.TokenLifetimeSeconds.Equal(state.TokenLifetimeSeconds) {
		p.TokenLifetimeSeconds = client.Set(m.TokenLifetimeSeconds.ValueInt64())
	}
	// Switching the workspace mode: narrowing is sent after the explicit
	// enablements are in place (see Update), so no workspace_id is needed.
	if wantAll := m.AppliesToAllWorkspaces.ValueBool(); wantAll != state.AppliesToAllWorkspaces.ValueBool() {
		p.AppliesToAllWorkspaces = client.Set(wantAll)
	}
	return p
}

func updateIsEmpty(p client.FederationRuleUpdateParams) bool {
	return p.Name.IsZero() && p.Description.IsZero() && p.Match.IsZero() && p.Target.IsZero() && p.OAuthScope.IsZero() &&
		p.WorkspaceID.IsZero() && p.AppliesToAllWorkspaces.IsZero() && p.TokenLifetimeSeconds.IsZero()
}

// targetID is the target service account of a model after a fallback put
// the written (or prior) values into it.
func targetID(ctx context.Context, m *federationRuleFields) string {
	var d diag.Diagnostics
	return m.decodeTarget(ctx, &d).ServiceAccountID.ValueString()
}

// sameAs reports whether every attribute of m equals o's.
func (m *federationRuleModel) sameAs(o *federationRuleModel) bool {
	a, b := reflect.ValueOf(m).Elem(), reflect.ValueOf(o).Elem()
	return sameAttrValues(a, b)
}

// sameAttrValues compares two structs of attr.Values field by field; an
// embedded struct is compared the same way.
func sameAttrValues(a, b reflect.Value) bool {
	for i := range a.NumField() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Kind() == reflect.Struct && a.Type().Field(i).Anonymous {
			if !sameAttrValues(fa, fb) {
				return false
			}
			continue
		}
		va, okA := fa.Interface().(attr.Value)
		vb, okB := fb.Interface().(attr.Value)
		if !okA || !okB || !va.Equal(vb) {
			return false
		}
	}
	return true
}

// sameConfiguredRule reports whether every attribute the configuration
// sets is planned as it is in state.
func sameConfiguredRule(plan, state *federationRuleModel, planTarget, stateTarget ruleTargetModel) bool {
	return plan.Name.Equal(state.Name) && plan.Description.Equal(state.Description) && plan.IssuerID.Equal(state.IssuerID) &&
		plan.Match.Equal(state.Match) && !planTarget.ServiceAccountID.IsNull() && planTarget.ServiceAccountID.Equal(stateTarget.ServiceAccountID) &&
		plan.OAuthScope.Equal(state.OAuthScope) &&
		plan.WorkspaceIDs.Equal(state.WorkspaceIDs) && plan.AppliesToAllWorkspaces.Equal(state.AppliesToAllWorkspaces) &&
		plan.TokenLifetimeSeconds.Equal(state.TokenLifetimeSeconds) && plan.AllowGoogleSubjectPrefix.Equal(state.AllowGoogleSubjectPrefix)
}

// federationRulesModel is anthropic_federation_rules.
type federationRulesModel struct {
	IssuerID types.String           `tfsdk:"issuer_id"`
	Rules    []federationRuleFields `tfsdk:"rules"`
}

// federationRuleListConfig is the configuration of the rule's list resource.
type federationRuleListConfig struct {
	IssuerID types.String `tfsdk:"issuer_id"`
}

// ruleDefinedAs reports whether found is the rule p asks for in every field
// the create sends: a rule of the same name that differs in any of them
// (another configuration's, or someone's in the Console) is not adopted,
// because adopting it would put its looser or different match, scope or
// lifetime under this configuration.
func ruleDefinedAs(found *client.FederationRule, p client.FederationRuleCreateParams) bool {
	if found.IssuerID != p.IssuerID || found.Target.ServiceAccountID != p.Target.ServiceAccountID ||
		!sameStringPtr(found.Description, p.Description) || !sameMatch(found.Match, p.Match) ||
		!sameScopes(found.OAuthScope, p.OAuthScope) {
		return false
	}
	if p.TokenLifetimeSeconds != nil && found.TokenLifetimeSeconds != *p.TokenLifetimeSeconds {
		return false
	}
	if found.AppliesToAllWorkspaces != (p.AppliesToAllWorkspaces != nil && *p.AppliesToAllWorkspaces) {
		return false
	}
	if p.WorkspaceID != nil {
		// The create enables one workspace; a fresh rule has exactly it.
		if len(found.WorkspaceIDs) != 1 || (found.WorkspaceIDs[0] != *p.WorkspaceID && *p.WorkspaceID != "default") {
			return false
		}
	}
	return true
}

func sameMatch(a, b client.RuleMatch) bool {
	return sameStringPtr(a.SubjectPrefix, b.SubjectPrefix) && sameStringPtr(a.Audience, b.Audience) &&
		sameStringPtr(a.Condition, b.Condition) && maps.Equal(a.Claims, b.Claims)
}

// sameScopes compares space-separated scope sets, whatever their order.
func sameScopes(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
