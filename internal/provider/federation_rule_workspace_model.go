package provider

// The model of anthropic_federation_rule_workspace, a federation rule's
// enablement in a workspace, and its mapping from the API object. The
// attributes it shares with anthropic_service_account_workspace are in
// workspace_join_resource.go.

import (
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

type federationRuleWorkspaceModel struct {
	ID               types.String `tfsdk:"id"`
	FederationRuleID types.String `tfsdk:"federation_rule_id"`
	WorkspaceID      types.String `tfsdk:"workspace_id"`
	WorkspaceName    types.String `tfsdk:"workspace_name"`
	CreatedAt        types.String `tfsdk:"created_at"`
	CreatedByActorID types.String `tfsdk:"created_by_actor_id"`
}

func (m *federationRuleWorkspaceModel) fromAPI(en *client.FederationRuleWorkspace) {
	m.ID = types.StringValue(workspaceJoinID(en.FederationRuleID, en.WorkspaceID))
	m.FederationRuleID = types.StringValue(en.FederationRuleID)
	m.WorkspaceID = types.StringValue(en.WorkspaceID)
	m.WorkspaceName = types.StringValue(en.WorkspaceName)
	m.CreatedAt = timeString(en.CreatedAt)
	m.CreatedByActorID = types.StringValue(en.CreatedByActorID)
}

func (m *federationRuleWorkspaceModel) joinIDs() (string, string) {
	return m.FederationRuleID.ValueString(), m.WorkspaceID.ValueString()
}
