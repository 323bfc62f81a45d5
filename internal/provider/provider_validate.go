package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ provider.ProviderWithValidateConfig = (*anthropicProvider)(nil)

// ValidateConfig refuses the provider-block mistakes that the configured
// values alone show, so `terraform validate` reports them with their
// attribute path, before any plan and any request. Configure repeats the
// checks for values that come from the environment or were unknown here.
func (p *anthropicProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if known(cfg.BaseURL) {
		if err := checkBaseURL(cfg.BaseURL.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Unsafe or invalid base_url", err.Error())
		}
	}
	if !cfg.AuthToken.IsNull() && !cfg.Federation.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root(federationAttributeKey), "Conflicting Anthropic credentials",
			"auth_token and federation are both set in the provider block. They are two ways to authenticate, and the provider will not pick one silently: "+
				"keep federation for keyless authentication through an org:admin federation rule, or auth_token for a static OAuth access token.")
	} else if known(cfg.AuthToken) {
		if d, ok := credentialProblem(cfg.AuthToken.ValueString()); !ok {
			resp.Diagnostics.AddAttributeError(path.Root("auth_token"), d.summary, d.detail)
		}
	}
	if known(cfg.OrganizationID) && !cfg.Federation.IsNull() && !cfg.Federation.IsUnknown() {
		fedOrg, ok := cfg.Federation.Attributes()["organization_id"].(types.String)
		if ok && known(fedOrg) && !strings.EqualFold(fedOrg.ValueString(), cfg.OrganizationID.ValueString()) {
			resp.Diagnostics.AddAttributeError(path.Root(federationAttributeKey).AtName("organization_id"), "Conflicting organization IDs",
				fmt.Sprintf("federation.organization_id (%s) differs from the provider's organization_id (%s); the admin token acts on one organization. Set one of them.",
					fedOrg.ValueString(), cfg.OrganizationID.ValueString()))
		}
	}
}
