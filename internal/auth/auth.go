// Package auth keeps an access token obtained by exchange fresh for a
// client: TokenSource exchanges on first use, caches the token, refreshes it
// before it expires (in the background while the cached one is still good,
// synchronously when it is nearly gone), spaces out failed exchanges, and
// never repeats an exchange whose assertion may be sent only once.
// HTTPClient wraps a transport so a request the API refuses with 401 is
// re-sent once with a newly exchanged token.
//
// For keyless authentication, NewClient builds the Anthropic admin client
// once, already holding a TokenSource whose exchange sends an identity
// token through an org:admin federation rule (internal/exchange: pre-flight
// checks, exactly one attempt), and a transport that re-authenticates after
// a 401; the exchanges themselves go through a second client that holds no
// credential. EnvIdentitySource finds an identity token in the environment
// variables the Anthropic SDKs read, and MissingCredential stands in when
// there is no admin credential at all.
//
// The package knows nothing of Terraform: the caller supplies the settings
// it resolved, the clock and a logger.
package auth

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Refresh timing, as the Anthropic SDKs do it.
const (
	// BackgroundRefreshLeft: with this much left, the cached token is still
	// handed out while one caller exchanges a new one.
	BackgroundRefreshLeft = 120 * time.Second
	// SyncRefreshLeft: with less than this left, callers wait for a new token.
	SyncRefreshLeft = 30 * time.Second
	// BackgroundRetryDelay spaces failed background refreshes.
	BackgroundRetryDelay = 10 * time.Second
	// FailureHold: after a failed exchange, callers within this window get
	// the same error instead of starting another exchange, so parallel
	// callers do not hammer the service with doomed exchanges.
	FailureHold = 5 * time.Second
	// backgroundRefreshTimeout bounds a refresh no caller waits for.
	backgroundRefreshTimeout = 2 * time.Minute
	// freshTokenAge: a token refused this soon after it was minted is not
	// replaced again, since a new exchange would fare no better.
	freshTokenAge = 30 * time.Second
)

// Token is the result of one exchange.
type Token struct {
	Value     string
	ExpiresAt time.Time
	// Lifetime is how long the token was issued for; it scales the refresh
	// windows down for short-lived tokens.
	Lifetime time.Duration
}

// Logger receives the package's log lines (never a token).
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Detacher is a Logger whose log lines need values of the caller's context
// that may go away when the caller returns (the provider's loggers live in
// the RPC's context). A background refresh runs on Detach's context and
// calls done when it ends; without a Detacher it runs on
// context.WithoutCancel of the caller's context.
type Detacher interface {
	Detach(ctx context.Context) (detached context.Context, done func())
}

// Options configure a TokenSource.
type Options struct {
	// Exchange obtains a new token. Its errors are returned to callers as
	// they are.
	Exchange func(ctx context.Context) (Token, error)
	// Renewable reports whether Exchange may be called more than once: a
	// literal assertion must be sent once only (re-sending it would be a
	// replay), so without it the first token is the only one.
	Renewable bool
	// Spent is the error once the only token of a non-renewable source has
	// expired.
	Spent func(expiredAt time.Time) error
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log is optional.
	Log Logger
}

// TokenSource yields the cached access token, exchanging a new one when
// needed. It implements client.TokenSource and is safe for concurrent use.
type TokenSource struct {
	exchange  func(ctx context.Context) (Token, error)
	renewable bool
	spent     func(time.Time) error
	now       func() time.Time
	log       Logger

	// exchangeMu serializes exchanges; mu guards the fields below and is
	// never held during an exchange.
	exchangeMu sync.Mutex
	mu         sync.Mutex
	token      string
	expiresAt  time.Time
	lifetime   time.Duration
	// used is set once a non-renewable assertion was sent: it is never
	// sent again.
	used bool
	// mintedAt is when the current token was obtained.
	mintedAt       time.Time
	refreshing     bool
	nextBackground time.Time
	lastErr        error
	lastErrAt      time.Time
	background     sync.WaitGroup
}

// NewTokenSource builds a TokenSource; nothing is exchanged before the
// first Token call.
func NewTokenSource(o Options) *TokenSource {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &TokenSource{exchange: o.Exchange, renewable: o.Renewable, spent: o.Spent, now: now, log: o.Log}
}

// Wait returns once no background refresh is running.
func (s *TokenSource) Wait() { s.background.Wait() }

// windows are the refresh thresholds for the current token: the SDKs'
// 120 s / 30 s, scaled down for tokens that live only minutes.
func (s *TokenSource) windows() (background, wait time.Duration) {
	return min(BackgroundRefreshLeft, s.lifetime/2), min(SyncRefreshLeft, s.lifetime/4)
}

// Token implements client.TokenSource.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" {
		now := s.now()
		left := s.expiresAt.Sub(now)
		bg, wait := s.windows()
		if left > wait {
			tok := s.token
			if left <= bg && s.renewable && !s.refreshing && !now.Before(s.nextBackground) {
				s.refreshing = true
				s.background.Add(1)
				detached, done := context.WithoutCancel(ctx), func() {}
				if d, ok := s.log.(Detacher); ok {
					detached, done = d.Detach(ctx)
				}
				go s.refreshInBackground(detached, done, tok)
			}
			s.mu.Unlock()
			return tok, nil
		}
	}
	s.mu.Unlock()
	return s.refresh(ctx, "")
}

