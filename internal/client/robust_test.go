package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Hostile and broken servers: the client must end every call promptly,
// with a clear error, and never hand a broken object to the provider.

func TestListStopsAtPageCap(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		next := any(fmt.Sprintf("cursor-%d", n)) // a fresh cursor every time
		if n >= 50 {
			next = nil // keep a broken client from running forever
		}
		writeJSON(w, 200, map[string]any{"data": []any{sampleServiceAccount(fmt.Sprintf("svac_%d", n))}, "next_page": next})
	})
	c.maxPages = 5
	items, err := Collect(c.ListServiceAccounts(t.Context(), ListParams{}))
	if err == nil || !strings.Contains(err.Error(), "still more pages after 5") || items != nil {
		t.Fatalf("items=%d err=%v", len(items), err)
	}
	if got := hits.Load(); got != 5 {
		t.Errorf("requests = %d, want 5", got)
	}
}

func TestCallHasOneDeadlineAcrossRetries(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeAPIError(w, 503, "api_error", "unavailable")
	}, func(o *Options) {
		o.MaxRetries = 10
		o.MaxRetryTime = time.Hour
	})
	// The backoff hook sees each retry's deadline and chooses the waits:
	// two retries at once, then every later one would end a second past
	// the deadline. No assertion depends on how fast the machine is.
	var deadlines []time.Time
	c.onBackoff = func(ctx context.Context, _ time.Duration) time.Duration {
		st := stateFrom(ctx)
		if st == nil {
			t.Fatal("no call state in the retry's context")
		}
		deadlines = append(deadlines, st.retryUntil)
		if len(deadlines) < 3 {
			return 0
		}
		return time.Until(st.retryUntil) + time.Second
	}
	// Were the last wait begun, the call would end at this timeout instead
	// of with the 503 (three immediate attempts take milliseconds).
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.GetServiceAccount(ctx, "svac_01")
	end := time.Now()
	if e, ok := AsAPIError(err); !ok || e.StatusCode != 503 {
		t.Fatalf("err = %v, want the last 503", err)
	}
	// The wait past the deadline is not begun (max_retries allows 11
	// attempts), and the call answers at once instead of sleeping.
	if got := hits.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3: the retry whose wait ends past the budget is not begun", got)
	}
	if len(deadlines) < 3 {
		t.Fatalf("backoff consulted %d times, want one per retry and one for the refused wait", len(deadlines))
	}
	// One deadline for the whole call, set when it began: the retries do
	// not each get a fresh budget.
	for i, d := range deadlines {
		if !d.Equal(deadlines[0]) {
			t.Errorf("retry %d has deadline %v, retry 1 had %v: want one deadline per call", i+1, d, deadlines[0])
		}
	}
	if d := deadlines[0]; d.Before(start.Add(time.Hour)) || d.After(end.Add(time.Hour)) {
		t.Errorf("deadline %v, want the call's start + MaxRetryTime (start %v)", d, start)
	}
}

func TestHangingServerBoundedByCallDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var hits atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, func(o *Options) {
		o.MaxRetries = 10
		o.RequestTimeout = 100 * time.Millisecond
		o.MaxRetryTime = 150 * time.Millisecond
	})
	start := time.Now()
	if _, err := c.GetServiceAccount(t.Context(), "svac_01"); err == nil {
		t.Fatal("want an error")
	}
	// request timeout + retry budget, plus slack for a loaded machine.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v, want ≤ ~250ms", d)
	}
	if got := hits.Load(); got < 1 || got > 4 {
		t.Errorf("attempts = %d", got)
	}
}

func TestAbsurdRetryAfterNotSlept(t *testing.T) {
	for _, v := range []string{"1000000000", "1e12", "86400"} {
		t.Run(v, func(t *testing.T) {
			var hits atomic.Int32
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("retry-after", v)
				writeAPIError(w, 429, "rate_limit_error", "slow down")
			}, func(o *Options) {
				o.RetryAfterMax = 0 // the user default: 30 s
				o.MaxRetryTime = 2 * time.Second
			})
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.GetServiceAccount(ctx, "svac_01")
			e, ok := AsAPIError(err)
			if !ok || e.StatusCode != 429 || e.RetryAfter <= time.Hour {
				t.Fatalf("err = %v, want the 429 with its retry-after", err)
			}
			if d := time.Since(start); d > time.Second || hits.Load() != 1 {
				t.Errorf("took %v over %d attempts; a wait longer than the budget must not be begun", d, hits.Load())
			}
		})
	}
}

