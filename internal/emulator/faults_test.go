package emulator

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestInjectedStatusFaults(t *testing.T) {
	h := newHarness(t)
	h.emu.InjectFault(RouteListServiceAccounts, Fault{Status: 529, Times: 2})
	for range 2 {
		r := h.admin("GET", saPath, nil)
		wantError(t, r, 529, "overloaded_error", "injected")
		if r.header.Get("request-id") == "" || r.str("request_id") == "" {
			t.Fatalf("fault without request id: %s", r.raw)
		}
	}
	must(t, h.admin("GET", saPath, nil))

	// Faults are per route: other routes are untouched.
	h.emu.InjectFault(RouteGetServiceAccount, Fault{Status: 500})
	must(t, h.admin("GET", saPath, nil))
	wantError(t, h.admin("GET", saPath+"/svac_01AAAAAAAAAAAAAAAAAAAAAAAA", nil), 500, "api_error", "")

	h.emu.InjectFault(RouteListIssuers, Fault{Status: 429, RetryAfter: 1500 * time.Millisecond})
	r := h.admin("GET", issPath, nil)
	wantError(t, r, 429, "rate_limit_error", "")
	if got := r.header.Get("retry-after"); got != "2" {
		t.Fatalf("retry-after = %q", got)
	}
	h.emu.InjectFault(RouteListIssuers, Fault{Status: 503})
	wantError(t, h.admin("GET", issPath, nil), 503, "api_error", "")

	// Queued faults apply in order; ClearFaults drops the rest.
	h.emu.InjectFault(RouteListRules, Fault{Status: 500})
	h.emu.InjectFault(RouteListRules, Fault{Status: 529})
	wantError(t, h.admin("GET", rulesPath, nil), 500, "api_error", "")
	h.emu.ClearFaults()
	must(t, h.admin("GET", rulesPath, nil))

	// Latency-only fault: answered normally.
	h.emu.InjectFault(RouteListRules, Fault{Latency: 5 * time.Millisecond})
	must(t, h.admin("GET", rulesPath, nil))

	// Faults strike before authentication, like an overloaded front end.
	h.emu.InjectFault(RouteListRules, Fault{Status: 529})
	wantError(t, h.call("GET", rulesPath, "", nil), 529, "overloaded_error", "")
}

func TestAfterProcessingFault(t *testing.T) {
	h := newHarness(t)
	h.emu.InjectFault(RouteCreateServiceAccount, Fault{Status: 500, AfterProcessing: true})
	wantError(t, h.admin("POST", saPath, map[string]any{"name": "lost-reply"}), 500, "api_error", "")
	list := must(t, h.admin("GET", saPath, nil)).data()
	if len(list) != 1 || list[0]["name"] != "lost-reply" {
		t.Fatalf("write not applied: %v", list)
	}
	// A blind retry now collides with the write that did happen.
	wantError(t, h.admin("POST", saPath, map[string]any{"name": "lost-reply"}), 409, "conflict_error", "lost-reply")
}

// rawPost sends a POST on a fresh connection and reports the transport error.
func (h *harness) rawPost(path, body string) (*http.Response, error) {
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.emu.AdminToken())
	req.Header.Set("content-type", "application/json")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Do(req)
	if err == nil {
		_ = res.Body.Close()
	}
	return res, err
}

func TestDropConnectionFault(t *testing.T) {
	h := newHarness(t)
	h.emu.InjectFault(RouteCreateServiceAccount, Fault{DropConnection: true})
	if _, err := h.rawPost(saPath, `{"name":"dropped"}`); err == nil {
		t.Fatal("expected a transport error")
	}
	if n := len(must(t, h.admin("GET", saPath, nil)).data()); n != 0 {
		t.Fatalf("dropped request was applied (%d accounts)", n)
	}

	h.emu.InjectFault(RouteCreateServiceAccount, Fault{DropConnection: true, AfterProcessing: true})
	if _, err := h.rawPost(saPath, `{"name":"applied-then-dropped"}`); err == nil {
		t.Fatal("expected a transport error")
	}
	list := must(t, h.admin("GET", saPath, nil)).data()
	if len(list) != 1 || list[0]["name"] != "applied-then-dropped" {
		t.Fatalf("write not applied: %v", list)
	}
	if got := h.emu.RequestCount(RouteCreateServiceAccount); got != 2 {
		t.Fatalf("RequestCount = %d", got)
	}
}

