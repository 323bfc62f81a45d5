package provider

// What the two workspace-membership resources share: a service account's
// membership in a workspace (anthropic_service_account_workspace) and a
// federation rule's enablement in one (anthropic_federation_rule_workspace)
// both join a parent object to a workspace, are identified by
// "<parent id>:<workspace id>", and import the same way.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// workspaceJoinID is the composite ID of a parent's membership in a workspace.
func workspaceJoinID(parentID, workspaceID string) string { return parentID + ":" + workspaceID }

// workspaceJoinAttributes are the id, parent ID and workspace_id attributes
// of a workspace-membership resource; attrs are its identity attributes
// (the parent's ID attribute, then workspace_id). Another parent or
// workspace replaces the membership.
func workspaceJoinAttributes(attrs []string, parentMarkdown string, parentValidator validator.String) map[string]schema.Attribute {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "Composite ID: `<" + attrs[0] + ">:<workspace_id>`.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		attrs[0]: schema.StringAttribute{
			MarkdownDescription: parentMarkdown,
			Required:            true,
			Validators:          []validator.String{parentValidator},
			PlanModifiers:       replace,
		},
		"workspace_id": schema.StringAttribute{
			MarkdownDescription: "Workspace ID (`wrkspc_...`). The default workspace has its own ID too: look it up with `data \"anthropic_workspace\"` and `default = true`.",
			Required:            true,
			Validators:          []validator.String{storedWorkspaceIDValidator()},
			PlanModifiers:       replace,
		},
	}
}

// importWorkspaceJoin imports a workspace membership by its composite ID
// (form, such as "svac_...:wrkspc_...", names it in errors) or by identity;
// prefix is the parent ID's prefix.
func importWorkspaceJoin(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse, attrs []string, prefix, form string) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, attrs, &resp.State)
	ref, what, ok := importRef(ctx, req, &resp.Diagnostics, attrs)
	if !ok {
		return
	}
	parentID, wsID, err := splitCompositeID(ref, prefix, form)
	if err != nil {
		resp.Diagnostics.AddError("Invalid "+what, err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), ref)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attrs[0]), parentID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("workspace_id"), wsID)...)
}
