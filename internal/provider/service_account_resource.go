package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ resource.Resource                = (*serviceAccountResource)(nil)
	_ resource.ResourceWithConfigure   = (*serviceAccountResource)(nil)
	_ resource.ResourceWithImportState = (*serviceAccountResource)(nil)
	_ resource.ResourceWithIdentity    = (*serviceAccountResource)(nil)
)

// serviceAccountIdentityAttrs are the identity attributes, in import ID order.
var serviceAccountIdentityAttrs = []string{"id"}

func newServiceAccountResource() resource.Resource { return &serviceAccountResource{} }

type serviceAccountResource struct{ configuredResource }

func (r *serviceAccountResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account"
}

func (r *serviceAccountResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An Anthropic service account: the non-human identity a federation rule maps workload tokens to. " +
			"Destroying it **archives** it (the API never hard-deletes); a service account targeted by a live federation rule cannot be archived.",
		Attributes: map[string]schema.Attribute{
			"id": computedString(serviceAccountReadOnly["id"], true),
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name within the organization: lowercase letters, digits and hyphens, 1–255 characters. The API cannot rename a service account, so changing it **replaces** it.",
				Required:            true,
				Validators:          []validator.String{nameValidator()},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Free-text description, up to 2000 characters. Omit it for no description: removing it from the " +
					"configuration clears it. An empty string is rejected because the API stores a cleared description as `\"\"` and cannot tell the two apart.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 2000), descriptionTextValidator()},
			},
			"organization_role": schema.StringAttribute{
				MarkdownDescription: "Organization role: `developer` (default) or `admin`. Setting `admin`, on create or by promotion, needs an " +
					"interactive credential: a user's OAuth token (what `ANTHROPIC_AUTH_TOKEN` holds); a token minted by a federation exchange " +
					"(the provider's `federation` block) is refused with `403`. Demoting an `admin` to `developer` is allowed; an `org:admin` " +
					"federation rule that targets it is then refused at exchange.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString("developer"),
				Validators: []validator.String{stringvalidator.OneOf(policy.OrganizationRoles()...)},
			},
			"created_at":          computedString(serviceAccountReadOnly["created_at"], true),
			"created_by_actor_id": computedString(serviceAccountReadOnly["created_by_actor_id"], true),
			"updated_at":          computedString(serviceAccountReadOnly["updated_at"], false),
			"updated_by_actor_id": computedString(serviceAccountReadOnly["updated_by_actor_id"], false),
		},
	}
}

func (r *serviceAccountResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("Service account", "svac_")
}

func (r *serviceAccountResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, serviceAccountIdentityAttrs, &resp.State)
	ctx, plan, ok := begin[serviceAccountModel](ctx, r.data, req.Plan.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	params := plan.toCreate()
	c := r.data.client
	sa, err := createRecovering(ctx, &resp.Diagnostics, "service account", params.Name,
		func(ctx context.Context) (*client.ServiceAccount, error) { return c.CreateServiceAccount(ctx, params) },
		func(ctx context.Context, since time.Time) (*client.ServiceAccount, error) {
			found, err := c.FindServiceAccountByName(ctx, params.Name)
			if err != nil || found == nil || !createdSince(found.CreatedAt, since) ||
				found.Description != plan.Description.ValueString() || found.OrganizationRole != params.OrganizationRole {
				return nil, err
			}
			return found, nil
		})
	if err != nil {
		summary := "Unable to create service account"
		if client.IsConflict(err) {
			summary = fmt.Sprintf("A service account named %q already exists", params.Name)
			resp.Diagnostics.AddAttributeError(path.Root("name"), summary,
				apiErrorDetail(err)+"\nImport it with `terraform import` (by its svac_ ID) or choose another name."+
					importHint(ctx, "anthropic_service_account", func(ctx context.Context) (string, error) {
						found, err := c.FindServiceAccountByName(ctx, params.Name)
						if found == nil {
							return "", err
						}
						return found.ID, err
					}))
			return
		}
		addServiceAccountWriteError(&resp.Diagnostics, summary, params.OrganizationRole, err)
		return
	}
	// Record the object first: whatever happens next, it is tracked.
	plan.fromAPI(sa)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	tflog.Info(ctx, "created service account", map[string]any{"id": sa.ID})
	r.waitVisible(ctx, sa, &resp.Diagnostics)
}

func (r *serviceAccountResource) waitVisible(ctx context.Context, written *client.ServiceAccount, diags *diag.Diagnostics) {
	awaitUpdated(ctx, diags, "service account", written.ID, written.UpdatedAt, r.data.client.GetServiceAccount,
		func(sa *client.ServiceAccount) time.Time { return sa.UpdatedAt })
}

func (r *serviceAccountResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, serviceAccountIdentityAttrs, &resp.State, &req.State)
	ctx, state, ok := begin[serviceAccountModel](ctx, r.data, req.State.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	sa, err := r.data.client.GetServiceAccount(ctx, state.ID.ValueString())
	shareRead(r.data.reads, serviceAccountKey(state.ID.ValueString()), sa, err)
	if !readLive(ctx, resp, "service account", state.ID.ValueString(), sa, err) {
		return
	}
	state.fromAPI(sa)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *serviceAccountResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, serviceAccountIdentityAttrs, &resp.State)
	ctx, plan, state, ok := beginUpdate[serviceAccountModel](ctx, r.data, req, &resp.Diagnostics)
	if !ok {
		return
	}
	params := plan.toUpdate(&state)
	defer r.data.reads.forget(serviceAccountKey(state.ID.ValueString()))
	sa, err := r.data.client.UpdateServiceAccount(ctx, state.ID.ValueString(), params)
	if err != nil {
		addServiceAccountWriteError(&resp.Diagnostics, "Unable to update service account "+state.ID.ValueString(), plan.OrganizationRole.ValueString(), err)
		return
	}
	plan.fromAPI(sa)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	r.waitVisible(ctx, sa, &resp.Diagnostics)
}

func (r *serviceAccountResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx, state, ok := begin[serviceAccountModel](ctx, r.data, req.State.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	id := state.ID.ValueString()
	defer r.data.reads.forget(serviceAccountKey(id))
	_, err := r.data.client.ArchiveServiceAccount(ctx, id)
	addArchiveError(ctx, &resp.Diagnostics, r.data.client, "service account", id, err,
		client.FederationRuleListParams{}, func(rule *client.FederationRule) bool { return rule.Target.ServiceAccountID == id },
		"Live federation rules still target this service account: %s.\n"+
			"Destroy or retarget those rules first (in Terraform, reference the service account from the rule so the rule is destroyed first).\n\n%s")
}

func (r *serviceAccountResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, serviceAccountIdentityAttrs, policy.PrefixServiceAccount, "service account")
}

// addServiceAccountWriteError puts a refused admin role on the attribute:
// setting admin needs an interactive credential, which a token minted by a
// federation exchange is not.
func addServiceAccountWriteError(diags *diag.Diagnostics, summary, role string, err error) {
	if client.IsForbidden(err) && role == "admin" {
		diags.AddAttributeError(path.Root("organization_role"), summary+": organization_role admin needs an interactive credential",
			"organization_role: creating or promoting an admin service account needs an interactive credential, a user's OAuth token "+
				"(what ANTHROPIC_AUTH_TOKEN holds); a token minted by a federation exchange, which the provider uses with the federation block "+
				"or the "+envFederationRuleID+" environment variables, is not one. Apply this with a user's OAuth token.\n\n"+apiErrorDetail(err))
		return
	}
	addAPIError(diags, summary, err)
}
