package provider

// The model of the anthropic_federation_token ephemeral resource: the rule
// and workspace it exchanges for, the identity source, and the token.

import "github.com/hashicorp/terraform-plugin-framework/types"

// federationTokenModel is the ephemeral resource's configuration and result.
type federationTokenModel struct {
	FederationRuleID types.String `tfsdk:"federation_rule_id"`
	OrganizationID   types.String `tfsdk:"organization_id"`
	ServiceAccountID types.String `tfsdk:"service_account_id"`
	WorkspaceID      types.String `tfsdk:"workspace_id"`
	identitySourceModel
	AccessToken types.String `tfsdk:"access_token"`
	TokenType   types.String `tfsdk:"token_type"`
	Scope       types.String `tfsdk:"scope"`
	ExpiresIn   types.Int64  `tfsdk:"expires_in"`
	ExpiresAt   types.String `tfsdk:"expires_at"`
}
