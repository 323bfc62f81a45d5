package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
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
	serviceAccountModel
	ArchivedAt types.String `tfsdk:"archived_at"`
}

func (d *serviceAccountsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_accounts"
}

func (d *serviceAccountsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = archivableListSchema("service accounts", "service_accounts", "The service accounts, in the API's order (newest first).",
		"When the service account was archived (RFC 3339); `null` for live ones.", serviceAccountDataSourceAttributes(false))
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
	var ok bool
	cfg.ServiceAccounts, ok = listArchivable(ctx, &resp.Diagnostics, "service accounts", cfg.IncludeArchived.ValueBool(), d.data.client.ListServiceAccounts,
		func(sa *client.ServiceAccount) (item serviceAccountListItem) {
			item.fromAPI(sa)
			item.ArchivedAt = timePtrString(sa.ArchivedAt)
			return item
		})
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
