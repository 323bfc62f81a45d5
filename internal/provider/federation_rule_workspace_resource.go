package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// anthropic_federation_rule_workspace: what differs from the shared
// workspace-membership resource (workspace_join_resource.go).

type federationRuleWorkspaceResource = workspaceJoinResource[federationRuleWorkspaceModel, client.FederationRuleWorkspace, *federationRuleWorkspaceModel]

var (
	_ resource.Resource                = (*federationRuleWorkspaceResource)(nil)
	_ resource.ResourceWithConfigure   = (*federationRuleWorkspaceResource)(nil)
	_ resource.ResourceWithImportState = (*federationRuleWorkspaceResource)(nil)
	_ resource.ResourceWithIdentity    = (*federationRuleWorkspaceResource)(nil)
)

// federationRuleWorkspaceIdentityAttrs are the identity attributes, in import ID order.
var federationRuleWorkspaceIdentityAttrs = []string{"federation_rule_id", "workspace_id"}

func newFederationRuleWorkspaceResource() resource.Resource {
	return newWorkspaceJoinResource[federationRuleWorkspaceModel, client.FederationRuleWorkspace](workspaceJoinSpec[federationRuleWorkspaceModel, client.FederationRuleWorkspace]{
		typeName:      "federation_rule_workspace",
		parent:        "Federation rule",
		prefix:        policy.PrefixRule,
		identityAttrs: federationRuleWorkspaceIdentityAttrs,
		schema:        federationRuleWorkspaceSchema,
		find:          (*client.Client).FindFederationRuleWorkspace,
		create:        createFederationRuleWorkspace,
		// update is nil: every attribute requires replacement.
		remove: func(ctx context.Context, pd *providerData, ruleID, wsID string) error {
			return pd.client.DisableFederationRuleWorkspace(ctx, ruleID, wsID)
		},
		readFailed:   "Unable to read the workspaces of federation rule ",
		removeFailed: "Unable to disable federation rule enablement ",
		gone:         "federation rule enablement is gone; removing it from state",
	})
}

func federationRuleWorkspaceSchema(attrs map[string]schema.Attribute) schema.Schema {
	attrs["workspace_name"] = computedString("Name of the workspace.", true)
	attrs["created_at"] = computedString("When the rule was enabled in the workspace (RFC 3339).", true)
	attrs["created_by_actor_id"] = computedString("ID of the user or service account that enabled the rule in the workspace.", true)
	return schema.Schema{
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

// createFederationRuleWorkspace enables the rule in the workspace and reads
// the enablement back: the enable response leaves workspace_name null, the
// list has it.
func createFederationRuleWorkspace(ctx context.Context, pd *providerData, diags *diag.Diagnostics, ruleID, wsID string, _ *federationRuleWorkspaceModel) *client.FederationRuleWorkspace {
	en, err := pd.client.EnableFederationRuleWorkspace(ctx, ruleID, wsID)
	if err != nil {
		summary := fmt.Sprintf("Unable to enable federation rule %s in workspace %s", ruleID, wsID)
		switch {
		case client.IsBadRequest(err):
			diags.AddError(summary, apiErrorDetail(err)+
				"\nAn archived rule takes no enablements; check that the rule is live.")
		case client.IsForbidden(err):
			diags.AddError(summary, apiErrorDetail(err)+
				"\nRules with a scope beyond workspace:developer and workspace:inference (org:admin, workspace:manage_tunnels) can only be changed from a Console session.")
		default:
			addAPIError(diags, summary, err)
		}
		return nil
	}
	listed, err := pd.client.FindFederationRuleWorkspace(ctx, ruleID, wsID)
	switch {
	case err != nil:
		diags.AddWarning("Could not read the enablement back", "The rule was enabled in the workspace and is tracked in state, but reading it back failed: "+apiErrorDetail(err))
	case listed != nil:
		return listed
	}
	return en
}
