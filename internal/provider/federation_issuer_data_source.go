package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

var (
	_ datasource.DataSource                     = (*federationIssuerDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*federationIssuerDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*federationIssuerDataSource)(nil)
)

func newFederationIssuerDataSource() datasource.DataSource { return &federationIssuerDataSource{} }

type federationIssuerDataSource struct{ configuredDataSource }

func (d *federationIssuerDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_issuer"
}

func (d *federationIssuerDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up one live federation issuer by exactly one of `id`, `name` or `issuer_url`, so a module can reuse " +
			"the organization's issuer (for example its one Google issuer, `https://accounts.google.com`) instead of creating another. " +
			"Archived issuers are not found.",
		Attributes: issuerDataSourceAttributes(true),
	}
}

func (d *federationIssuerDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name"), path.MatchRoot("issuer_url")),
	}
}

func (d *federationIssuerDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx, cfg, ok := begin[federationIssuerDataSourceModel](ctx, d.data, req.Config.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	var iss *client.FederationIssuer
	switch {
	case !cfg.ID.IsNull():
		iss = d.byID(ctx, cfg.ID.ValueString(), &resp.Diagnostics)
	case !cfg.Name.IsNull():
		iss = d.byMatch(ctx, "name", cfg.Name.ValueString(), func(i *client.FederationIssuer) bool { return i.Name == cfg.Name.ValueString() }, &resp.Diagnostics)
	default:
		iss = d.byMatch(ctx, "issuer_url", cfg.IssuerURL.ValueString(), func(i *client.FederationIssuer) bool { return i.IssuerURL == cfg.IssuerURL.ValueString() }, &resp.Diagnostics)
	}
	if iss == nil {
		return
	}
	var out federationIssuerDataSourceModel
	out.fromAPI(ctx, iss, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &out)...)
}

func (d *federationIssuerDataSource) byID(ctx context.Context, id string, diags *diag.Diagnostics) *client.FederationIssuer {
	iss, err := d.data.client.GetFederationIssuer(ctx, id)
	shareRead(d.data.reads, issuerKey(id), iss, err)
	return liveByID(diags, "Federation issuer", id, iss, err,
		func(iss *client.FederationIssuer) (string, *time.Time) { return iss.Name, iss.ArchivedAt },
		"archived issuers verify no tokens. Create a new issuer or look up a live one.")
}

// byMatch scans the live issuers. Names are unique; issuer URLs should be
// (one issuer per URL), and an ambiguous URL is an error rather than a
// silent pick.
func (d *federationIssuerDataSource) byMatch(ctx context.Context, key, value string, match func(*client.FederationIssuer) bool, diags *diag.Diagnostics) *client.FederationIssuer {
	var found []client.FederationIssuer
	for iss, err := range d.data.client.ListFederationIssuers(ctx, client.ListParams{Limit: listPageSize}) {
		if err != nil {
			addAPIError(diags, "Unable to list federation issuers", err)
			return nil
		}
		if match(&iss) && !iss.IsArchived() {
			found = append(found, iss)
		}
	}
	switch len(found) {
	case 0:
		diags.AddAttributeError(path.Root(key), "Federation issuer not found",
			fmt.Sprintf("No live federation issuer has %s %q in this organization.", key, value))
		return nil
	case 1:
		return &found[0]
	}
	ids := make([]string, len(found))
	for i, iss := range found {
		ids[i] = fmt.Sprintf("%s (%s)", iss.ID, iss.Name)
	}
	diags.AddAttributeError(path.Root(key), "Several federation issuers match",
		fmt.Sprintf("%d live federation issuers have %s %q: %s. Look one up by id or name, and consider archiving the others: "+
			"one issuer per issuer URL is enough, rules tell workloads apart.", len(found), key, value, strings.Join(ids, ", ")))
	return nil
}

// anthropic_federation_issuers lists the issuers.

func newFederationIssuersDataSource() datasource.DataSource {
	return &archivableListDataSource[client.FederationIssuer, federationIssuerListItem]{
		typeName:         "federation_issuers",
		plural:           "federation issuers",
		listAttr:         "issuers",
		itemsMarkdown:    "The issuers, in the API's order.",
		archivedMarkdown: "When the issuer was archived (RFC 3339); `null` for live issuers.",
		attributes:       func() map[string]schema.Attribute { return issuerDataSourceAttributes(false) },
		list:             (*client.Client).ListFederationIssuers,
		item: func(ctx context.Context, diags *diag.Diagnostics, iss *client.FederationIssuer) (item federationIssuerListItem) {
			item.fromAPI(ctx, iss, diags)
			item.ArchivedAt = timePtrString(iss.ArchivedAt)
			return item
		},
	}
}
