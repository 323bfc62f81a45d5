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
)

const (
	// DefaultBaseURL is the production Anthropic API.
	DefaultBaseURL = "https://api.anthropic.com"
	// APIVersion is sent as the anthropic-version header on every request.
	APIVersion = "2023-06-01"
	// DefaultMaxRetries is used when Options.MaxRetries is negative.
	DefaultMaxRetries = 4

	defaultRequestTimeout = 60 * time.Second
	defaultRetryWaitMin   = 500 * time.Millisecond
	defaultRetryWaitMax   = 30 * time.Second

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
	// RetryWaitMin is the first exponential backoff step; 0 means 500ms.
	RetryWaitMin time.Duration
	// RetryWaitMax caps every wait, including server-requested ones; 0
	// means 30s.
	RetryWaitMax time.Duration
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
		timeout = defaultRequestTimeout
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
		Backoff:      c.backoff,
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
		return "", fmt.Errorf("anthropic: invalid base URL: %w", err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("anthropic: invalid base URL %q: want http(s)://host[:port][/path]", raw)
	}
	if u.User != nil {
		return "", errors.New("anthropic: base URL must not contain user info")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("anthropic: base URL %q must not have a query or fragment", raw)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("anthropic: base URL %q: plain http is only allowed for localhost, 127.0.0.1 or ::1", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
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

	// The body of a final response, read inside the retry loop so that a
	// read failure goes through the retry policy too; bodyOf says which
	// response it belongs to.
	body     []byte
	tooLarge bool
	bodyOf   *http.Response
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
	if resp != nil && strings.EqualFold(resp.Header.Get("x-should-retry"), "false") {
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
	retry := shouldRetry(st.class, resp, err)
	if retry && c.logger != nil && int(st.attempts.Load()) <= c.maxRetries {
		kv := []any{"method", st.method, "path", st.path, "attempt", int(st.attempts.Load())}
		if resp != nil {
			kv = append(kv, "status", resp.StatusCode, "request_id", resp.Header.Get("request-id"))
		} else {
			kv = append(kv, "error", transportErrorKind(err))
		}
		c.logger.Warn(ctx, "anthropic API: retrying request", kv...)
	}
	return retry, nil
}

func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	wait := retryWait(minWait, maxWait, attempt, resp, c.now(), c.jitter())
	if c.onBackoff != nil {
		ctx := context.Background()
		if resp != nil && resp.Request != nil {
			ctx = resp.Request.Context()
		}
		wait = c.onBackoff(ctx, wait)
	}
	return wait
}

// retryWait computes the pause before retry number attempt+1: the server's
// retry-after when given (capped at maxWait, so a hostile header cannot
// stall Terraform), else exponential from minWait with up to 25% jitter
// subtracted so concurrent resources do not retry in lockstep.
func retryWait(minWait, maxWait time.Duration, attempt int, resp *http.Response, now time.Time, jitter float64) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header, now); ok {
			return min(d, maxWait)
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

// parseRetryAfter reads retry-after-ms (sent by Anthropic alongside
// retry-after) or retry-after as delta-seconds or an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("retry-after-ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms <= 1e12 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("retry-after"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || secs < 0 || secs > 1e9 {
			return 0, false
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

	header := http.Header{}
	header.Set("anthropic-version", APIVersion)
	header.Set("accept", "application/json")
	header.Set("user-agent", c.userAgent)
	if body != nil {
		header.Set("content-type", "application/json")
	}
	secrets := r.secrets
	if r.noAuth {
		header.Set("anthropic-beta", oauthBeta+","+federationBeta)
	} else {
		token, err := c.token(ctx)
		if err != nil {
			return err
		}
		header.Set("authorization", "Bearer "+token)
		header.Set("anthropic-beta", oauthBeta)
		secrets = append(secrets, token)
	}

	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	st := &callState{class: r.class, method: r.method, path: r.path}
	ctx = context.WithValue(ctx, callStateKey{}, st)

	var rawBody any
	if body != nil {
		rawBody = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, u, rawBody)
	if err != nil {
		return fmt.Errorf("anthropic: building %s %s request: %w", r.method, r.path, err)
	}
	req.Header = header
	req.SetResponseHandler(func(resp *http.Response) error {
		defer func() { _ = resp.Body.Close() }()
		data, tooLarge, err := readCapped(resp.Body, c.maxBody)
		st.body, st.tooLarge, st.bodyOf = data, tooLarge, resp
		return err
	})

	resp, err := c.http.Do(req)
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		return fmt.Errorf("anthropic API: %s %s failed after %d attempt(s): %w",
			r.method, r.path, max(int(st.attempts.Load()), 1), redactErr(err, secrets))
	}
	defer func() { _ = resp.Body.Close() }()

	data, tooLarge := st.body, st.tooLarge
	if st.bodyOf != resp {
		// Retries ran out on a retryable status, so the handler never saw
		// this response.
		data, tooLarge, err = readCapped(resp.Body, c.maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// A truncated or unreadable error body still yields a useful error.
		return newAPIError(resp, data, secrets)
	}
	if err != nil {
		return fmt.Errorf("anthropic API: reading %s %s response: %w", r.method, r.path, redactErr(err, secrets))
	}
	if tooLarge {
		return fmt.Errorf("anthropic API: %s %s response exceeds %d bytes", r.method, r.path, c.maxBody)
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("anthropic API: %s %s returned an empty body (status %d)", r.method, r.path, resp.StatusCode)
	}
	if err := json.Unmarshal(data, out); err != nil {
		// encoding/json errors name types and offsets, never values.
		return fmt.Errorf("anthropic API: decoding %s %s response: %w", r.method, r.path, err)
	}
	return nil
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
func readCapped(r io.Reader, limit int64) ([]byte, bool, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
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
	if st := stateFrom(ctx); st != nil {
		attempt = int(st.attempts.Add(1))
	}
	resp, err := t.next.RoundTrip(req)
	if t.logger == nil {
		return resp, err
	}
	kv := []any{"method", req.Method, "path", req.URL.EscapedPath(), "attempt", attempt}
	if err != nil {
		kv = append(kv, "error", transportErrorKind(err))
	} else {
		kv = append(kv, "status", resp.StatusCode, "request_id", resp.Header.Get("request-id"))
	}
	t.logger.Debug(ctx, "anthropic API request", kv...)
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
