package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ datasource.DataSource                     = (*workspaceDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*workspaceDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*workspaceDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig   = (*workspaceDataSource)(nil)
)

func newWorkspaceDataSource() datasource.DataSource { return &workspaceDataSource{} }

type workspaceDataSource struct{ configuredDataSource }

// workspaceFields are what both workspace data sources show.
type workspaceFields struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	Default      types.Bool   `tfsdk:"default"`
	DisplayColor types.String `tfsdk:"display_color"`
	CreatedAt    types.String `tfsdk:"created_at"`
	ArchivedAt   types.String `tfsdk:"archived_at"`
}

func (f *workspaceFields) fromAPI(w *client.Workspace, defaultWorkspaceID string) {
	f.ID = types.StringValue(w.ID)
	f.Name = types.StringValue(w.Name)
	f.Default = types.BoolValue(w.ID == defaultWorkspaceID)
	f.DisplayColor = optionalString(w.DisplayColor)
	f.CreatedAt = timeString(w.CreatedAt)
	f.ArchivedAt = timePtrString(w.ArchivedAt)
}

// workspaceAttributes are the read-only attributes; the single look-up
// makes id, name and default its keys instead.
func workspaceAttributes(lookupKeys bool) map[string]schema.Attribute {
	attrs := map[string]schema.Attribute{
		"id":   computedDSString("Workspace ID (`wrkspc_...`); the default workspace has one too."),
		"name": computedDSString("Name of the workspace."),
		"default": schema.BoolAttribute{
			MarkdownDescription: "Whether this is the organization's default workspace.",
			Computed:            true,
		},
		"display_color": computedDSString("Color of the workspace in the Console (hex), or `null`."),
		"created_at":    computedDSString("When the workspace was created (RFC 3339)."),
		"archived_at":   computedDSString("When the workspace was archived (RFC 3339); `null` for live ones."),
	}
	if lookupKeys {
		attrs["id"] = schema.StringAttribute{
			MarkdownDescription: "Look the workspace up by ID (`wrkspc_...`). Set exactly one of `id`, `name` and `default = true`.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{idValidator(policy.PrefixWorkspace, "workspace")},
		}
		attrs["name"] = schema.StringAttribute{
			MarkdownDescription: "Look the workspace up by name, among live workspaces (the default one included); it must match exactly one.",
			Optional:            true,
			Computed:            true,
		}
		attrs["default"] = schema.BoolAttribute{
			MarkdownDescription: "Set to `true` to look up the organization's default workspace. Computed for the other look-ups.",
			Optional:            true,
			Computed:            true,
		}
	}
	return attrs
}

func (d *workspaceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_workspace"
}

func (d *workspaceDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up one workspace of the organization by `id`, by `name`, or the default workspace (`default = true`).\n\n" +
			"The default workspace is an ordinary workspace with its own `wrkspc_...` ID, and that ID is what the API shows everywhere " +
			"(a rule's `workspace_ids`, memberships, enablements). Use this data source instead of hard-coding workspace IDs, so a " +
			"configuration works unchanged in every organization.",
		Attributes: workspaceAttributes(true),
	}
}

func (d *workspaceDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name"), path.MatchRoot("default")),
	}
}

// ValidateConfig refuses default = false: it selects nothing.
func (d *workspaceDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var def types.Bool
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("default"), &def)...)
	if !def.IsNull() && !def.IsUnknown() && !def.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("default"), "default = false selects no workspace",
			"default: set it to true to look up the default workspace, or look a workspace up by id or name instead.")
	}
}

func (d *workspaceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	if !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	var cfg workspaceFields
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	defaultID, err := d.data.defaultWorkspaceID(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to find the default workspace", err.Error())
		return
	}
	var w *client.Workspace
	switch {
	case !cfg.ID.IsNull():
		id := cfg.ID.ValueString()
		if w, err = d.data.client.GetWorkspace(ctx, id); err != nil {
			if client.IsNotFound(err) {
				resp.Diagnostics.AddAttributeError(path.Root("id"), "Workspace not found",
					fmt.Sprintf("id: no workspace %s exists in this organization.\n\n%s", id, apiErrorDetail(err)))
				return
			}
			addAPIError(&resp.Diagnostics, "Unable to read workspace "+id, err)
			return
		}
	case !cfg.Name.IsNull():
		if w = d.findByName(ctx, cfg.Name.ValueString(), resp); w == nil {
			return
		}
	default:
		if w, err = d.data.client.GetWorkspace(ctx, defaultID); err != nil {
			addAPIError(&resp.Diagnostics, "Unable to read the default workspace "+defaultID, err)
			return
		}
	}
	var out workspaceFields
	out.fromAPI(w, defaultID)
	resp.Diagnostics.Append(resp.State.Set(ctx, &out)...)
}

// findByName finds the one live workspace with this name, the default one
// included; none or several are errors on name.
func (d *workspaceDataSource) findByName(ctx context.Context, name string, resp *datasource.ReadResponse) *client.Workspace {
	var found []client.Workspace
	for w, err := range d.data.client.ListWorkspaces(ctx, client.WorkspaceListParams{Limit: workspacePageSize, IncludeDefault: true}) {
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to list workspaces", err)
			return nil
		}
		if w.Name == name {
			found = append(found, w)
		}
	}
	switch len(found) {
	case 0:
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Workspace not found",
			fmt.Sprintf("name: no live workspace named %q exists in this organization.", name))
		return nil
	case 1:
		return &found[0]
	}
	ids := make([]string, len(found))
	for i, w := range found {
		ids[i] = w.ID
	}
	resp.Diagnostics.AddAttributeError(path.Root("name"), "Workspace name is ambiguous",
		fmt.Sprintf("name: %d live workspaces are named %q (%s); look the one you mean up by id.", len(found), name, strings.Join(ids, ", ")))
	return nil
}
