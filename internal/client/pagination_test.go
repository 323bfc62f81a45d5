package client

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// pagedServer serves pages of service accounts keyed by the page cursor
// and records every query it receives.
type pagedServer struct {
	pages   map[string][]string // cursor ("" = first) -> ids
	next    map[string]any      // cursor -> next_page value
	failOn  string              // cursor that answers 500
	mu      sync.Mutex
	queries []string
	hits    atomic.Int32
}

func (p *pagedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.hits.Add(1)
	p.mu.Lock()
	p.queries = append(p.queries, r.URL.RawQuery)
	p.mu.Unlock()
	cursor := r.URL.Query().Get("page")
	if p.failOn != "" && cursor == p.failOn {
		writeAPIError(w, 400, "invalid_request_error", "page: invalid cursor")
		return
	}
	var data []any
	for _, id := range p.pages[cursor] {
		data = append(data, sampleServiceAccount(id))
	}
	writeJSON(w, 200, map[string]any{"data": data, "next_page": p.next[cursor]})
}

func threePages() *pagedServer {
	return &pagedServer{
		pages: map[string][]string{"": {"svac_1", "svac_2"}, "c2": {"svac_3", "svac_4"}, "c3": {"svac_5"}},
		next:  map[string]any{"": "c2", "c2": "c3", "c3": nil},
	}
}

func TestListFollowsPages(t *testing.T) {
	ps := threePages()
	c := newTestClient(t, ps.ServeHTTP)
	var ids []string
	for sa, err := range c.ListServiceAccounts(t.Context(), ListParams{Limit: 2, IncludeArchived: true}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sa.ID)
	}
	if got := strings.Join(ids, ","); got != "svac_1,svac_2,svac_3,svac_4,svac_5" {
		t.Errorf("ids = %s", got)
	}
	want := []string{
		"include_archived=true&limit=2",
		"include_archived=true&limit=2&page=c2",
		"include_archived=true&limit=2&page=c3",
	}
	if fmt.Sprint(ps.queries) != fmt.Sprint(want) {
		t.Errorf("queries = %v\nwant      %v", ps.queries, want)
	}
}

func TestListStopsWhenConsumerBreaks(t *testing.T) {
	ps := threePages()
	c := newTestClient(t, ps.ServeHTTP)
	n := 0
	for _, err := range c.ListServiceAccounts(t.Context(), ListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break // the last item of page 1: page 2 must never be fetched
		}
	}
	if got := ps.hits.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
	if ps.queries[0] != "" {
		t.Errorf("default params sent a query: %q", ps.queries[0])
	}
}

func TestListErrorYieldedOnce(t *testing.T) {
	ps := threePages()
	ps.failOn = "c2"
	c := newTestClient(t, ps.ServeHTTP)
	var ids []string
	var errs []error
	for sa, err := range c.ListServiceAccounts(t.Context(), ListParams{}) {
		if err != nil {
			errs = append(errs, err)
			continue // a careless consumer must still not see it twice
		}
		ids = append(ids, sa.ID)
	}
	if len(errs) != 1 || !IsBadRequest(errs[0]) {
		t.Errorf("errors = %v", errs)
	}
	if strings.Join(ids, ",") != "svac_1,svac_2" {
		t.Errorf("ids before the error = %v", ids)
	}
	if _, err := Collect(c.ListServiceAccounts(t.Context(), ListParams{})); !IsBadRequest(err) {
		t.Errorf("Collect err = %v", err)
	}
}

func TestListRepeatedCursor(t *testing.T) {
	ps := &pagedServer{
		pages: map[string][]string{"": {"svac_a"}, "loop": {"svac_b"}},
		next:  map[string]any{"": "loop", "loop": "loop"},
	}
	c := newTestClient(t, ps.ServeHTTP)
	items, err := Collect(c.ListServiceAccounts(t.Context(), ListParams{}))
	if err == nil || !strings.Contains(err.Error(), "page cursor it had already returned") || items != nil {
		t.Errorf("items=%v err=%v", items, err)
	}
	if ps.hits.Load() != 2 {
		t.Errorf("hits = %d", ps.hits.Load())
	}
}

func TestListEmptyAndMissingNextPage(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":null}`))
	})
	items, err := Collect(c.ListFederationIssuers(t.Context(), ListParams{}))
	if err != nil || len(items) != 0 {
		t.Errorf("items=%v err=%v", items, err)
	}
}

func TestListLimitValidated(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, func(http.ResponseWriter, *http.Request) { hits.Add(1) })
	for _, limit := range []int{-1, 101} {
		n := 0
		for _, err := range c.ListFederationRules(t.Context(), FederationRuleListParams{ListParams: ListParams{Limit: limit}}) {
			n++
			if err == nil || !strings.Contains(err.Error(), "out of range") {
				t.Errorf("limit %d: err = %v", limit, err)
			}
		}
		if n != 1 {
			t.Errorf("limit %d: %d yields", limit, n)
		}
	}
	if hits.Load() != 0 {
		t.Error("invalid limit reached the server")
	}
}

func TestListRulesFiltersByIssuer(t *testing.T) {
	var query string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		writeJSON(w, 200, map[string]any{"data": []any{validObjectFor(r)}, "next_page": nil})
	})
	rules, err := Collect(c.ListFederationRules(t.Context(), FederationRuleListParams{IssuerID: "fdis_1", ListParams: ListParams{Limit: 100}}))
	if err != nil || len(rules) != 1 || rules[0].IssuerID != "fdis_1" {
		t.Fatalf("rules=%v err=%v", rules, err)
	}
	if query != "issuer_id=fdis_1&limit=100" {
		t.Errorf("query = %q", query)
	}
}

func TestListMembershipsFollowsPages(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "" {
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"service_account_id": "svac_1", "workspace_id": "default", "workspace_role": "workspace_user", "implicit": true}}, "next_page": "p2"})
			return
		}
		writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"service_account_id": "svac_1", "workspace_id": "wrkspc_1", "workspace_role": "workspace_developer"}}, "next_page": nil})
	})
	ms, err := c.ListServiceAccountWorkspaces(t.Context(), "svac_1")
	if err != nil || len(ms) != 2 || !ms[0].Implicit || ms[1].WorkspaceRole != "workspace_developer" {
		t.Errorf("ms=%+v err=%v", ms, err)
	}
}