func TestBrokenSuccessBodies(t *testing.T) {
	for _, body := range []string{`{}`, `null`, `{"id":""}`, `{"id":"fdis_01abc","name":"x","organization_role":"developer"}`, `[]`, `{"id":"svac_01abc"`} {
		t.Run(body, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("request-id", "req_broken")
				_, _ = io.WriteString(w, body)
			})
			_, err := c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "sa"})
			inv, ok := AsInvalidResponse(err)
			if !ok || inv.StatusCode != 200 || inv.RequestID != "req_broken" {
				t.Fatalf("create: err = %v, want an InvalidResponseError with status and request id", err)
			}
			if !strings.Contains(err.Error(), "HTTP 200") || !strings.Contains(err.Error(), "req_broken") {
				t.Errorf("message lacks status or request id: %v", err)
			}
			// A create answered 2xx was carried out: the object may exist.
			if !IsAmbiguous(err) {
				t.Errorf("create with a broken 2xx body must be ambiguous: %v", err)
			}
			_, err = c.GetServiceAccount(t.Context(), "svac_01abc")
			if _, ok := AsInvalidResponse(err); !ok || IsAmbiguous(err) {
				t.Errorf("read: err = %v, want a plain InvalidResponseError", err)
			}
		})
	}
}

func TestBrokenObjectsOfEveryKind(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && (strings.HasSuffix(r.URL.Path, "/workspaces") || strings.HasSuffix(r.URL.Path, "/federation_rules")) {
			_, _ = io.WriteString(w, `{"data":[{}],"next_page":null}`)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	})
	ctx := t.Context()
	calls := map[string]func() error{
		"issuer": func() error { _, err := c.GetFederationIssuer(ctx, "fdis_1"); return err },
		"rule":   func() error { _, err := c.GetFederationRule(ctx, "fdrl_1"); return err },
		"membership": func() error {
			_, err := c.AddServiceAccountWorkspace(ctx, "svac_1", "wrkspc_1", "workspace_user")
			return err
		},
		"memberships": func() error { _, err := c.ListServiceAccountWorkspaces(ctx, "svac_1"); return err },
		"enablement":  func() error { _, err := c.EnableFederationRuleWorkspace(ctx, "fdrl_1", "wrkspc_1"); return err },
		"enablements": func() error { _, err := c.ListFederationRuleWorkspaces(ctx, "fdrl_1"); return err },
		"list":        func() error { _, err := Collect(c.ListFederationRules(ctx, FederationRuleListParams{})); return err },
	}
	for name, call := range calls {
		if _, ok := AsInvalidResponse(call()); !ok {
			t.Errorf("%s: a {} answer was accepted", name)
		}
	}
}

func TestReadByIDMustAnswerThatID(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, sampleServiceAccount("svac_01other"))
	})
	_, err := c.GetServiceAccount(t.Context(), "svac_01asked")
	if err == nil || !strings.Contains(err.Error(), `got an object with id "svac_01other"`) {
		t.Errorf("err = %v", err)
	}
}

func TestWriteInFlightSurvivesCallerCancel(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		close(arrived)
		<-release
		writeJSON(w, 201, sampleServiceAccount("svac_01created"))
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel() // Terraform's interrupt, while the create is in flight
		time.Sleep(20 * time.Millisecond)
		close(release)
	}()
	sa, err := c.CreateServiceAccount(ctx, ServiceAccountCreateParams{Name: "sa"})
	if err != nil || sa.ID != "svac_01created" {
		t.Fatalf("sa=%v err=%v: a create once sent must complete and return its object", sa, err)
	}
}

func TestWriteStopsRetryingWhenCallerCancels(t *testing.T) {
	s := &scripted{statuses: []int{529, 529, 529}}
	c := newTestClient(t, s.ServeHTTP, func(o *Options) { o.MaxRetryTime = 2 * time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c.onBackoff = func(context.Context, time.Duration) time.Duration {
		go cancel()
		return time.Hour // only the caller's cancellation can end this wait
	}
	_, err := c.CreateServiceAccount(ctx, ServiceAccountCreateParams{Name: "sa"})
	if !errors.Is(err, context.Canceled) || IsAmbiguous(err) {
		t.Errorf("err = %v, want context.Canceled, not ambiguous (529 is a refusal)", err)
	}
	if got := s.count.Load(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestAmbiguousWriteFailures(t *testing.T) {
	create := func(c *Client) error {
		_, err := c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "sa"})
		return err
	}
	for status, want := range map[int]bool{500: true, 502: true, 503: true, 504: true, 529: false, 429: false, 400: false, 409: false} {
		s := &scripted{statuses: []int{status, status, status, status}}
		c := newTestClient(t, s.ServeHTTP)
		if got := IsAmbiguous(create(c)); got != want {
			t.Errorf("create answered %d: ambiguous = %v, want %v", status, got, want)
		}
	}
	// A read is never ambiguous: it changes nothing.
	s := &scripted{statuses: []int{500, 500, 500, 500}}
	if _, err := newTestClient(t, s.ServeHTTP).GetServiceAccount(t.Context(), "svac_1"); err == nil || IsAmbiguous(err) {
		t.Errorf("read: %v", err)
	}

	// The connection drops after the request was sent.
	dropped := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("the test server's ResponseWriter cannot be hijacked")
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	if err := create(dropped); !IsAmbiguous(err) {
		t.Errorf("dropped connection: %v, want ambiguous", err)
	}

	// The attempt's timeout strikes while the service is working on it.
	slow := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
	}, func(o *Options) { o.RequestTimeout = 50 * time.Millisecond })
	if err := create(slow); !IsAmbiguous(err) {
		t.Errorf("timeout mid-request: %v, want ambiguous", err)
	}

	// Nothing listens: the request never left.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	opts := testOptions("http://" + addr)
	opts.MaxRetries = 0
	refused, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := create(refused); err == nil || IsAmbiguous(err) {
		t.Errorf("dial error: %v, want a plain failure", err)
	}
}

