package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/exchange"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var bg = context.Background()

const testCIIssuer = "https://ci.example.com"

// issuer signs the identity tokens of these tests (RS256).
var issuer = sync.OnceValue(func() *googleemu.Google { return googleemu.New(googleemu.Options{}) })

// testIdentity mints a fresh, signed identity token on every call (like the
// metadata server), on the given clock.
type testIdentity struct {
	t         *testing.T
	now       func() time.Time
	renewable bool
	calls     atomic.Int32
	token     string // fixed token for a non-renewable source
}

func (s *testIdentity) Token(context.Context) (string, error) {
	s.calls.Add(1)
	if !s.renewable {
		return s.token, nil
	}
	now := s.now()
	return issuer().SignClaims(map[string]any{"iss": testCIIssuer, "sub": "repo:acme/app", "aud": policy.DefaultAudience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": fmt.Sprint(s.calls.Load())})
}

func (s *testIdentity) Renewable() bool  { return s.renewable }
func (s *testIdentity) Describe() string { return "the test identity" }

// fakeExchange mints "tok-N" tokens and can be told to fail.
type fakeExchange struct {
	mu       sync.Mutex
	n        int
	lifetime int64
	fail     error
	// block, when set, holds every exchange until closed.
	block chan struct{}
}

func (f *fakeExchange) exchange(context.Context, client.TokenExchangeParams) (*client.TokenExchangeResponse, error) {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.fail != nil {
		return nil, f.fail
	}
	return &client.TokenExchangeResponse{AccessToken: fmt.Sprintf("tok-%d", f.n), TokenType: "Bearer", ExpiresIn: f.lifetime, Scope: policy.ScopeOrgAdmin}, nil
}

func (f *fakeExchange) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *fakeExchange) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func newTestTokenSource(t *testing.T, clock *clock, src identity.Source, ex *fakeExchange) *TokenSource {
	t.Helper()
	return NewFederationTokenSource(&Federation{
		Target: exchange.Target{RuleID: "fdrl_01" + strings.Repeat("a", 24), OrganizationID: "9b0f2d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"},
		Source: src,
	}, exchange.Options{Send: ex.exchange, Now: clock.Now}, nil)
}

func mustToken(t *testing.T, s *TokenSource) string {
	t.Helper()
	tok, err := s.Token(bg)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The admin token is exchanged once and cached; with 30-120 s left it is
// refreshed in the background while the old one is still handed out; under
// 30 s callers wait for a new one; failures are spaced out.
func TestFederationTokenSource_refreshTiming(t *testing.T) {
	clock := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	ex := &fakeExchange{lifetime: 3600}
	s := newTestTokenSource(t, clock, &testIdentity{t: t, now: clock.Now, renewable: true}, ex)
	expect := func(want string, exchanges int) {
		t.Helper()
		if got := mustToken(t, s); got != want {
			t.Errorf("token %q, want %q", got, want)
		}
		s.Wait()
		if n := ex.count(); n != exchanges {
			t.Errorf("%d exchanges, want %d", n, exchanges)
		}
	}

	expect("tok-1", 1)
	clock.Advance(3400 * time.Second) // 200 s left: cached
	expect("tok-1", 1)
	clock.Advance(100 * time.Second) // 100 s left: old token now, new one in the background
	expect("tok-1", 2)
	expect("tok-2", 2)

	// A failing background refresh keeps the valid token and is retried
	// no sooner than BackgroundRetryDelay later.
	ex.setFail(errors.New("exchange down"))
	clock.Advance(3500 * time.Second) // tok-2 has 100 s left
	expect("tok-2", 3)
	expect("tok-2", 3)
	clock.Advance(BackgroundRetryDelay)
	expect("tok-2", 4)

	// Under 30 s left the caller waits, and gets the error if it fails;
	// callers right behind it get the same error without another exchange.
	clock.Advance(75 * time.Second) // 15 s left
	for range 2 {
		if _, err := s.Token(bg); err == nil || !strings.Contains(err.Error(), "exchange down") {
			t.Fatalf("err = %v", err)
		}
	}
	if n := ex.count(); n != 5 {
		t.Errorf("%d exchanges, want 5 (failures are held for %s)", n, FailureHold)
	}
	ex.setFail(nil)
	clock.Advance(FailureHold)
	expect("tok-6", 6)

	// Short-lived tokens refresh at half and a quarter of their lifetime.
	ex.lifetime = 60
	clock.Advance(3600 * time.Second)
	expect("tok-7", 7)
	clock.Advance(25 * time.Second) // 35 s left of 60: cached, no refresh
	expect("tok-7", 7)
	clock.Advance(10 * time.Second) // 25 s left: background refresh
	expect("tok-7", 8)
}

// Concurrent callers share one exchange.
func TestFederationTokenSource_singleExchange(t *testing.T) {
	clock := &clock{now: time.Now()}
	ex := &fakeExchange{lifetime: 3600, block: make(chan struct{})}
	s := newTestTokenSource(t, clock, &testIdentity{t: t, now: clock.Now, renewable: true}, ex)
	var wg sync.WaitGroup
	tokens := make([]string, 16)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], _ = s.Token(bg)
		}()
	}
	close(ex.block)
	wg.Wait()
	for _, tok := range tokens {
		if tok != "tok-1" {
			t.Fatalf("tokens %v, want all tok-1", tokens)
		}
	}
	if n := ex.count(); n != 1 {
		t.Errorf("%d exchanges, want 1", n)
	}
}

