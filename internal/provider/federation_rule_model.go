package provider

// The federation rule's model: the nested match and target values, their
// mapping to the API and to internal/policy, and the workload environment a
// rule hands to the SDKs. The resource, its workspace enablement and the
// rule data sources share it.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

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
