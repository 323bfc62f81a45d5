package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ resource.Resource                = (*serviceAccountWorkspaceResource)(nil)
	_ resource.ResourceWithConfigure   = (*serviceAccountWorkspaceResource)(nil)
	_ resource.ResourceWithImportState = (*serviceAccountWorkspaceResource)(nil)
)

func newServiceAccountWorkspaceResource() resource.Resource {
	return &serviceAccountWorkspaceResource{}
}

type serviceAccountWorkspaceResource struct{ configuredResource }

func (r *serviceAccountWorkspaceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account_workspace"
}

func (r *serviceAccountWorkspaceResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := workspaceJoinAttributes(serviceAccountWorkspaceIdentityAttrs, "Service account ID (`svac_...`).",
		idValidator(policy.PrefixServiceAccount, "service account"))
	attrs["workspace_role"] = schema.StringAttribute{
		MarkdownDescription: "Role in the workspace: `" + strings.Join(policy.WorkspaceRoles(), "`, `") + "`. Changes in place.",
		Required:            true,
		Validators:          []validator.String{stringvalidator.OneOf(policy.WorkspaceRoles()...)},
	}
	attrs["created_by_actor_id"] = computedString("ID of the user or service account that added the membership.", true)
	resp.Schema = schema.Schema{
		MarkdownDescription: "Explicit membership of a service account in a workspace. A federated token for a workspace other than the default one " +
			"needs an explicit membership; every service account is implicitly a `workspace_user` of the default workspace.\n\n" +
			"`workspace_role` changes in place; another service account or workspace replaces the membership. Destroying an explicit membership " +
			"of the default workspace reverts the service account to the implicit `workspace_user` membership there.",
		Attributes: attrs,
	}
}

func (r *serviceAccountWorkspaceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, serviceAccountWorkspaceIdentityAttrs, &resp.State)
	ctx = maskSecrets(ctx)
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	var plan serviceAccountWorkspaceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	saID, wsID := plan.ServiceAccountID.ValueString(), plan.WorkspaceID.ValueString()
	what := fmt.Sprintf("Unable to add service account %s to workspace %s", saID, wsID)
	// Adding an existing membership silently replaces its role, so look
	// first: taking over a membership Terraform does not manage would
	// change access behind its owner's back.
	existing, err := findMembership(ctx, r.data.client, saID, wsID)
	if err != nil {
		addAPIError(&resp.Diagnostics, what, err)
		return
	}
	if existing != nil {
		resp.Diagnostics.AddError(what, fmt.Sprintf("The service account is already a member of this workspace (role %s). "+
			"Import the membership with `terraform import` and ID %s to manage it, or add this block to the configuration, "+
			"with `to` set to this resource's address shown above, and apply again:\n\nimport {\n  to = anthropic_service_account_workspace.this\n  id = %q\n}",
			existing.WorkspaceRole, workspaceJoinID(saID, wsID), workspaceJoinID(saID, wsID)))
		return
	}
	defer r.data.reads.forget(serviceAccountKey(saID))
	// A membership is unique by service account and workspace, and there
	// was none a moment ago: one found after an ambiguous failure is ours.
	role := plan.WorkspaceRole.ValueString()
	mem, err := createRecovering(ctx, &resp.Diagnostics, "workspace membership", workspaceJoinID(saID, wsID),
		func(ctx context.Context) (*client.ServiceAccountWorkspaceMember, error) {
			return r.data.client.AddServiceAccountWorkspace(ctx, saID, wsID, role)
		},
		func(ctx context.Context, _ time.Time) (*client.ServiceAccountWorkspaceMember, error) {
			found, err := findMembership(ctx, r.data.client, saID, wsID)
			if err != nil || found == nil || found.WorkspaceRole != role {
				return nil, err
			}
			return found, nil
		})
	if err != nil {
		addAPIError(&resp.Diagnostics, what, err)
		return
	}
	plan.fromAPI(mem)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *serviceAccountWorkspaceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, serviceAccountWorkspaceIdentityAttrs, &resp.State, &req.State)
	ctx = maskSecrets(ctx)
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	var state serviceAccountWorkspaceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	saID, wsID := state.ServiceAccountID.ValueString(), state.WorkspaceID.ValueString()
	mem, err := findMembership(ctx, r.data.client, saID, wsID)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to read workspace memberships of service account "+saID, err)
		return
	}
	if mem == nil {
		tflog.Warn(ctx, "membership is gone; removing it from state", map[string]any{"id": workspaceJoinID(saID, wsID)})
		resp.State.RemoveResource(ctx)
		return
	}
	state.fromAPI(mem)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// findMembership reads the membership from the workspace side (one
// request) and returns it when it is explicit, or nil when it, or the
// service account, is gone (an archived service account reads as 404). The
// implicit default-workspace entry is not a membership Terraform can own.
func findMembership(ctx context.Context, c *client.Client, serviceAccountID, workspaceID string) (*client.ServiceAccountWorkspaceMember, error) {
	m, err := c.GetWorkspaceServiceAccount(ctx, workspaceID, serviceAccountID)
	if client.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if m.Implicit {
		return nil, nil
	}
	return m, nil
}

// Update changes workspace_role, the only attribute that changes in place.
func (r *serviceAccountWorkspaceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, serviceAccountWorkspaceIdentityAttrs, &resp.State)
	ctx = maskSecrets(ctx)
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	var plan serviceAccountWorkspaceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	saID, wsID := plan.ServiceAccountID.ValueString(), plan.WorkspaceID.ValueString()
	mem, err := r.data.client.UpdateWorkspaceServiceAccount(ctx, wsID, saID, plan.WorkspaceRole.ValueString())
	if err != nil {
		summary := fmt.Sprintf("Unable to change the role of service account %s in workspace %s", saID, wsID)
		if client.IsNotFound(err) {
			resp.Diagnostics.AddAttributeError(path.Root("workspace_role"), summary,
				apiErrorDetail(err)+"\nThe membership no longer exists (it was removed outside Terraform, or the service account was archived); "+
					"refresh and apply again to re-create it.")
			return
		}
		addAPIError(&resp.Diagnostics, summary, err)
		return
	}
	plan.fromAPI(mem)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *serviceAccountWorkspaceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = maskSecrets(ctx)
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	var state serviceAccountWorkspaceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	defer r.data.reads.forget(serviceAccountKey(state.ServiceAccountID.ValueString()))
	err := r.data.client.RemoveServiceAccountWorkspace(ctx, state.ServiceAccountID.ValueString(), state.WorkspaceID.ValueString())
	if err != nil && !client.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, "Unable to remove workspace membership "+state.ID.ValueString(), err)
	}
}

func (r *serviceAccountWorkspaceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importWorkspaceJoin(ctx, req, resp, serviceAccountWorkspaceIdentityAttrs, policy.PrefixServiceAccount, "svac_...:wrkspc_...")
}
