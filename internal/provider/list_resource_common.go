package provider

// List resources (Terraform >= 1.14) feed `terraform query`: each result
// names a live object by its resource identity, with a display name and,
// when the query asks for it (include_resource), the object as the
// resource would read it. Archived objects are never listed: the resources
// treat an archived object as gone, so one could not be imported.

import (
	"context"
	"iter"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// liveObjectList is the list resource of a type whose query takes no
// arguments: every live object, named by its id. Each type states the rest
// in its <type>_list_resource.go.
type liveObjectList[T any] struct {
	configuredResource
	// typeName follows the provider's name ("service_account"); plural
	// names the objects ("service accounts"), possessive one object's
	// ("service account's").
	typeName, plural, possessive string
	// list is the client's list method, such as
	// (*client.Client).ListServiceAccounts; describe and model are
	// listResults'.
	list     func(c *client.Client, ctx context.Context, p client.ListParams) iter.Seq2[T, error]
	describe func(*T) (id, displayName string, live bool)
	model    func(ctx context.Context, obj *T, diags *diag.Diagnostics) any
}

var _ list.ListResourceWithConfigure = (*liveObjectList[client.ServiceAccount])(nil)

func (l *liveObjectList[T]) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + l.typeName
}

func (l *liveObjectList[T]) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the organization's live (not archived) " + l.plural + " for `terraform query` (Terraform 1.14 and later). " +
			"Each result carries the " + l.possessive + " identity (`id`) and its name.",
	}
}

func (l *liveObjectList[T]) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	ctx = maskSecrets(ctx)
	if !startList(l.data, stream) {
		return
	}
	all := l.list(l.data.client, ctx, client.ListParams{Limit: listPageSizeFor(req.Limit)})
	stream.Results = listResults(ctx, req, "Unable to list "+l.plural, all, l.describe,
		func(obj *T, diags *diag.Diagnostics) any { return l.model(ctx, obj, diags) })
}

// listPageSizeFor asks the API for no bigger a page than the query's limit.
func listPageSizeFor(limit int64) int {
	if limit > 0 && limit < listPageSize {
		return int(limit)
	}
	return listPageSize
}

// listResults turns an API listing into list results: at most req.Limit of
// them, each with an `id` identity and a display name, and the resource
// object when the query includes it. The listing is lazy, so stopping at
// the limit costs no further pages; an API error ends the stream with one
// error result.
func listResults[T any](ctx context.Context, req list.ListRequest, failure string, all iter.Seq2[T, error],
	describe func(*T) (id, displayName string, live bool), model func(*T, *diag.Diagnostics) any) iter.Seq[list.ListResult] {
	return func(push func(list.ListResult) bool) {
		var n int64
		for obj, err := range all {
			if err != nil {
				var diags diag.Diagnostics
				addAPIError(&diags, failure, err)
				push(list.ListResult{Diagnostics: diags})
				return
			}
			id, name, live := describe(&obj)
			if !live {
				continue
			}
			result := req.NewListResult(ctx)
			result.DisplayName = name
			result.Diagnostics.Append(result.Identity.Set(ctx, idIdentity{ID: types.StringValue(id)})...)
			if req.IncludeResource {
				m := model(&obj, &result.Diagnostics)
				result.Diagnostics.Append(result.Resource.Set(ctx, m)...)
			}
			n++
			if !push(result) || (req.Limit > 0 && n >= req.Limit) {
				return
			}
		}
	}
}

// startList reports whether the provider can list; otherwise it answers the
// stream with the diagnostic why not.
func startList(pd *providerData, stream *list.ListResultsStream) bool {
	var diags diag.Diagnostics
	if requireClient(pd, &diags) {
		return true
	}
	stream.Results = list.ListResultsStreamDiagnostics(diags)
	return false
}
