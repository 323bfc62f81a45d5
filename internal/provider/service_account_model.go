package provider

// The service account's model: the resource and both data sources show
// the same fields, filled from the API the same way.

import (
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

type serviceAccountModel struct {
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	Description      types.String `tfsdk:"description"`
	OrganizationRole types.String `tfsdk:"organization_role"`
	CreatedAt        types.String `tfsdk:"created_at"`
	CreatedByActorID types.String `tfsdk:"created_by_actor_id"`
	UpdatedAt        types.String `tfsdk:"updated_at"`
	UpdatedByActorID types.String `tfsdk:"updated_by_actor_id"`
}

func (m *serviceAccountModel) fromAPI(sa *client.ServiceAccount) {
	m.ID = types.StringValue(sa.ID)
	m.Name = types.StringValue(sa.Name)
	m.Description = optionalString(sa.Description)
	m.OrganizationRole = types.StringValue(sa.OrganizationRole)
	m.CreatedAt = timeString(sa.CreatedAt)
	m.CreatedByActorID = types.StringValue(sa.CreatedByActorID)
	m.UpdatedAt = timeString(sa.UpdatedAt)
	m.UpdatedByActorID = types.StringValue(sa.UpdatedByActorID)
}
