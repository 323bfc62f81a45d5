package provider

// The model of the anthropic_google_service_account data source, filled
// from the IAM API's service account.

import (
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
)

type googleServiceAccountModel struct {
	AccountID        types.String `tfsdk:"account_id"`
	Project          types.String `tfsdk:"project"`
	UniqueID         types.String `tfsdk:"unique_id"`
	Email            types.String `tfsdk:"email"`
	Name             types.String `tfsdk:"name"`
	DisplayName      types.String `tfsdk:"display_name"`
	ProjectID        types.String `tfsdk:"project_id"`
	Disabled         types.Bool   `tfsdk:"disabled"`
	OAuth2ClientID   types.String `tfsdk:"oauth2_client_id"`
	Member           types.String `tfsdk:"member"`
	FederationClaims types.Map    `tfsdk:"federation_claims"`
}

// fromAPI fills the computed attributes; the inputs stay as configured.
func (m *googleServiceAccountModel) fromAPI(sa *google.ServiceAccount) {
	m.UniqueID = types.StringValue(sa.UniqueID)
	m.Email = types.StringValue(sa.Email)
	m.Name = types.StringValue(sa.Name)
	m.DisplayName = types.StringValue(sa.DisplayName)
	m.ProjectID = types.StringValue(sa.ProjectID)
	m.Disabled = types.BoolValue(sa.Disabled)
	m.OAuth2ClientID = types.StringValue(sa.OAuth2ClientID)
	m.Member = types.StringValue("serviceAccount:" + sa.Email)
	// Google ID tokens carry the uniqueId as sub and the email as email; a
	// rule pinning both matches exactly this account and survives neither
	// deletion and re-creation under the same email (new uniqueId) nor a
	// different account reusing the email.
	m.FederationClaims = stringMapValue(map[string]string{"sub": sa.UniqueID, "email": sa.Email})
}