// A literal identity token is sent once: the provider never re-sends it,
// and says why when its access token runs out.
func TestFederationTokenSource_literalIsNeverResent(t *testing.T) {
	clock := &clock{now: time.Now()}
	literal, err := issuer().SignClaims(map[string]any{"iss": testCIIssuer, "sub": "repo:acme/app", "aud": policy.DefaultAudience,
		"iat": clock.Now().Unix(), "exp": clock.Now().Add(3 * time.Hour).Unix(), "jti": "once"})
	if err != nil {
		t.Fatal(err)
	}
	src := &testIdentity{t: t, token: literal}
	ex := &fakeExchange{lifetime: 3600}
	s := newTestTokenSource(t, clock, src, ex)
	if tok := mustToken(t, s); tok != "tok-1" {
		t.Fatalf("token %q", tok)
	}
	clock.Advance(3590 * time.Second) // 10 s left: nothing better exists
	if tok := mustToken(t, s); tok != "tok-1" {
		t.Fatalf("token %q", tok)
	}
	clock.Advance(time.Minute)
	_, err = s.Token(bg)
	if err == nil || !strings.Contains(err.Error(), "cannot be exchanged again") || strings.Contains(err.Error(), literal) {
		t.Errorf("err = %v", err)
	}
	if n := ex.count(); n != 1 || src.calls.Load() != 1 {
		t.Errorf("%d exchanges of %d assertions, want 1 of 1", n, src.calls.Load())
	}
	// A 401 does not make it re-send either.
	if _, ok := s.AfterUnauthorized(bg, "tok-1"); ok {
		t.Error("a literal token was re-exchanged after a 401")
	}

	// A literal token whose one exchange failed keeps reporting that failure.
	denied := &fakeExchange{lifetime: 3600, fail: errors.New("denied for a reason")}
	s = newTestTokenSource(t, clock, &testIdentity{t: t, token: literal}, denied)
	for range 2 {
		if _, err := s.Token(bg); err == nil || !strings.Contains(err.Error(), "denied for a reason") {
			t.Fatalf("err = %v", err)
		}
		clock.Advance(time.Minute)
	}
	if n := denied.count(); n != 1 {
		t.Errorf("%d exchanges of a literal token, want 1", n)
	}
}
