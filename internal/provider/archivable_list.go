package provider

// The one implementation of the data sources that list archivable objects
// (anthropic_service_accounts, anthropic_federation_issuers): an optional
// include_archived, a list of items carrying archived_at, and the walk over
// every page. Each type states the rest in its <type>_data_source.go.

import (
	"context"
	"iter"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// archivableListDataSource lists the objects of type T as items I.
type archivableListDataSource[T, I any] struct {
	configuredDataSource
	// typeName follows the provider's name ("service_accounts"); plural
	// names the objects ("service accounts"); listAttr holds the items.
	typeName, plural, listAttr string
	// itemsMarkdown describes the list, archivedMarkdown an item's
	// archived_at.
	itemsMarkdown, archivedMarkdown string
	// attributes are an item's attributes but archived_at.
	attributes func() map[string]schema.Attribute
	// list is the client's list method, such as
	// (*client.Client).ListServiceAccounts; item maps one object.
	list func(c *client.Client, ctx context.Context, p client.ListParams) iter.Seq2[T, error]
	item func(ctx context.Context, diags *diag.Diagnostics, obj *T) I
}

var (
	_ datasource.DataSource              = (*archivableListDataSource[client.ServiceAccount, serviceAccountListItem])(nil)
	_ datasource.DataSourceWithConfigure = (*archivableListDataSource[client.ServiceAccount, serviceAccountListItem])(nil)
)

func (d *archivableListDataSource[T, I]) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + d.typeName
}

func (d *archivableListDataSource[T, I]) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = archivableListSchema(d.plural, d.listAttr, d.itemsMarkdown, d.archivedMarkdown, d.attributes())
}

func (d *archivableListDataSource[T, I]) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	if !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	// The state starts as the configuration: only the list is set.
	var includeArchived types.Bool
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("include_archived"), &includeArchived)...)
	if resp.Diagnostics.HasError() {
		return
	}
	list := func(ctx context.Context, p client.ListParams) iter.Seq2[T, error] {
		return d.list(d.data.client, ctx, p)
	}
	items, ok := listArchivable(ctx, &resp.Diagnostics, d.plural, includeArchived.ValueBool(), list,
		func(obj *T) I { return d.item(ctx, &resp.Diagnostics, obj) })
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(d.listAttr), items)...)
}

// archivableListSchema is the schema of such a data source: plural names
// the objects, listAttr holds them (item gains archived_at, described by
// archivedMarkdown), itemsMarkdown describes that list.
func archivableListSchema(plural, listAttr, itemsMarkdown, archivedMarkdown string, item map[string]schema.Attribute) schema.Schema {
	item["archived_at"] = schema.StringAttribute{MarkdownDescription: archivedMarkdown, Computed: true}
	return schema.Schema{
		MarkdownDescription: "Lists the organization's " + plural + ", live ones only unless `include_archived` is `true`. Every page of the API's list is read.",
		Attributes: map[string]schema.Attribute{
			"include_archived": schema.BoolAttribute{
				MarkdownDescription: "Also list archived " + plural + ". Defaults to `false`.",
				Optional:            true,
			},
			listAttr: schema.ListNestedAttribute{
				MarkdownDescription: itemsMarkdown,
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: item},
			},
		},
	}
}

// listArchivable walks every page of list (archived objects too when
// includeArchived) and maps each object with item. On an API error it
// reports it as "Unable to list <plural>" and returns false.
func listArchivable[T, I any](ctx context.Context, diags *diag.Diagnostics, plural string, includeArchived bool,
	list func(context.Context, client.ListParams) iter.Seq2[T, error], item func(*T) I,
) ([]I, bool) {
	out := []I{}
	for obj, err := range list(ctx, client.ListParams{Limit: listPageSize, IncludeArchived: includeArchived}) {
		if err != nil {
			addAPIError(diags, "Unable to list "+plural, err)
			return nil, false
		}
		out = append(out, item(&obj))
	}
	return out, true
}
