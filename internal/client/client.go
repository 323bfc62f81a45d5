// Package client is the typed HTTP client for Anthropic's Workload Identity
// Federation admin API and OAuth token exchange. It is the only code in the
// provider that speaks HTTP to Anthropic.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	cleanhttp "github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

const (
	// DefaultBaseURL is the production Anthropic API.
	DefaultBaseURL = "https://api.anthropic.com"
	// APIVersion is sent as the anthropic-version header on every request.
	APIVersion = "2023-06-01"
	// DefaultMaxRetries is used when Options.MaxRetries is negative. With
	// DefaultMaxRetryTime it rides out a 30% overload rate: eleven faults in
	// a row are needed to fail a request (0.3^11 ≈ 2e-6).
	DefaultMaxRetries = 10
	// DefaultMaxRetryTime bounds the retrying of one call: no wait that
	// would end later than this after the call began is started.
	DefaultMaxRetryTime = 60 * time.Second

	// DefaultRequestTimeout bounds one HTTP attempt.
	DefaultRequestTimeout = 60 * time.Second

	defaultRetryWaitMin  = 500 * time.Millisecond
	defaultRetryWaitMax  = 8 * time.Second
	defaultRetryAfterMax = 30 * time.Second

	// defaultMaxPages bounds a list walk: at 100 items a page that is
	// 100,000 objects, far beyond any organization, and it stops a server
	// that hands out fresh cursors forever.
	defaultMaxPages = 1000
	// defaultMaxListTime bounds a whole list walk.
	defaultMaxListTime = 10 * time.Minute

	// maxResponseBytes bounds what a misbehaving server or proxy can make us
	// buffer; the largest legitimate response (a 100-item list page) is far
	// below it.
	maxResponseBytes = 4 << 20

	// oauthBeta must accompany OAuth bearer tokens on the real API (the
	// official SDKs send it); the emulator ignores it.
	oauthBeta = "oauth-2025-04-20"
	// federationBeta routes jwt-bearer exchanges to the federation service
	// on the real API.
	federationBeta = "oidc-federation-2026-04-01"
)

// Options configures a Client. The zero value of every field except
// MaxRetries selects a sensible default.
type Options struct {
	// BaseURL defaults to DefaultBaseURL; a trailing slash is tolerated.
	// Plain http is accepted only for loopback hosts, because the bearer
	// token and assertions would otherwise cross the network in clear text.
	BaseURL string
	// AuthToken is the OAuth bearer sent as "Authorization: Bearer".
	AuthToken string
	// TokenSource, when set, replaces AuthToken; it is called once per API
	// call and is expected to cache.
	TokenSource TokenSource
	// Version is the provider version used in the User-Agent.
	Version string
	// UserAgentExtra is appended to the User-Agent.
	UserAgentExtra string
	// RequestTimeout bounds each attempt (not the whole call); 0 means 60s.
	RequestTimeout time.Duration
	// MaxRetries is the number of retries after the first attempt; 0 means
	// none and a negative value selects DefaultMaxRetries.
	MaxRetries int
	// MaxRetryTime is the retry budget of one call: a retry whose wait
	// would end later than this after the call began is not made, and the
	// whole call ends by MaxRetryTime + RequestTimeout. 0 means
	// DefaultMaxRetryTime.
	MaxRetryTime time.Duration
	// RetryWaitMin is the first exponential backoff step; 0 means 500ms.
	RetryWaitMin time.Duration
	// RetryWaitMax caps the exponential backoff; 0 means 8s.
	RetryWaitMax time.Duration
	// RetryAfterMax caps a server-requested wait (retry-after); 0 means
	// 30s. A hostile or broken value is capped, never slept in full.
	RetryAfterMax time.Duration
	// HTTPClient supplies the transport (tests, proxies). It is copied, never
	// modified; its Timeout and CheckRedirect are replaced.
	HTTPClient *http.Client
	// Logger receives one debug line per attempt; nil is silent.
	Logger Logger
}

