package provider

// The one implementation of the two workspace-membership resources: a
// service account's membership in a workspace
// (anthropic_service_account_workspace) and a federation rule's enablement
// in one (anthropic_federation_rule_workspace). Both join a parent object to
// a workspace, are identified by "<parent id>:<workspace id>", read, delete
// and import the same way; each type's file states only its schema, its
// model and how it creates (and updates) its join.

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// workspaceJoinModel is the model of a workspace-membership resource (a
// pointer to T): it maps the API object A and names the two IDs it joins.
type workspaceJoinModel[T, A any] interface {
	*T
	fromAPI(*A)
	joinIDs() (parentID, workspaceID string)
}

// workspaceJoinSpec is what one workspace-membership resource states.
type workspaceJoinSpec[T, A any] struct {
	// typeName follows the provider's name: "service_account_workspace".
	typeName string
	// parent names the parent object ("Service account"), prefix its IDs
	// (policy.PrefixServiceAccount), identityAttrs its ID attribute and then
	// workspace_id.
	parent, prefix string
	identityAttrs  []string
	// schema completes the shared attributes (workspaceJoinAttributes) into
	// the resource's schema.
	schema func(attrs map[string]schema.Attribute) schema.Schema
	// find reads the join back (nil when it is gone), a client method such
	// as (*client.Client).FindServiceAccountWorkspace; remove deletes it.
	find   func(c *client.Client, ctx context.Context, parentID, workspaceID string) (*A, error)
	remove func(ctx context.Context, pd *providerData, parentID, workspaceID string) error
	// create makes the join of plan; on failure it adds an error and
	// returns nil.
	create func(ctx context.Context, pd *providerData, diags *diag.Diagnostics, parentID, workspaceID string, plan *T) *A
	// update changes it in place; nil when every change replaces the join.
	update func(ctx context.Context, pd *providerData, diags *diag.Diagnostics, parentID, workspaceID string, plan *T) *A
	// readFailed and removeFailed start the error summaries of a failed
	// read (followed by the parent ID) and delete (followed by the join ID);
	// gone is logged when the join disappeared.
	readFailed, removeFailed, gone string
}

type workspaceJoinResource[T, A any, P workspaceJoinModel[T, A]] struct {
	configuredResource
	spec workspaceJoinSpec[T, A]
}

func newWorkspaceJoinResource[T, A any, P workspaceJoinModel[T, A]](spec workspaceJoinSpec[T, A]) *workspaceJoinResource[T, A, P] {
	return &workspaceJoinResource[T, A, P]{spec: spec}
}

// workspaceJoinID is the composite ID of a parent's membership in a workspace.
func workspaceJoinID(parentID, workspaceID string) string { return parentID + ":" + workspaceID }

func (r *workspaceJoinResource[T, A, P]) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.spec.typeName
}

func (r *workspaceJoinResource[T, A, P]) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.spec.schema(workspaceJoinAttributes(r.spec.identityAttrs, r.spec.parent, r.spec.prefix))
}

func (r *workspaceJoinResource[T, A, P]) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{Attributes: map[string]identityschema.Attribute{
		r.spec.identityAttrs[0]: identityschema.StringAttribute{RequiredForImport: true, Description: r.spec.parent + " ID (" + r.spec.prefix + "...)."},
		"workspace_id":          identityschema.StringAttribute{RequiredForImport: true, Description: "Workspace ID (wrkspc_...)."},
	}}
}

// workspaceJoinAttributes are the id, parent ID and workspace_id attributes
// of a workspace-membership resource; attrs are its identity attributes
// (the parent's ID attribute, then workspace_id). Another parent or
// workspace replaces the membership.
func workspaceJoinAttributes(attrs []string, parent, prefix string) map[string]schema.Attribute {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "Composite ID: `<" + attrs[0] + ">:<workspace_id>`.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		attrs[0]: schema.StringAttribute{
			MarkdownDescription: parent + " ID (`" + prefix + "...`).",
			Required:            true,
			Validators:          []validator.String{idValidator(prefix, strings.ToLower(parent))},
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

// begin is begin for a join: it also gives the two IDs the join's model
// names.
func (r *workspaceJoinResource[T, A, P]) begin(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (_ context.Context, m *T, parentID, workspaceID string, ok bool) {
	ctx, model, ok := begin[T](ctx, r.data, get, diags)
	if !ok {
		return ctx, nil, "", "", false
	}
	parentID, workspaceID = P(&model).joinIDs()
	return ctx, &model, parentID, workspaceID, true
}

func (r *workspaceJoinResource[T, A, P]) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, r.spec.identityAttrs, &resp.State)
	r.write(ctx, req.Plan, &resp.State, &resp.Diagnostics, r.spec.create)
}

