package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// sameScopesKeepState plans no change when oauth_scope names the same scopes
// as the state in another order: the scopes are a set, their order in the
// space-separated string means nothing to the API. Terraform accepts a
// planned value equal to the prior state for a configured attribute as
// "functionally equivalent" to the configuration.
type sameScopesKeepState struct{}

func (sameScopesKeepState) Description(context.Context) string {
	return "A reordering of the same scopes plans no change."
}

func (m sameScopesKeepState) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (sameScopesKeepState) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.StateValue.IsUnknown() || req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	cfg, prior := req.ConfigValue.ValueString(), req.StateValue.ValueString()
	if cfg != prior && policy.ValidateOAuthScope(cfg) == nil && policy.SameOAuthScope(cfg, prior) {
		resp.PlanValue = req.StateValue
	}
}
