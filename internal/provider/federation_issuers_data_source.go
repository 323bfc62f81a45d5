package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

var (
	_ datasource.DataSource              = (*federationIssuersDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*federationIssuersDataSource)(nil)
)

func newFederationIssuersDataSource() datasource.DataSource { return &federationIssuersDataSource{} }

type federationIssuersDataSource struct{ configuredDataSource }

type federationIssuersDataSourceModel struct {
	IncludeArchived types.Bool                 `tfsdk:"include_archived"`
	Issuers         []federationIssuerListItem `tfsdk:"issuers"`
}

type federationIssuerListItem struct {
	federationIssuerFields
	ArchivedAt types.String `tfsdk:"archived_at"`
}

func (d *federationIssuersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_issuers"
}

func (d *federationIssuersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = archivableListSchema("federation issuers", "issuers", "The issuers, in the API's order.",
		"When the issuer was archived (RFC 3339); `null` for live issuers.", issuerDataSourceAttributes(false))
}

func (d *federationIssuersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	if !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	var cfg federationIssuersDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var ok bool
	cfg.Issuers, ok = listArchivable(ctx, &resp.Diagnostics, "federation issuers", cfg.IncludeArchived.ValueBool(), d.data.client.ListFederationIssuers,
		func(iss *client.FederationIssuer) (item federationIssuerListItem) {
			item.fromAPI(ctx, iss, &resp.Diagnostics)
			item.ArchivedAt = timePtrString(iss.ArchivedAt)
			return item
		})
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