func (s *TokenSource) warn(ctx context.Context, msg string, fields map[string]any) {
	if s.log != nil {
		s.log.Warn(ctx, msg, fields)
	}
}

// refreshInBackground runs on a context already detached from the caller's
// cancellation; done releases it.
func (s *TokenSource) refreshInBackground(ctx context.Context, done func(), stale string) {
	defer s.background.Done()
	defer done()
	ctx, cancel := context.WithTimeout(ctx, backgroundRefreshTimeout)
	defer cancel()
	_, err := s.refresh(ctx, stale)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshing = false
	if err != nil {
		s.nextBackground = s.now().Add(BackgroundRetryDelay)
		s.warn(ctx, "refreshing the Anthropic admin access token failed; the current token is used until it nearly expires", map[string]any{"error": err.Error()})
	}
}

// refresh exchanges a new token unless another caller already replaced the
// token being refreshed. stale is the token known to be bad or expiring
// ("" when there is none worth keeping).
func (s *TokenSource) refresh(ctx context.Context, stale string) (string, error) {
	s.exchangeMu.Lock()
	defer s.exchangeMu.Unlock()

	s.mu.Lock()
	now := s.now()
	if s.token != "" && s.token != stale {
		_, wait := s.windows()
		if s.expiresAt.Sub(now) > wait {
			tok := s.token
			s.mu.Unlock()
			return tok, nil
		}
	}
	if s.lastErr != nil && now.Sub(s.lastErrAt) < FailureHold {
		err := s.lastErr
		s.mu.Unlock()
		return "", err
	}
	if !s.renewable && s.used {
		if s.token == "" && s.lastErr != nil {
			// The one exchange it had failed; that failure is the answer.
			err := s.lastErr
			s.mu.Unlock()
			return "", err
		}
		if s.token != "" && now.Before(s.expiresAt) {
			// Still valid, merely close to expiry: nothing better exists.
			tok := s.token
			s.mu.Unlock()
			return tok, nil
		}
		err := s.spent(s.expiresAt)
		s.mu.Unlock()
		return "", err
	}
	s.used = true
	s.mu.Unlock()

	tok, err := s.exchange(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastErr, s.lastErrAt = err, s.now()
		return "", err
	}
	s.lastErr = nil
	s.token, s.expiresAt, s.lifetime = tok.Value, tok.ExpiresAt, tok.Lifetime
	s.mintedAt = s.now()
	return s.token, nil
}

// AfterUnauthorized is called when the API answered 401 to a request sent
// with token sent. It returns a token to retry with: one another caller
// already obtained, or a newly exchanged one. ok is false when the request
// should not be retried: the source cannot exchange again, the refused
// token was itself just minted, or the exchange failed.
func (s *TokenSource) AfterUnauthorized(ctx context.Context, sent string) (string, bool) {
	s.mu.Lock()
	if !s.renewable || sent == "" || (s.token == sent && s.now().Sub(s.mintedAt) < freshTokenAge) {
		s.mu.Unlock()
		return "", false
	}
	s.mu.Unlock()
	tok, err := s.refresh(ctx, sent)
	if err != nil {
		s.warn(ctx, "the API refused the admin access token and a new exchange failed", map[string]any{"error": err.Error()})
		return "", false
	}
	return tok, tok != sent
}

// reauthTransport re-sends a request once with a fresh access token when
// the API answers 401 to the token the source handed out (revoked, or
// expired early by a skewed clock). A 401 means the request was not
// processed, so re-sending cannot duplicate a write. Requests without a
// bearer token (the exchange itself) are never touched.
type reauthTransport struct {
	next   http.RoundTripper
	source *TokenSource
	debug  func(ctx context.Context, msg string, fields map[string]any)
}

func (t *reauthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	sent, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok || sent == "" || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, nil
	}
	tok, ok := t.source.AfterUnauthorized(req.Context(), sent)
	if !ok {
		return resp, nil
	}
	retry, ok := cloneForRetry(req, tok)
	if !ok {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if t.debug != nil {
		t.debug(req.Context(), "the API refused the admin access token; re-sending once with a newly exchanged token", map[string]any{"path": req.URL.EscapedPath()})
	}
	return t.next.RoundTrip(retry)
}

// cloneForRetry copies req with a new bearer token and a fresh copy of its
// body; ok is false when the body cannot be replayed.
func cloneForRetry(req *http.Request, token string) (*http.Request, bool) {
	retry := req.Clone(req.Context())
	retry.Header.Set("Authorization", "Bearer "+token)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, false
		}
		retry.Body = body
	}
	return retry, true
}

// CloseIdleConnections lets the client close the pooled connections.
func (t *reauthTransport) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// HTTPClient is the HTTP client of an API client whose bearer tokens come
// from ts: a clone of the default transport that re-sends a request once
// after a 401 (see TokenSource.AfterUnauthorized). debug, when set,
// receives a line per re-sent request.
func HTTPClient(ts *TokenSource, debug func(ctx context.Context, msg string, fields map[string]any)) *http.Client {
	base := http.DefaultTransport
	if t, ok := base.(*http.Transport); ok {
		base = t.Clone()
	}
	return &http.Client{Transport: &reauthTransport{next: base, source: ts, debug: debug}}
}