// TokenSource yields the bearer token for admin requests.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Logger is the leveled key/value logger the client reports to. Only
// method, path, attempt, status and request id are passed (plus the error
// text of a failed connection, which names the host); never headers,
// query strings or bodies.
type Logger interface {
	Debug(ctx context.Context, msg string, kv ...any)
	Warn(ctx context.Context, msg string, kv ...any)
}

// Client talks to the Anthropic API. It is safe for concurrent use.
type Client struct {
	baseURL     string
	authToken   string
	tokenSource TokenSource
	userAgent   string
	logger      Logger
	maxRetries  int
	http        *retryablehttp.Client
	maxBody     int64
	// maxRetryTime and the HTTP client's Timeout (one attempt) make up the
	// time bound of one call.
	maxRetryTime  time.Duration
	retryAfterMax time.Duration
	// maxPages and maxListTime bound a list walk.
	maxPages    int
	maxListTime time.Duration

	// headers and noAuthHeaders are the fixed headers of an admin request
	// and of the token exchange, canonical and built once: each request
	// clones one (a single map and value array) instead of setting and
	// canonicalizing every header again. headers carries the bearer when
	// the credential is a static token.
	headers       http.Header
	noAuthHeaders http.Header

	// Test seams: the clock for HTTP-date retry-after values, the jitter
	// source, and a hook that sees (and may replace) each computed wait so
	// tests neither sleep nor race.
	now       func() time.Time
	jitter    func() float64
	onBackoff func(ctx context.Context, wait time.Duration) time.Duration
}

// New validates opts and builds a Client.
// maxIdleConnsPerHost keeps a connection per concurrent call for
// Terraform's default -parallelism (10), with room to spare.
const maxIdleConnsPerHost = 32

func New(opts Options) (*Client, error) {
	base, err := normalizeBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	maxRetries := opts.MaxRetries
	if maxRetries < 0 {
		maxRetries = DefaultMaxRetries
	}
	waitMin, waitMax := opts.RetryWaitMin, opts.RetryWaitMax
	if waitMin <= 0 {
		waitMin = defaultRetryWaitMin
	}
	if waitMax <= 0 {
		waitMax = defaultRetryWaitMax
	}
	if waitMax < waitMin {
		waitMax = waitMin
	}
	retryTime := opts.MaxRetryTime
	if retryTime <= 0 {
		retryTime = DefaultMaxRetryTime
	}
	afterMax := opts.RetryAfterMax
	if afterMax <= 0 {
		afterMax = defaultRetryAfterMax
	}

	version := strings.TrimSpace(opts.Version)
	if version == "" {
		version = "dev"
	}
	ua := "terraform-provider-anthropic/" + version
	if extra := strings.TrimSpace(opts.UserAgentExtra); extra != "" {
		ua += " " + extra
	}

	c := &Client{
		baseURL:     base,
		authToken:   opts.AuthToken,
		tokenSource: opts.TokenSource,
		userAgent:   ua,
		logger:      opts.Logger,
		maxRetries:  maxRetries,
		maxBody:     maxResponseBytes,
		now:         time.Now,
		jitter:      rand.Float64,

		maxRetryTime:  retryTime,
		retryAfterMax: afterMax,
		maxPages:      defaultMaxPages,
		maxListTime:   defaultMaxListTime,
	}

	c.headers = http.Header{
		"Anthropic-Version": {APIVersion},
		"Accept":            {"application/json"},
		"User-Agent":        {ua},
		"Anthropic-Beta":    {oauthBeta},
	}
	if c.tokenSource == nil && c.authToken != "" {
		c.headers["Authorization"] = []string{"Bearer " + c.authToken}
	}
	c.noAuthHeaders = http.Header{
		"Anthropic-Version": {APIVersion},
		"Accept":            {"application/json"},
		"User-Agent":        {ua},
		"Anthropic-Beta":    {oauthBeta + "," + federationBeta},
	}

	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	} else {
		hc = *cleanhttp.DefaultPooledClient()
		// cleanhttp keeps GOMAXPROCS+1 idle connections per host; Terraform
		// runs 10 operations at once by default, so most requests of a
		// refresh would open (and TLS-handshake) a new connection.
		if t, ok := hc.Transport.(*http.Transport); ok {
			t.MaxIdleConnsPerHost = maxIdleConnsPerHost
		}
	}
	// http.Client.Timeout spans one Do call including the body read, which
	// is exactly one attempt under retryablehttp.
	hc.Timeout = timeout
	// The API never redirects; following one would re-send the bearer or an
	// assertion to wherever a proxy points us.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = &attemptTransport{next: rt, logger: c.logger}

	c.http = &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       nil, // its own lines carry URLs and bypass our Logger
		RetryWaitMin: waitMin,
		RetryWaitMax: waitMax,
		RetryMax:     maxRetries,
		CheckRetry:   c.checkRetry,
		// Waits happen in checkRetry, which knows the call (its budget and,
		// for a write, the caller's context); retryablehttp's own wait could
		// only end on the request's context.
		Backoff:      func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		PrepareRetry: c.prepareRetry,
		// Hand the last response back untouched so its error envelope can be
		// decoded instead of retryablehttp's generic "giving up" error.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return c, nil
}

