package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

var (
	_ datasource.DataSource              = (*workspacesDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*workspacesDataSource)(nil)
)

func newWorkspacesDataSource() datasource.DataSource { return &workspacesDataSource{} }

type workspacesDataSource struct{ configuredDataSource }

type workspacesDataSourceModel struct {
	IncludeDefault  types.Bool        `tfsdk:"include_default"`
	IncludeArchived types.Bool        `tfsdk:"include_archived"`
	Workspaces      []workspaceFields `tfsdk:"workspaces"`
}

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
	ctx = maskSecrets(ctx)
	if !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	var cfg workspacesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	defaultID, err := d.data.defaultWorkspaceID(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to find the default workspace", err.Error())
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
