package provider

// What the data sources that list archivable objects (service accounts,
// federation issuers) share: include_archived, a list of items carrying
// archived_at, and the walk over every page.

import (
	"context"
	"iter"

	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

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