// BaseURL returns the normalized base URL (no trailing slash).
func (c *Client) BaseURL() string { return c.baseURL }

func normalizeBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", redact.Error(fmt.Errorf("anthropic: invalid base URL: %w", err))
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("anthropic: invalid base URL %q: want http(s)://host[:port][/path]", redact.String(raw))
	}
	if u.User != nil {
		return "", errors.New("anthropic: base URL must not contain user info")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("anthropic: base URL %q must not have a query or fragment", u.Scheme+"://"+u.Host+u.EscapedPath())
	}
	if u.Scheme == "http" && !policy.IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("anthropic: base URL %q: plain http is only allowed for localhost, 127.0.0.1 or ::1", redact.String(raw))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// retryClass says how safe it is to send a request again.
type retryClass int

const (
	// retryNever is the zero value so that a request that somehow lost its
	// class is treated most conservatively.
	retryNever retryClass = iota
	// retryIdempotent: reads, deletes and archive; repeating them cannot
	// change the outcome.
	retryIdempotent
	// retryUnprocessed: creates and updates; repeated only when the server
	// provably did not act on the first attempt.
	retryUnprocessed
)

func (r retryClass) String() string {
	switch r {
	case retryIdempotent:
		return "idempotent"
	case retryUnprocessed:
		return "unprocessed-only"
	default:
		return "never"
	}
}

// callState travels in the request context so that CheckRetry (which only
// gets ctx, response and error) can classify, and so logs can number
// attempts.
type callState struct {
	class    retryClass
	method   string
	path     string
	attempts atomic.Int32

	// retryUntil is the retry budget's end: no wait ending later is begun.
	retryUntil time.Time
	// caller is the caller's context of a write, which runs detached from
	// it once sent: the caller's cancellation then only stops retries.
	// nil for reads, which follow the caller's context directly.
	caller context.Context

	// The body of a final response, read inside the retry loop so that a
	// read failure goes through the retry policy too; bodyOf says which
	// response it belongs to.
	body     []byte
	tooLarge bool
	bodyOf   *http.Response

	// lastErr is the last attempt's transport or body-read error (nil when
	// it got a full answer); an error that is not a dial error means the
	// server may have acted on the request.
	lastErr error
}

type callStateKey struct{}

func stateFrom(ctx context.Context) *callState {
	s, _ := ctx.Value(callStateKey{}).(*callState)
	return s
}

