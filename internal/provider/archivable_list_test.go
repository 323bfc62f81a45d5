package provider

import (
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// listArchivable asks for full pages with include_archived as configured,
// maps every object, and turns a failed page into one error diagnostic.
func TestListArchivable(t *testing.T) {
	ctx := context.Background()
	var asked client.ListParams
	list := func(fail error) func(context.Context, client.ListParams) iter.Seq2[string, error] {
		return func(_ context.Context, p client.ListParams) iter.Seq2[string, error] {
			asked = p
			return func(yield func(string, error) bool) {
				for _, s := range []string{"a", "b"} {
					if !yield(s, nil) {
						return
					}
				}
				if fail != nil {
					yield("", fail)
				}
			}
		}
	}
	upper := func(s *string) string { return *s + "!" }

	var diags diag.Diagnostics
	got, ok := listArchivable(ctx, &diags, "things", true, list(nil), upper)
	if !ok || diags.HasError() || len(got) != 2 || got[0] != "a!" || got[1] != "b!" {
		t.Fatalf("got %v %v %v", got, ok, diags)
	}
	if asked.Limit != listPageSize || !asked.IncludeArchived {
		t.Errorf("params = %+v", asked)
	}

	got, ok = listArchivable(ctx, &diags, "things", false, list(nil), upper)
	if !ok || len(got) != 2 || asked.IncludeArchived {
		t.Errorf("include_archived = false: %v %v %+v", got, ok, asked)
	}

	diags = nil
	got, ok = listArchivable(ctx, &diags, "things", false, list(errors.New("boom")), upper)
	if ok || got != nil || diags.ErrorsCount() != 1 || diags.Errors()[0].Summary() != "Unable to list things" {
		t.Errorf("failed page: %v %v %v", got, ok, diags)
	}
}
