package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ resource.Resource                = (*federationRuleWorkspaceResource)(nil)
	_ resource.ResourceWithConfigure   = (*federationRuleWorkspaceResource)(nil)
	_ resource.ResourceWithImportState = (*federationRuleWorkspaceResource)(nil)
)

func newFederationRuleWorkspaceResource() resource.Resource {
	return &federationRuleWorkspaceResource{}
}

type federationRuleWorkspaceResource struct{ configuredResource }

func (r *federationRuleWorkspaceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_rule_workspace"
}

func (r *federationRuleWorkspaceResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := workspaceJoinAttributes(federationRuleWorkspaceIdentityAttrs, "Federation rule ID (`fdrl_...`).",
		idValidator(policy.PrefixRule, "federation rule"))
	attrs["workspace_name"] = computedString("Name of the workspace.", true)
	attrs["created_at"] = computedString("When the rule was enabled in the workspace (RFC 3339).", true)
	attrs["created_by_actor_id"] = computedString("ID of the user or service account that enabled the rule in the workspace.", true)
	resp.Schema = schema.Schema{
		MarkdownDescription: "Enables a federation rule in one workspace, so workloads can exchange tokens through the rule for that workspace.\n\n" +
			"~> **Use either this resource or the rule's `workspace_ids`, not both for the same workspaces.** `workspace_ids` on " +
			"`anthropic_federation_rule` is authoritative: it reverts enablements it does not list. To manage enablements with this resource " +
			"(for example from another module), create the rule with `workspace_ids` set to its first workspace and add " +
			"`lifecycle { ignore_changes = [workspace_ids] }` to the rule, the way inline and separate security group rules are " +
			"combined in the AWS provider.\n\n" +
			"Every change replaces the enablement (disable, then enable). A rule with `applies_to_all_workspaces = true` cannot have individual enablements.",
		Attributes: attrs,
	}
}

func (r *federationRuleWorkspaceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationRuleWorkspaceIdentityAttrs, &resp.State)
	ctx = maskSecrets(ctx)
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	var plan federationRuleWorkspaceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ruleID, wsID := plan.FederationRuleID.ValueString(), plan.WorkspaceID.ValueString()
	en, err := r.data.client.EnableFederationRuleWorkspace(ctx, ruleID, wsID)
	if err != nil {
		summary := fmt.Sprintf("Unable to enable federation rule %s in workspace %s", ruleID, wsID)
		switch {
		case client.IsBadRequest(err):
			resp.Diagnostics.AddError(summary, apiErrorDetail(err)+
				"\nAn archived rule takes no enablements; check that the rule is live.")
		case client.IsForbidden(err):
			resp.Diagnostics.AddError(summary, apiErrorDetail(err)+
				"\nRules with a scope beyond workspace:developer and workspace:inference (org:admin, workspace:manage_tunnels) can only be changed from a Console session.")
		default:
			addAPIError(&resp.Diagnostics, summary, err)
		}
		return
	}
	plan.fromAPI(en)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	// The enable response leaves workspace_name null; the list has it.
	listed, err := findEnablement(ctx, r.data.client, ruleID, wsID)
	switch {
	case err != nil:
		resp.Diagnostics.AddWarning("Could not read the enablement back", "The rule was enabled in the workspace and is tracked in state, but reading it back failed: "+apiErrorDetail(err))
	case listed != nil:
		plan.fromAPI(listed)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

func (r *federationRuleWorkspaceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationRuleWorkspaceIdentityAttrs, &resp.State, &req.State)
	ctx = maskSecrets(ctx)
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	var state federationRuleWorkspaceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ruleID, wsID := state.FederationRuleID.ValueString(), state.WorkspaceID.ValueString()
	en, err := findEnablement(ctx, r.data.client, ruleID, wsID)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to read the workspaces of federation rule "+ruleID, err)
		return
	}
	if en == nil {
		tflog.Warn(ctx, "federation rule enablement is gone; removing it from state", map[string]any{"id": workspaceJoinID(ruleID, wsID)})
		resp.State.RemoveResource(ctx)
		return
	}
	state.fromAPI(en)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// findEnablement returns the enablement, or nil when it or its rule is gone.
// Archiving a rule clears its enablements, so an archived rule has none.
func findEnablement(ctx context.Context, c *client.Client, ruleID, workspaceID string) (*client.FederationRuleWorkspace, error) {
	list, err := c.ListFederationRuleWorkspaces(ctx, ruleID)
	if client.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].WorkspaceID == workspaceID {
			return &list[i], nil
		}
	}
	return nil, nil
}

// Update is never called: every attribute requires replacement.
func (r *federationRuleWorkspaceResource) Update(ctx context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationRuleWorkspaceIdentityAttrs, &resp.State)
	resp.Diagnostics.AddError("Unexpected update", "anthropic_federation_rule_workspace cannot be updated in place; please report this issue to the provider developers.")
}

func (r *federationRuleWorkspaceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = maskSecrets(ctx)
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	var state federationRuleWorkspaceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.data.client.DisableFederationRuleWorkspace(ctx, state.FederationRuleID.ValueString(), state.WorkspaceID.ValueString())
	if err != nil && !client.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, "Unable to disable federation rule enablement "+state.ID.ValueString(), err)
	}
}

func (r *federationRuleWorkspaceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importWorkspaceJoin(ctx, req, resp, federationRuleWorkspaceIdentityAttrs, policy.PrefixRule, "fdrl_...:wrkspc_...")
}