// shouldRetry is the whole retry policy as a pure function.
func shouldRetry(class retryClass, resp *http.Response, err error) bool {
	if err == nil && resp == nil {
		return false
	}
	if resp != nil && strings.EqualFold(resp.Header.Get("X-Should-Retry"), "false") {
		// The API's explicit "do not retry" hint only ever reduces retries.
		return false
	}
	switch class {
	case retryIdempotent:
		if err != nil {
			return isRetryableTransportError(err)
		}
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout, statusOverloaded:
			return true
		}
		return false
	case retryUnprocessed:
		if err != nil {
			return isDialError(err)
		}
		// 429 and 529 are rejections before any work; a 500 may come after
		// the object was created.
		return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == statusOverloaded
	default:
		return false
	}
}

// statusOverloaded is Anthropic's "overloaded_error" status.
const statusOverloaded = 529

// isDialError reports a failure to establish the connection, i.e. before a
// single byte of the request was written.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func isCertError(err error) bool {
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host)
}

func isRetryableTransportError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if isCertError(err) {
		return false
	}
	msg := err.Error()
	// net/http has no typed errors for these; retryablehttp matches the
	// same strings.
	for _, permanent := range []string{"unsupported protocol scheme", "invalid header", "certificate is not trusted"} {
		if strings.Contains(msg, permanent) {
			return false
		}
	}
	return true
}

func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	st := stateFrom(ctx)
	if st == nil {
		return false, nil
	}
	if !shouldRetry(st.class, resp, err) {
		return false, nil
	}
	attempt := int(st.attempts.Load())
	if attempt > c.maxRetries {
		return false, nil
	}
	wait := retryWait(c.http.RetryWaitMin, c.http.RetryWaitMax, c.retryAfterMax, attempt-1, resp, c.now(), c.jitter())
	if c.onBackoff != nil {
		wait = c.onBackoff(ctx, wait)
	}
	if time.Now().Add(wait).After(st.retryUntil) {
		// Out of budget: answer now with what the server said rather than
		// sleep toward a deadline (a hostile retry-after ends here too).
		c.logRetry(ctx, logRetryBudget, st, attempt, resp, err, wait)
		return false, nil
	}
	c.logRetry(ctx, logRetry, st, attempt, resp, err, wait)
	// A write's own context ignores the caller's cancellation (so an
	// attempt in flight completes); the wait between attempts must not.
	waitOn := ctx
	if st.caller != nil {
		waitOn = st.caller
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-waitOn.Done():
			return false, waitOn.Err()
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return true, nil
}

// prepareRetry stops a write whose caller gave up during the wait before
// it is sent again.
func (c *Client) prepareRetry(req *http.Request) error {
	if st := stateFrom(req.Context()); st != nil && st.caller != nil {
		return st.caller.Err()
	}
	return req.Context().Err()
}

// retryWait computes the pause before retry number attempt+1: the server's
// retry-after when given (capped at afterMax, so a hostile header cannot
// stall Terraform), else exponential from minWait up to maxWait with up to
// 25% jitter subtracted so concurrent resources do not retry in lockstep.
func retryWait(minWait, maxWait, afterMax time.Duration, attempt int, resp *http.Response, now time.Time, jitter float64) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header, now); ok {
			return min(d, afterMax)
		}
	}
	wait := minWait
	for range attempt {
		if wait > maxWait/2 {
			wait = maxWait
			break
		}
		wait *= 2
	}
	wait = min(wait, maxWait)
	if jitter > 0 && jitter < 1 {
		wait -= time.Duration(float64(wait) * 0.25 * jitter)
	}
	return wait
}

// maxRetryAfter is where retry-after values are clamped before they become
// a time.Duration, which overflows near 292 years.
const maxRetryAfter = 1e9 * time.Second

