package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testToken = "sk-ant-oat01-TESTtokenVALUE0123456789"

// newTestServer serves h on 127.0.0.1 (httptest's default) and closes it
// with the test.
func newTestServer(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// testOptions keeps retries fast: waits are a millisecond, so no test
// sleeps for real.
func testOptions(baseURL string) Options {
	return Options{
		BaseURL:      baseURL,
		AuthToken:    testToken,
		Version:      "1.2.3",
		MaxRetries:   3,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: time.Millisecond,
	}
}

func newTestClient(t testing.TB, h http.HandlerFunc, mutate ...func(*Options)) *Client {
	t.Helper()
	srv := newTestServer(t, h)
	opts := testOptions(srv.URL)
	for _, m := range mutate {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("request-id", fmt.Sprintf("req_hdr_%d", status))
	writeJSON(w, status, map[string]any{
		"type":       "error",
		"error":      map[string]any{"type": typ, "message": msg},
		"request_id": fmt.Sprintf("req_body_%d", status),
	})
}

func errorTypeFor(status int) string {
	switch status {
	case 400:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 409:
		return "conflict_error"
	case 429:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	default:
		return "api_error"
	}
}

func sampleServiceAccount(id string) map[string]any {
	return map[string]any{
		"type":                 "service_account",
		"id":                   id,
		"name":                 "ci-deployer",
		"description":          "deploys",
		"organization_role":    "developer",
		"created_at":           "2026-01-02T03:04:05Z",
		"created_by_actor_id":  "user_01abc",
		"updated_at":           "2026-01-02T03:04:05Z",
		"updated_by_actor_id":  "user_01abc",
		"archived_at":          nil,
		"archived_by_actor_id": nil,
	}
}

// scripted answers the i-th request (0-based) with statuses[i] (an error
// envelope) until it runs out, then with ok. It counts requests.
type scripted struct {
	statuses []int
	header   http.Header
	ok       func(w http.ResponseWriter, r *http.Request)
	count    atomic.Int32
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	i := int(s.count.Add(1)) - 1
	if i < len(s.statuses) {
		for k, v := range s.header {
			w.Header()[k] = v
		}
		writeAPIError(w, s.statuses[i], errorTypeFor(s.statuses[i]), "scripted failure")
		return
	}
	if s.ok != nil {
		s.ok(w, r)
		return
	}
	writeJSON(w, 200, sampleServiceAccount("svac_01"))
}

// countingTransport counts round trips, including ones that never reach a
// server (dial failures).
type countingTransport struct {
	next  http.RoundTripper
	count atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.count.Add(1)
	return c.next.RoundTrip(r)
}

// refusedURL returns a loopback URL on which nothing listens, so dialing
// it fails with "connection refused" before anything is sent.
func refusedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// recordingLogger keeps every log line for assertions.
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) add(level, msg string, kv []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s %s %v", level, msg, kv))
}

func (l *recordingLogger) Debug(_ context.Context, msg string, kv ...any) { l.add("DEBUG", msg, kv) }
func (l *recordingLogger) Warn(_ context.Context, msg string, kv ...any)  { l.add("WARN", msg, kv) }

func (l *recordingLogger) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func ptr[T any](v T) *T { return &v }

// validObjectFor answers r with a well-formed object of the kind its path
// names, carrying the id in the path (or a fresh one for a create), so
// tests about transport behaviour pass the client's response validation.
func validObjectFor(r *http.Request) map[string]any {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/organizations/"), "/")
	id := ""
	if len(parts) > 1 {
		id = parts[1]
	}
	switch {
	case len(parts) >= 3 && parts[2] == "workspaces" && parts[0] == "service_accounts":
		return map[string]any{"type": "service_account_workspace_member", "service_account_id": id,
			"workspace_id": "wrkspc_1", "workspace_role": "workspace_developer"}
	case len(parts) >= 3 && parts[2] == "workspaces":
		return map[string]any{"type": "federation_rule_workspace", "federation_rule_id": id, "workspace_id": "wrkspc_1"}
	case parts[0] == "federation_issuers":
		if id == "" {
			id = "fdis_01new"
		}
		return map[string]any{"type": "federation_issuer", "id": id, "name": "gh", "issuer_url": "https://issuer.example",
			"jwks": map[string]any{"type": "discovery"}}
	case parts[0] == "federation_rules":
		if id == "" {
			id = "fdrl_01new"
		}
		return map[string]any{"type": "federation_rule", "id": id, "name": "r", "issuer_id": "fdis_1",
			"target": map[string]any{"type": "service_account", "service_account_id": "svac_1"}, "oauth_scope": "workspace:developer"}
	default:
		if id == "" {
			id = "svac_01new"
		}
		return sampleServiceAccount(id)
	}
}
