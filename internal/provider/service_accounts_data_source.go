package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

var (
	_ datasource.DataSource              = (*serviceAccountsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*serviceAccountsDataSource)(nil)
)

func newServiceAccountsDataSource() datasource.DataSource { return &serviceAccountsDataSource{} }

type serviceAccountsDataSource struct{ configuredDataSource }

type serviceAccountsDataSourceModel struct {
	IncludeArchived types.Bool               `tfsdk:"include_archived"`
	ServiceAccounts []serviceAccountListItem `tfsdk:"service_accounts"`
}

type serviceAccountListItem struct {
	serviceAccountFields
	ArchivedAt types.String `tfsdk:"archived_at"`
}

func (d *serviceAccountsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_accounts"
}

func (d *serviceAccountsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	item := serviceAccountDataSourceAttributes(false)
	item["archived_at"] = schema.StringAttribute{
		MarkdownDescription: "When the service account was archived (RFC 3339); `null` for live ones.",
		Computed:            true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the organization's service accounts, live ones only unless `include_archived` is `true`. Every page of the API's list is read.",
		Attributes: map[string]schema.Attribute{
			"include_archived": schema.BoolAttribute{
				MarkdownDescription: "Also list archived service accounts. Defaults to `false`.",
				Optional:            true,
			},
			"service_accounts": schema.ListNestedAttribute{
				MarkdownDescription: "The service accounts, in the API's order (newest first).",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: item},
			},
		},
	}
}

func (d *serviceAccountsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	if !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	var cfg serviceAccountsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	params := client.ListParams{Limit: listPageSize, IncludeArchived: cfg.IncludeArchived.ValueBool()}
	cfg.ServiceAccounts = []serviceAccountListItem{}
	for sa, err := range d.data.client.ListServiceAccounts(ctx, params) {
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to list service accounts", err)
			return
		}
		var item serviceAccountListItem
		item.fromAPI(&sa)
		item.ArchivedAt = timePtrString(sa.ArchivedAt)
		cfg.ServiceAccounts = append(cfg.ServiceAccounts, item)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