// parseRetryAfter reads retry-after-ms (sent by Anthropic alongside
// retry-after) or retry-after as delta-seconds or an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(ms) && ms >= 0 {
			if ms >= float64(maxRetryAfter/time.Millisecond) {
				return maxRetryAfter, true
			}
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || secs < 0 {
			return 0, false
		}
		// An absurd value still means "not soon": clamp it (the caller
		// caps it further) instead of falling back to a short backoff.
		if secs >= float64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// request describes one logical API call.
type request struct {
	method string
	path   string // already escaped, starting with "/"
	query  url.Values
	body   any
	class  retryClass
	// noAuth marks the token exchange, which must not carry a credential.
	noAuth bool
	// secrets are redacted from any error text derived from the response.
	secrets []string
	// wantID, when set, is the id the decoded object must carry (a read,
	// update or archive by id).
	wantID string
}

// do performs r and decodes a 2xx JSON body into out (when out is non-nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	if ctx == nil {
		return errors.New("anthropic: nil context")
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	var body []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("anthropic: encoding %s %s request: %w", r.method, r.path, err)
		}
		body = b
	}

	var header http.Header
	secrets := r.secrets
	if r.noAuth {
		header = c.noAuthHeaders.Clone()
	} else {
		token, err := c.token(ctx)
		if err != nil {
			return err
		}
		header = c.headers.Clone()
		if c.tokenSource != nil {
			header["Authorization"] = []string{"Bearer " + token}
		}
		secrets = append(secrets, token)
	}
	if body != nil {
		header["Content-Type"] = []string{"application/json"}
	}

	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	start := time.Now()
	st := &callState{class: r.class, method: r.method, path: r.path, retryUntil: start.Add(c.maxRetryTime)}
	callCtx := ctx
	write := r.method != http.MethodGet
	if write {
		// Once sent, a write runs to completion even when the caller (a
		// Terraform interrupt) cancels: otherwise the service acts on it and
		// the provider reports "context canceled", orphaning the object.
		// The caller's cancellation still stops further retries.
		st.caller = ctx
		callCtx = context.WithoutCancel(ctx)
	}
	// The whole call, retries included, ends by start + maxRetryTime +
	// requestTimeout without a deadline context of its own: checkRetry
	// begins no wait that would end after st.retryUntil, so no attempt
	// starts later, and http.Client.Timeout (the request timeout) bounds each
	// attempt, its body read included. A context deadline on top would
	// only repeat that bound, at the price of a timer and a cancel context
	// per call under the one net/http makes for every attempt.
	callCtx = context.WithValue(callCtx, callStateKey{}, st)

	var rawBody any
	if body != nil {
		rawBody = body
	}
	req, err := retryablehttp.NewRequestWithContext(callCtx, r.method, u, rawBody)
	if err != nil {
		return fmt.Errorf("anthropic: building %s %s request: %w", r.method, r.path, err)
	}
	req.Header = header
	req.SetResponseHandler(func(resp *http.Response) error {
		defer func() { _ = resp.Body.Close() }()
		data, tooLarge, err := readCapped(resp.Body, resp.ContentLength, c.maxBody)
		st.body, st.tooLarge, st.bodyOf = data, tooLarge, resp
		st.lastErr = err
		return err
	})

	resp, err := c.http.Do(req)
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		err = fmt.Errorf("anthropic API: %s %s failed after %d attempt(s): %w",
			r.method, r.path, max(int(st.attempts.Load()), 1), redactErr(err, secrets))
		if write && st.lastErr != nil && !isDialError(st.lastErr) {
			// The request may have reached the service: a dropped
			// connection, a timeout mid-request, a body cut short.
			return &AmbiguousError{Err: err}
		}
		return err
	}
	defer func() { _ = resp.Body.Close() }()

	data, tooLarge := st.body, st.tooLarge
	if st.bodyOf != resp {
		// Retries ran out on a retryable status, so the handler never saw
		// this response.
		data, tooLarge, err = readCapped(resp.Body, resp.ContentLength, c.maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// A truncated or unreadable error body still yields a useful error.
		apiErr := newAPIError(resp, data, secrets)
		if write && mayHaveProcessed(resp.StatusCode) {
			return &AmbiguousError{Err: apiErr}
		}
		return apiErr
	}
	// From here on the service answered success: for a write it acted, so
	// an unusable answer is ambiguous (the object may exist).
	fail := func(problem string) error {
		e := &InvalidResponseError{Method: r.method, Path: r.path, StatusCode: resp.StatusCode,
			RequestID: truncate(redact.String(resp.Header.Get("Request-Id"), secrets...), 128),
			// A hostile server may echo the bearer into a field we quote.
			Problem: redact.String(problem, secrets...)}
		if write {
			return &AmbiguousError{Err: e}
		}
		return e
	}
	if err != nil {
		return fail("reading the body failed: " + redactErr(err, secrets).Error())
	}
	if tooLarge {
		return fail(fmt.Sprintf("the body exceeds %d bytes", c.maxBody))
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fail("the body is empty")
	}
	if err := json.Unmarshal(data, out); err != nil {
		// encoding/json errors name types and offsets, never values.
		return fail("decoding: " + err.Error())
	}
	if v, ok := out.(responseValidator); ok {
		if err := v.validateResponse(); err != nil {
			return fail(err.Error())
		}
	}
	if r.wantID != "" {
		if o, ok := out.(identified); ok && o.objectID() != r.wantID {
			return fail(fmt.Sprintf("asked for %s, got an object with id %s", r.wantID, quoteID(o.objectID())))
		}
	}
	return nil
}

