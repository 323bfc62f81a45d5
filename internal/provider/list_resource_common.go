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
	"github.com/hashicorp/terraform-plugin-framework/types"
)

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
