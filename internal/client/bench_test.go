package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

func BenchmarkGetServiceAccount(b *testing.B) {
	body, _ := json.Marshal(sampleServiceAccount("svac_01"))
	c := newTestClient(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		_, _ = w.Write(body)
	})
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetServiceAccount(ctx, "svac_01"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListIterate walks 10 pages of 100 service accounts.
func BenchmarkListIterate(b *testing.B) {
	const pages, perPage = 10, 100
	bodies := make([][]byte, pages)
	for p := range pages {
		data := make([]any, perPage)
		for i := range data {
			data[i] = sampleServiceAccount(fmt.Sprintf("svac_%d_%d", p, i))
		}
		var next any
		if p < pages-1 {
			next = strconv.Itoa(p + 1)
		}
		bodies[p], _ = json.Marshal(map[string]any{"data": data, "next_page": next})
	}
	c := newTestClient(b, func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		_, _ = w.Write(bodies[p])
	})
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range c.ListServiceAccounts(ctx, ListParams{Limit: perPage}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != pages*perPage {
			b.Fatalf("n = %d", n)
		}
	}
}

func BenchmarkFieldMarshal(b *testing.B) {
	p := FederationRuleUpdateParams{
		Name:        Set("rule"),
		Description: Null[string](),
		Match:       Set(RuleMatch{Claims: map[string]string{"sub": "123", "email": "a@b"}, Audience: ptr("aud")}),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}