// mayHaveProcessed reports an error status a write can get after the
// service acted on it: 429 and 529 are refusals before any work, 4xx are
// validation, but a 5xx can come from a failure after the commit.
func mayHaveProcessed(status int) bool {
	return status >= 500 && status != statusOverloaded || status == http.StatusRequestTimeout
}

func (c *Client) token(ctx context.Context) (string, error) {
	if c.tokenSource != nil {
		tok, err := c.tokenSource.Token(ctx)
		if err != nil {
			return "", fmt.Errorf("anthropic: obtaining access token: %w", err)
		}
		if tok == "" {
			return "", errors.New("anthropic: token source returned an empty access token")
		}
		return tok, nil
	}
	if c.authToken == "" {
		return "", errors.New("anthropic: no credential configured (set an auth token or a token source)")
	}
	return c.authToken, nil
}

// readCapped reads at most limit bytes and reports whether more followed.
// size is the announced length (-1 when unknown); a plausible one sizes
// the buffer at once, so a typical answer is read without regrowing.
func readCapped(r io.Reader, size, limit int64) ([]byte, bool, error) {
	n := int64(512)
	if size >= 0 && size < limit {
		// One byte more than announced, so that reading to EOF does not
		// have to grow the buffer.
		n = size + 1
	}
	data := make([]byte, 0, n)
	var err error
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		room := data[len(data):min(int64(cap(data)), limit+1)]
		var m int
		m, err = r.Read(room)
		data = data[:len(data)+m]
		if err != nil || int64(len(data)) > limit {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	if int64(len(data)) > limit {
		return data[:limit], true, err
	}
	return data, false, err
}

// attemptTransport numbers attempts and reports each one, so retries are
// visible in TF_LOG=debug output without exposing headers or bodies.
type attemptTransport struct {
	next   http.RoundTripper
	logger Logger // may be nil
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	attempt := 1
	st := stateFrom(ctx)
	if st != nil {
		attempt = int(st.attempts.Add(1))
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if st != nil {
		st.lastErr = err
	}
	t.logAttemptDone(ctx, req, attempt, resp, err, time.Since(start))
	return resp, err
}

// transportErrorKind summarizes a transport error without its URL.
func transportErrorKind(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// wrapped transport.
func (t *attemptTransport) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}
