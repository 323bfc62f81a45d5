package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a manual clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// exchanger mints "tok-N" tokens of an hour on the clock.
type exchanger struct {
	mu    sync.Mutex
	n     int
	clock *clock
	fail  error
}

func (e *exchanger) exchange(context.Context) (Token, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if e.fail != nil {
		return Token{}, e.fail
	}
	return Token{Value: fmt.Sprintf("tok-%d", e.n), ExpiresAt: e.clock.Now().Add(time.Hour), Lifetime: time.Hour}, nil
}

func (e *exchanger) count() int { e.mu.Lock(); defer e.mu.Unlock(); return e.n }

func newSource(renewable bool) (*TokenSource, *exchanger, *clock) {
	c := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	e := &exchanger{clock: c}
	s := NewTokenSource(Options{
		Exchange: e.exchange, Renewable: renewable, Now: c.Now,
		Spent: func(at time.Time) error { return fmt.Errorf("spent at %s", at.Format(time.RFC3339)) },
	})
	return s, e, c
}

func TestTokenSourceCachesRefreshesAndSpends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, e, c := newSource(true)
	for range 3 {
		if tok, err := s.Token(ctx); err != nil || tok != "tok-1" {
			t.Fatalf("Token = %q, %v", tok, err)
		}
	}
	c.Advance(time.Hour - 20*time.Second) // under SyncRefreshLeft: the caller waits
	if tok, _ := s.Token(ctx); tok != "tok-2" || e.count() != 2 {
		t.Fatalf("near expiry: token %q after %d exchanges", tok, e.count())
	}

	// A non-renewable source exchanges once, then reports it is spent.
	s, e, c = newSource(false)
	if tok, _ := s.Token(ctx); tok != "tok-1" {
		t.Fatalf("token %q", tok)
	}
	c.Advance(2 * time.Hour)
	if _, err := s.Token(ctx); err == nil || !strings.Contains(err.Error(), "spent at") {
		t.Errorf("err = %v", err)
	}
	if _, ok := s.AfterUnauthorized(ctx, "tok-1"); ok || e.count() != 1 {
		t.Errorf("a non-renewable source exchanged again (%d exchanges)", e.count())
	}

	// Failures are held for FailureHold.
	s, e, _ = newSource(true)
	e.fail = errors.New("down")
	for range 2 {
		if _, err := s.Token(ctx); err == nil || err.Error() != "down" {
			t.Fatalf("err = %v", err)
		}
	}
	if e.count() != 1 {
		t.Errorf("%d exchanges within FailureHold, want 1", e.count())
	}
}

// A 401 to a bearer request is answered by one re-send with a new token,
// body included; requests without a bearer token (the exchange) are left
// alone.
func TestHTTPClientResendsOnceAfter401(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, e, c := newSource(true)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization")+" "+string(b))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok-2" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	hc := HTTPClient(s, nil)

	tok, _ := s.Token(ctx)
	c.Advance(time.Minute) // past freshTokenAge: a refusal is worth a new exchange
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("body"))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || e.count() != 2 {
		t.Fatalf("status %d after %d exchanges, want 200 after 2", resp.StatusCode, e.count())
	}

	plain, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("assertion"))
	resp, err = hc.Do(plain)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || e.count() != 2 {
		t.Errorf("a request without a bearer token: status %d after %d exchanges, want the 401 untouched", resp.StatusCode, e.count())
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"Bearer tok-1 body", "Bearer tok-2 body", " assertion"}; strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("server saw %q, want %q", seen, want)
	}
}

// detachingLogger records what a background refresh sees of the caller's
// context.
type detachingLogger struct {
	mu       sync.Mutex
	detached int
	done     int
	warned   []any // the caller's value, as the warning's context had it
}

type callerKey struct{}

func (l *detachingLogger) Debug(context.Context, string, map[string]any) {}

func (l *detachingLogger) Warn(ctx context.Context, _ string, _ map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warned = append(l.warned, ctx.Value(callerKey{}))
}

func (l *detachingLogger) Detach(ctx context.Context) (context.Context, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.detached++
	return context.WithoutCancel(ctx), func() { l.mu.Lock(); l.done++; l.mu.Unlock() }
}

// A background refresh runs on the logger's detached context (so its log
// lines keep the caller's loggers after the caller returned) and releases
// it when it ends.
func TestTokenSourceBackgroundRefreshDetachesThroughLogger(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	e := &exchanger{clock: c}
	log := &detachingLogger{}
	s := NewTokenSource(Options{Exchange: e.exchange, Renewable: true, Now: c.Now, Log: log})
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), callerKey{}, "rpc"))
	if _, err := s.Token(ctx); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour - 90*time.Second) // inside the background window, outside the sync one
	e.mu.Lock()
	e.fail = errors.New("down")
	e.mu.Unlock()
	if tok, err := s.Token(ctx); err != nil || tok != "tok-1" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	cancel() // the caller returns while the refresh runs
	s.Wait()
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.detached != 1 || log.done != 1 {
		t.Fatalf("Detach called %d times, done %d times; want 1 and 1", log.detached, log.done)
	}
	if len(log.warned) != 1 || log.warned[0] != "rpc" {
		t.Fatalf("the failed refresh's warning saw caller values %v, want [rpc]", log.warned)
	}
}