func TestFindByName(t *testing.T) {
	ps := &pagedServer{
		pages: map[string][]string{"": {"svac_1", "svac_2"}, "c2": {"svac_3"}},
		next:  map[string]any{"": "c2", "c2": nil},
	}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		// Every sample is named ci-deployer; rename by id so one matches.
		var data []any
		for _, id := range ps.pages[r.URL.Query().Get("page")] {
			sa := sampleServiceAccount(id)
			sa["name"] = "sa-" + strings.TrimPrefix(id, "svac_")
			if id == "svac_2" {
				sa["name"] = "sa-3" // archived namesake: not the live one
				sa["archived_at"] = "2026-01-03T00:00:00Z"
			}
			data = append(data, sa)
		}
		writeJSON(w, 200, map[string]any{"data": data, "next_page": ps.next[r.URL.Query().Get("page")]})
	})
	sa, err := c.FindServiceAccountByName(t.Context(), "sa-3")
	if err != nil || sa == nil || sa.ID != "svac_3" {
		t.Fatalf("sa=%v err=%v", sa, err)
	}
	if sa, err := c.FindServiceAccountByName(t.Context(), "nope"); err != nil || sa != nil {
		t.Fatalf("sa=%v err=%v", sa, err)
	}
}

// The default budget rides out a long overload: ten refusals in a row (a
// 30% fault rate makes five in a row common across a large apply).
func TestDefaultBudgetRidesOutOverload(t *testing.T) {
	s := &scripted{statuses: []int{529, 529, 529, 529, 529, 529, 529, 529, 529, 529}}
	c := newTestClient(t, s.ServeHTTP, func(o *Options) { o.MaxRetries = -1 })
	if _, err := c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "sa"}); err != nil {
		t.Fatalf("err = %v after %d attempts", err, s.count.Load())
	}
	if got := s.count.Load(); got != 11 {
		t.Errorf("attempts = %d, want 11", got)
	}
}

// A server that streams a body without end is cut off at the size cap; the
// client neither buffers it all nor waits for it to finish.
func TestEndlessBodyCutOff(t *testing.T) {
	chunk := []byte(strings.Repeat("a", 64<<10))
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":[],"next_page":"`)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	start := time.Now()
	_, err := Collect(c.ListServiceAccounts(t.Context(), ListParams{}))
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("err = %v", err)
	}
	_, err = c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "sa"})
	if inv, ok := AsInvalidResponse(err); !ok || !strings.Contains(inv.Problem, "exceeds") || !IsAmbiguous(err) {
		t.Fatalf("create: err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// Every kind of write, once sent, completes when the caller cancels:
// issuers, rules, memberships and enablements as well as service accounts.
func TestEveryWriteSurvivesCallerCancel(t *testing.T) {
	writes := map[string]func(ctx context.Context, c *Client) error{
		"issuer": func(ctx context.Context, c *Client) error {
			_, err := c.CreateFederationIssuer(ctx, FederationIssuerCreateParams{Name: "gh", IssuerURL: "https://issuer.example"})
			return err
		},
		"rule": func(ctx context.Context, c *Client) error {
			_, err := c.CreateFederationRule(ctx, FederationRuleCreateParams{Name: "r", IssuerID: "fdis_1"})
			return err
		},
		"membership": func(ctx context.Context, c *Client) error {
			_, err := c.AddServiceAccountWorkspace(ctx, "svac_1", "wrkspc_1", "workspace_developer")
			return err
		},
		"enablement": func(ctx context.Context, c *Client) error {
			_, err := c.EnableFederationRuleWorkspace(ctx, "fdrl_1", "wrkspc_1")
			return err
		},
		"update": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateFederationRule(ctx, "fdrl_1", FederationRuleUpdateParams{Name: Set("n")})
			return err
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			arrived := make(chan struct{})
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				close(arrived)
				time.Sleep(50 * time.Millisecond)
				writeJSON(w, 200, validObjectFor(r))
			})
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				<-arrived
				cancel()
			}()
			if err := write(ctx, c); err != nil {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestInvalidResponseNeverQuotesTheToken(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"id": r.Header.Get("authorization")})
	})
	_, err := c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "sa"})
	if err == nil || strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("err = %v", err)
	}
}

func TestListWalkHasADeadline(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		time.Sleep(30 * time.Millisecond) // slow, but each page within its own deadline
		next := any(fmt.Sprintf("cursor-%d", n))
		if n >= 100 {
			next = nil
		}
		writeJSON(w, 200, map[string]any{"data": []any{}, "next_page": next})
	})
	c.maxListTime = 200 * time.Millisecond
	start := time.Now()
	_, err := Collect(c.ListServiceAccounts(t.Context(), ListParams{}))
	if err == nil || !strings.Contains(err.Error(), "listing took longer than 200ms") {
		t.Fatalf("err = %v after %d pages", err, hits.Load())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}