func TestCounters(t *testing.T) {
	h := newHarness(t)
	h.emu.InjectFault(RouteListServiceAccounts, Fault{Status: 529})
	h.admin("GET", saPath, nil)
	h.admin("GET", saPath, nil)
	h.call("GET", saPath, "", nil) // unauthenticated still counts
	h.admin("GET", "/v1/nowhere", nil)
	if got := h.emu.RequestCount(RouteListServiceAccounts); got != 3 {
		t.Fatalf("RequestCount = %d", got)
	}
	if got := h.emu.RequestCount(RouteGetServiceAccount); got != 0 {
		t.Fatalf("RequestCount(get) = %d", got)
	}
	if got := h.emu.TotalRequests(); got != 4 {
		t.Fatalf("TotalRequests = %d", got)
	}
	h.emu.ResetCounters()
	if h.emu.TotalRequests() != 0 || h.emu.RequestCount(RouteListServiceAccounts) != 0 {
		t.Fatal("ResetCounters")
	}
	if len(Routes()) != 32 {
		t.Fatalf("%d routes", len(Routes()))
	}
	defer func() {
		if recover() == nil {
			t.Fatal("InjectFault on an unknown route should panic")
		}
	}()
	h.emu.InjectFault("GET /v1/typo", Fault{Status: 500})
}

func TestRandomFaultRate(t *testing.T) {
	emu := New(Options{Seed: 3, FaultRate: 0.5})
	h := &harness{t: t, emu: emu, srv: newServer(t, emu)}
	counts := map[int]int{}
	for range 40 {
		counts[h.admin("GET", saPath, nil).status]++
	}
	if counts[529] == 0 || counts[200] == 0 || counts[529]+counts[200] != 40 {
		t.Fatalf("statuses %v", counts)
	}
	emu.SetFaultRate(1)
	wantError(t, h.admin("GET", saPath, nil), 529, "overloaded_error", "Overloaded")
	emu.SetFaultRate(0)
	must(t, h.admin("GET", saPath, nil))
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLatencyAndLogging(t *testing.T) {
	var logs syncBuffer
	emu := New(Options{Latency: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	h := &harness{t: t, emu: emu, srv: newServer(t, emu)}
	r := must(t, h.admin("GET", saPath, nil))
	h.call("GET", saPath, "", nil, "x-api-key", "sk-ant-api03-secretkey")
	out := logs.String()
	if !strings.Contains(out, r.header.Get("request-id")) || !strings.Contains(out, "status=401") {
		t.Fatalf("log: %s", out)
	}
	if strings.Contains(out, emu.AdminToken()) || strings.Contains(out, "secretkey") {
		t.Fatal("log leaks a credential")
	}
}

func TestRandomFaultMix(t *testing.T) {
	emu := New(Options{Seed: 5})
	h := &harness{t: t, emu: emu, srv: newServer(t, emu)}
	emu.SetRandomFaults(RandomFaults{Rate: 0.5, Statuses: []int{529, 503, 429}, RetryAfter: 1500 * time.Millisecond,
		SpikeRate: 0.2, Spike: time.Millisecond})
	counts := map[int]int{}
	for range 60 {
		r := h.admin("GET", saPath, nil)
		counts[r.status]++
		if r.status != 200 && r.header.Get("retry-after") != "2" {
			t.Fatalf("random fault %d without retry-after: %v", r.status, r.header)
		}
	}
	if counts[200] == 0 || counts[529] == 0 || counts[503] == 0 || counts[429] == 0 || counts[200]+counts[529]+counts[503]+counts[429] != 60 {
		t.Fatalf("statuses %v", counts)
	}
	// Random faults refuse before processing: nothing is created.
	emu.SetRandomFaults(RandomFaults{Rate: 1, Statuses: []int{503}})
	wantError(t, h.admin("POST", saPath, map[string]any{"name": "never"}), 503, "api_error", "random fault")
	emu.SetRandomFaults(RandomFaults{})
	if list := must(t, h.admin("GET", saPath, nil)).data(); len(list) != 0 {
		t.Fatalf("a refused create was processed: %v", list)
	}
}

func TestBodyFault(t *testing.T) {
	h := newHarness(t)
	h.emu.InjectFault(RouteCreateServiceAccount, Fault{Body: `{}`})
	r := h.admin("POST", saPath, map[string]any{"name": "broken-reply"})
	if r.status != 200 || strings.TrimSpace(string(r.raw)) != `{}` {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	if list := must(t, h.admin("GET", saPath, nil)).data(); len(list) != 0 {
		t.Fatalf("a body fault without AfterProcessing was processed: %v", list)
	}
	h.emu.InjectFault(RouteCreateServiceAccount, Fault{Status: 201, Body: `null`, AfterProcessing: true})
	r = h.admin("POST", saPath, map[string]any{"name": "lost-reply"})
	if r.status != 201 || strings.TrimSpace(string(r.raw)) != `null` {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	if list := must(t, h.admin("GET", saPath, nil)).data(); len(list) != 1 || list[0]["name"] != "lost-reply" {
		t.Fatalf("list = %v", list)
	}
}
