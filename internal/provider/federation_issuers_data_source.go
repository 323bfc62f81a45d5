package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
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
	item := issuerDataSourceAttributes(false)
	item["archived_at"] = schema.StringAttribute{
		MarkdownDescription: "When the issuer was archived (RFC 3339); `null` for live issuers.",
		Computed:            true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the organization's federation issuers, live ones only unless `include_archived` is `true`. Every page of the API's list is read.",
		Attributes: map[string]schema.Attribute{
			"include_archived": schema.BoolAttribute{
				MarkdownDescription: "Also list archived issuers. Defaults to `false`.",
				Optional:            true,
			},
			"issuers": schema.ListNestedAttribute{
				MarkdownDescription: "The issuers, in the API's order.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: item},
			},
		},
	}
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
	params := client.ListParams{Limit: listPageSize, IncludeArchived: cfg.IncludeArchived.ValueBool()}
	cfg.Issuers = []federationIssuerListItem{}
	for iss, err := range d.data.client.ListFederationIssuers(ctx, params) {
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to list federation issuers", err)
			return
		}
		var item federationIssuerListItem
		item.fromAPI(ctx, &iss, &resp.Diagnostics)
		item.ArchivedAt = timePtrString(iss.ArchivedAt)
		cfg.Issuers = append(cfg.Issuers, item)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
