package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

var (
	_ datasource.DataSource                     = (*workspaceDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*workspaceDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*workspaceDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig   = (*workspaceDataSource)(nil)
	_ datasource.DataSource                     = (*workspacesDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*workspacesDataSource)(nil)
)

func newWorkspaceDataSource() datasource.DataSource { return &workspaceDataSource{} }

type workspaceDataSource struct{ configuredDataSource }

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
	ctx, cfg, defaultID, ok := beginWorkspaceRead[workspaceFields](ctx, d.data, req, &resp.Diagnostics)
	if !ok {
		return
	}
	var w *client.Workspace
	var err error
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

// anthropic_workspaces lists the workspaces.

func newWorkspacesDataSource() datasource.DataSource { return &workspacesDataSource{} }

type workspacesDataSource struct{ configuredDataSource }

func (d *workspacesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_workspaces"
}

func (d *workspacesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the organization's workspaces in creation order. As in the API, the default workspace is listed only with " +
			"`include_default = true` (with its own `wrkspc_...` ID and `default = true`), and archived workspaces only with " +
			"`include_archived = true`. Every page of the API's list is read.",
		Attributes: map[string]schema.Attribute{
			"include_default": schema.BoolAttribute{
				MarkdownDescription: "Also list the default workspace. Defaults to `false`, as in the API.",
				Optional:            true,
			},
			"include_archived": schema.BoolAttribute{
				MarkdownDescription: "Also list archived workspaces. Defaults to `false`.",
				Optional:            true,
			},
			"workspaces": schema.ListNestedAttribute{
				MarkdownDescription: "The workspaces, in creation order.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: workspaceAttributes(false)},
			},
		},
	}
}

func (d *workspacesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx, cfg, defaultID, ok := beginWorkspaceRead[workspacesDataSourceModel](ctx, d.data, req, &resp.Diagnostics)
	if !ok {
		return
	}
	params := client.WorkspaceListParams{
		Limit:           workspacePageSize,
		IncludeDefault:  cfg.IncludeDefault.ValueBool(),
		IncludeArchived: cfg.IncludeArchived.ValueBool(),
	}
	cfg.Workspaces = []workspaceFields{}
	for w, err := range d.data.client.ListWorkspaces(ctx, params) {
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to list workspaces", err)
			return
		}
		var f workspaceFields
		f.fromAPI(&w, defaultID)
		cfg.Workspaces = append(cfg.Workspaces, f)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}

// beginWorkspaceRead is begin for the workspace data sources, which also
// need the default workspace's ID to tell it apart.
func beginWorkspaceRead[M any](ctx context.Context, pd *providerData, req datasource.ReadRequest, diags *diag.Diagnostics) (context.Context, M, string, bool) {
	ctx, cfg, ok := begin[M](ctx, pd, req.Config.Get, diags)
	if !ok {
		return ctx, cfg, "", false
	}
	defaultID, err := pd.defaultWorkspaceID(ctx)
	if err != nil {
		diags.AddError("Unable to find the default workspace", err.Error())
		return ctx, cfg, "", false
	}
	return ctx, cfg, defaultID, true
}
