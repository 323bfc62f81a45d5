package provider

// The model of anthropic_service_account_workspace, a service account's
// membership in a workspace, and its mapping from the API object. The
// attributes it shares with anthropic_federation_rule_workspace are in
// workspace_join_resource.go.

import (
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

type serviceAccountWorkspaceModel struct {
	ID               types.String `tfsdk:"id"`
	ServiceAccountID types.String `tfsdk:"service_account_id"`
	WorkspaceID      types.String `tfsdk:"workspace_id"`
	WorkspaceRole    types.String `tfsdk:"workspace_role"`
	CreatedByActorID types.String `tfsdk:"created_by_actor_id"`
}

func (m *serviceAccountWorkspaceModel) fromAPI(mem *client.ServiceAccountWorkspaceMember) {
	m.ID = types.StringValue(workspaceJoinID(mem.ServiceAccountID, mem.WorkspaceID))
	m.ServiceAccountID = types.StringValue(mem.ServiceAccountID)
	m.WorkspaceID = types.StringValue(mem.WorkspaceID)
	m.WorkspaceRole = types.StringValue(mem.WorkspaceRole)
	m.CreatedByActorID = types.StringValue(mem.CreatedByActorID)
}

func (m *serviceAccountWorkspaceModel) joinIDs() (string, string) {
	return m.ServiceAccountID.ValueString(), m.WorkspaceID.ValueString()
}
