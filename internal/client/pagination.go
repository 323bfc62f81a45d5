package client

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// MaxPageSize is the largest page the WIF list endpoints serve.
const MaxPageSize = 100

// ListParams are the paging parameters common to list endpoints.
type ListParams struct {
	// Limit is the page size, 1..100; 0 lets the server choose (20).
	Limit int
	// IncludeArchived also returns archived objects.
	IncludeArchived bool
}

func (p ListParams) query() (url.Values, error) {
	if p.Limit < 0 || p.Limit > MaxPageSize {
		return nil, fmt.Errorf("anthropic: list limit %d out of range 1..%d", p.Limit, MaxPageSize)
	}
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.IncludeArchived {
		q.Set("include_archived", "true")
	}
	return q, nil
}

type listPage[T any] struct {
	Data     []T     `json:"data"`
	NextPage *string `json:"next_page"`
}

// paginate walks a list endpoint page by page, lazily: a consumer that
// stops early costs no further requests. An error is yielded once and ends
// the sequence.
func paginate[T any](ctx context.Context, c *Client, path string, q url.Values, qErr error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if qErr != nil {
			yield(zero, qErr)
			return
		}
		// The whole walk has a deadline too: a server answering every page
		// slowly must not hold Terraform for pages × call deadline.
		listCtx, cancel := context.WithTimeout(ctx, c.maxListTime)
		defer cancel()
		seen := map[string]bool{}
		page := ""
		for pages := 1; ; pages++ {
			if pages > c.maxPages {
				// A server that hands out fresh cursors forever would
				// otherwise keep Terraform requesting (and buffering) for
				// as long as it likes.
				yield(zero, fmt.Errorf("anthropic API: GET %s: still more pages after %d; giving up (the server keeps answering a next_page)", path, c.maxPages))
				return
			}
			pq := url.Values{}
			for k, v := range q {
				pq[k] = v
			}
			if page != "" {
				pq.Set("page", page)
			}
			var resp listPage[T]
			if err := c.do(listCtx, request{method: "GET", path: path, query: pq, class: retryIdempotent}, &resp); err != nil {
				if ctx.Err() == nil && listCtx.Err() != nil {
					err = fmt.Errorf("anthropic API: GET %s: listing took longer than %s (%d pages); giving up: %w", path, c.maxListTime, pages-1, err)
				}
				yield(zero, err)
				return
			}
			for _, item := range resp.Data {
				if !yield(item, nil) {
					return
				}
			}
			if resp.NextPage == nil || *resp.NextPage == "" {
				return
			}
			// A server that hands back a cursor twice would otherwise keep
			// Terraform looping forever.
			if seen[*resp.NextPage] {
				yield(zero, fmt.Errorf("anthropic API: GET %s returned a page cursor it had already returned; giving up after %d pages", path, pages))
				return
			}
			seen[*resp.NextPage] = true
			page = *resp.NextPage
		}
	}
}

// Collect drains seq into a slice, stopping at the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