// write makes the API call of a Create or Update (op) for the plan and
// records the join it answers.
func (r *workspaceJoinResource[T, A, P]) write(ctx context.Context, planned tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics,
	op func(ctx context.Context, pd *providerData, diags *diag.Diagnostics, parentID, workspaceID string, plan *T) *A,
) {
	ctx, plan, parentID, wsID, ok := r.begin(ctx, planned.Get, diags)
	if !ok {
		return
	}
	a := op(ctx, r.data, diags, parentID, wsID, plan)
	if a == nil {
		return
	}
	P(plan).fromAPI(a)
	diags.Append(state.Set(ctx, plan)...)
}

func (r *workspaceJoinResource[T, A, P]) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, r.spec.identityAttrs, &resp.State, &req.State)
	ctx, state, parentID, wsID, ok := r.begin(ctx, req.State.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	a, err := r.spec.find(r.data.client, ctx, parentID, wsID)
	if err != nil {
		addAPIError(&resp.Diagnostics, r.spec.readFailed+parentID, err)
		return
	}
	if a == nil {
		tflog.Warn(ctx, r.spec.gone, map[string]any{"id": workspaceJoinID(parentID, wsID)})
		resp.State.RemoveResource(ctx)
		return
	}
	P(state).fromAPI(a)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *workspaceJoinResource[T, A, P]) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, r.spec.identityAttrs, &resp.State)
	if r.spec.update == nil {
		resp.Diagnostics.AddError("Unexpected update", "anthropic_"+r.spec.typeName+" cannot be updated in place; please report this issue to the provider developers.")
		return
	}
	r.write(ctx, req.Plan, &resp.State, &resp.Diagnostics, r.spec.update)
}

// Delete removes the join; one already gone is the desired end state.
func (r *workspaceJoinResource[T, A, P]) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx, _, parentID, wsID, ok := r.begin(ctx, req.State.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	if err := r.spec.remove(ctx, r.data, parentID, wsID); err != nil && !client.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, r.spec.removeFailed+workspaceJoinID(parentID, wsID), err)
	}
}

// ImportState imports a join by its composite ID ("svac_...:wrkspc_...")
// or by identity.
func (r *workspaceJoinResource[T, A, P]) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	attrs := r.spec.identityAttrs
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, attrs, &resp.State)
	ref, what, ok := importRef(ctx, req, &resp.Diagnostics, attrs)
	if !ok {
		return
	}
	parentID, wsID, err := splitCompositeID(ref, r.spec.prefix, r.spec.prefix+"...:wrkspc_...")
	if err != nil {
		resp.Diagnostics.AddError("Invalid "+what, err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), ref)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attrs[0]), parentID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("workspace_id"), wsID)...)
}

// splitCompositeID parses "<prefix...>:<workspace id>" import IDs.
func splitCompositeID(id, prefix, form string) (string, string, error) {
	left, right, ok := strings.Cut(id, ":")
	if !ok {
		return "", "", fmt.Errorf("expected an ID of the form %s, got %q", form, id)
	}
	if err := policy.ValidateID(prefix, left); err != nil {
		return "", "", fmt.Errorf("expected an ID of the form %s: %s", form, err)
	}
	if right == policy.DefaultWorkspaceID {
		return "", "", fmt.Errorf("expected an ID of the form %s: the default workspace is imported by its own ID (wrkspc_...), which the API shows "+
			"everywhere; data.anthropic_workspace with default = true gives it", form)
	}
	if err := policy.ValidateID(policy.PrefixWorkspace, right); err != nil {
		return "", "", fmt.Errorf("expected an ID of the form %s: %s", form, err)
	}
	return left, right, nil
}
