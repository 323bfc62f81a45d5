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

// BenchmarkGetServiceAccountRaw is the floor for BenchmarkGetServiceAccount:
// plain net/http sending the same headers and decoding the same object, as
// bench's client_overhead_ratio measures it.
func BenchmarkGetServiceAccountRaw(b *testing.B) {
	body, _ := json.Marshal(sampleServiceAccount("svac_01"))
	srv := newTestServer(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		_, _ = w.Write(body)
	})
	std, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		b.Fatalf("http.DefaultTransport is a %T", http.DefaultTransport)
	}
	hc := &http.Client{Transport: std.Clone()}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/organizations/service_accounts/svac_01", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("anthropic-version", APIVersion)
		req.Header.Set("anthropic-beta", oauthBeta)
		req.Header.Set("accept", "application/json")
		req.Header.Set("user-agent", "terraform-provider-anthropic/1.2.3")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out ServiceAccount
		err = json.NewDecoder(resp.Body).Decode(&out)
		_ = resp.Body.Close()
		if err != nil || out.ID != "svac_01" {
			b.Fatal(err, out.ID)
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
			data[i] = sampleServiceAccount(fmt.Sprintf("svac_01p%di%d", p, i))
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
