package provider

// The federation rule's model: the nested match and target attributes and
// their models, expand/flatten between those and the wire types (which
// internal/policy checks as they are), and the workload environment a rule
// hands to the SDKs. The resource, its workspace enablement and the
// rule data sources share it.

import (
	"context"

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
