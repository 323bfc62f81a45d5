package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// anthropic_service_account_workspace: what differs from the shared
// workspace-membership resource (workspace_join_resource.go).

type serviceAccountWorkspaceResource = workspaceJoinResource[serviceAccountWorkspaceModel, client.ServiceAccountWorkspaceMember, *serviceAccountWorkspaceModel]

var (
	_ resource.Resource                = (*serviceAccountWorkspaceResource)(nil)
	_ resource.ResourceWithConfigure   = (*serviceAccountWorkspaceResource)(nil)
	_ resource.ResourceWithImportState = (*serviceAccountWorkspaceResource)(nil)
	_ resource.ResourceWithIdentity    = (*serviceAccountWorkspaceResource)(nil)
)

// serviceAccountWorkspaceIdentityAttrs are the identity attributes, in import ID order.
var serviceAccountWorkspaceIdentityAttrs = []string{"service_account_id", "workspace_id"}

func newServiceAccountWorkspaceResource() resource.Resource {
	return newWorkspaceJoinResource[serviceAccountWorkspaceModel, client.ServiceAccountWorkspaceMember](workspaceJoinSpec[serviceAccountWorkspaceModel, client.ServiceAccountWorkspaceMember]{
		typeName:      "service_account_workspace",
		parent:        "Service account",
		prefix:        policy.PrefixServiceAccount,
		identityAttrs: serviceAccountWorkspaceIdentityAttrs,
		schema:        serviceAccountWorkspaceSchema,
		find:          (*client.Client).FindServiceAccountWorkspace,
		create:        createServiceAccountWorkspace,
		update:        updateServiceAccountWorkspace,
		remove: func(ctx context.Context, pd *providerData, saID, wsID string) error {
			defer pd.reads.forget(serviceAccountKey(saID))
			return pd.client.RemoveServiceAccountWorkspace(ctx, saID, wsID)
		},
		readFailed:   "Unable to read workspace memberships of service account ",
		removeFailed: "Unable to remove workspace membership ",
		gone:         "membership is gone; removing it from state",
	})
}

func serviceAccountWorkspaceSchema(attrs map[string]schema.Attribute) schema.Schema {
	attrs["workspace_role"] = schema.StringAttribute{
		MarkdownDescription: "Role in the workspace: `" + strings.Join(policy.WorkspaceRoles(), "`, `") + "`. Changes in place.",
		Required:            true,
		Validators:          []validator.String{stringvalidator.OneOf(policy.WorkspaceRoles()...)},
	}
	attrs["created_by_actor_id"] = computedString("ID of the user or service account that added the membership.", true)
	return schema.Schema{
		MarkdownDescription: "Explicit membership of a service account in a workspace. A federated token for a workspace other than the default one " +
			"needs an explicit membership; every service account is implicitly a `workspace_user` of the default workspace.\n\n" +
			"`workspace_role` changes in place; another service account or workspace replaces the membership. Destroying an explicit membership " +
			"of the default workspace reverts the service account to the implicit `workspace_user` membership there.",
		Attributes: attrs,
	}
}

// createServiceAccountWorkspace adds the membership, refusing to take over
// one that exists already.
func createServiceAccountWorkspace(ctx context.Context, pd *providerData, diags *diag.Diagnostics, saID, wsID string, plan *serviceAccountWorkspaceModel) *client.ServiceAccountWorkspaceMember {
	what := fmt.Sprintf("Unable to add service account %s to workspace %s", saID, wsID)
	// Adding an existing membership silently replaces its role, so look
	// first: taking over a membership Terraform does not manage would
	// change access behind its owner's back.
	existing, err := pd.client.FindServiceAccountWorkspace(ctx, saID, wsID)
	if err != nil {
		addAPIError(diags, what, err)
		return nil
	}
	if existing != nil {
		diags.AddError(what, fmt.Sprintf("The service account is already a member of this workspace (role %s). "+
			"Import the membership with `terraform import` and ID %s to manage it, or add this block to the configuration, "+
			"with `to` set to this resource's address shown above, and apply again:\n\nimport {\n  to = anthropic_service_account_workspace.this\n  id = %q\n}",
			existing.WorkspaceRole, workspaceJoinID(saID, wsID), workspaceJoinID(saID, wsID)))
		return nil
	}
	defer pd.reads.forget(serviceAccountKey(saID))
	// A membership is unique by service account and workspace, and there
	// was none a moment ago: one found after an ambiguous failure is ours.
	role := plan.WorkspaceRole.ValueString()
	mem, err := createRecovering(ctx, diags, "workspace membership", workspaceJoinID(saID, wsID),
		func(ctx context.Context) (*client.ServiceAccountWorkspaceMember, error) {
			return pd.client.AddServiceAccountWorkspace(ctx, saID, wsID, role)
		},
		func(ctx context.Context, _ time.Time) (*client.ServiceAccountWorkspaceMember, error) {
			found, err := pd.client.FindServiceAccountWorkspace(ctx, saID, wsID)
			if err != nil || found == nil || found.WorkspaceRole != role {
				return nil, err
			}
			return found, nil
		})
	if err != nil {
		addAPIError(diags, what, err)
		return nil
	}
	return mem
}

// updateServiceAccountWorkspace changes workspace_role, the only attribute
// that changes in place.
func updateServiceAccountWorkspace(ctx context.Context, pd *providerData, diags *diag.Diagnostics, saID, wsID string, plan *serviceAccountWorkspaceModel) *client.ServiceAccountWorkspaceMember {
	mem, err := pd.client.UpdateWorkspaceServiceAccount(ctx, wsID, saID, plan.WorkspaceRole.ValueString())
	if err != nil {
		summary := fmt.Sprintf("Unable to change the role of service account %s in workspace %s", saID, wsID)
		if client.IsNotFound(err) {
			diags.AddAttributeError(path.Root("workspace_role"), summary,
				apiErrorDetail(err)+"\nThe membership no longer exists (it was removed outside Terraform, or the service account was archived); "+
					"refresh and apply again to re-create it.")
			return nil
		}
		addAPIError(diags, summary, err)
		return nil
	}
	return mem
}
