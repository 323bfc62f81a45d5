package client

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestNewBaseURL(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "", want: DefaultBaseURL},
		{in: "https://api.anthropic.com/", want: "https://api.anthropic.com"},
		{in: "http://127.0.0.1:8080//", want: "http://127.0.0.1:8080"},
		{in: "http://localhost:9/prefix/", want: "http://localhost:9/prefix"},
		{in: "http://[::1]:9", want: "http://[::1]:9"},
		{in: "http://api.example.com", wantErr: true}, // bearer in clear text
		{in: "ftp://host", wantErr: true},
		{in: "https://user:pw@host", wantErr: true},
		{in: "https://host/?q=1", wantErr: true},
		{in: "api.anthropic.com", wantErr: true},
	}
	for _, tt := range tests {
		c, err := New(Options{BaseURL: tt.in})
		if tt.wantErr {
			if err == nil {
				t.Errorf("New(%q) = %q, want error", tt.in, c.BaseURL())
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tt.in, err)
			continue
		}
		if got := c.BaseURL(); got != tt.want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if c.http.RetryMax != 10 || c.http.RetryWaitMin != 500*time.Millisecond || c.http.RetryWaitMax != 8*time.Second ||
		c.retryAfterMax != 30*time.Second || c.maxRetryTime != time.Minute || c.maxPages != 1000 {
		t.Errorf("defaults: max=%d min=%v max=%v after=%v budget=%v pages=%d",
			c.http.RetryMax, c.http.RetryWaitMin, c.http.RetryWaitMax, c.retryAfterMax, c.maxRetryTime, c.maxPages)
	}
	if c.http.HTTPClient.Timeout != 60*time.Second {
		t.Errorf("timeout = %v", c.http.HTTPClient.Timeout)
	}
	if c.userAgent != "terraform-provider-anthropic/dev" {
		t.Errorf("user agent = %q", c.userAgent)
	}
	c, _ = New(Options{})
	if c.http.RetryMax != 0 {
		t.Errorf("MaxRetries 0 must mean no retries, got %d", c.http.RetryMax)
	}
	if c.http.Logger != nil {
		t.Error("retryablehttp's own logger must stay off")
	}

	// The caller's http.Client is copied, not modified.
	base := &http.Client{Timeout: time.Hour}
	if _, err := New(Options{HTTPClient: base, RequestTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if base.Timeout != time.Hour || base.CheckRedirect != nil || base.Transport != nil {
		t.Error("New modified the caller's http.Client")
	}
}

func TestHeaders(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]http.Header{}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method] = r.Header.Clone()
		mu.Unlock()
		writeJSON(w, 200, sampleServiceAccount("svac_01"))
	}, func(o *Options) { o.UserAgentExtra = "ci/7" })
	ctx := t.Context()

	if _, err := c.GetServiceAccount(ctx, "svac_01"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateServiceAccount(ctx, ServiceAccountCreateParams{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	for method, h := range seen {
		checks := map[string]string{
			"Authorization":     "Bearer " + testToken,
			"Anthropic-Version": "2023-06-01",
			"Accept":            "application/json",
			"User-Agent":        "terraform-provider-anthropic/1.2.3 ci/7",
			"Anthropic-Beta":    "oauth-2025-04-20",
		}
		if method == "POST" {
			checks["Content-Type"] = "application/json"
		}
		for k, want := range checks {
			if got := h.Get(k); got != want {
				t.Errorf("%s %s = %q, want %q", method, k, got, want)
			}
		}
		if method == "GET" && h.Get("Content-Type") != "" {
			t.Errorf("GET carries content-type %q", h.Get("Content-Type"))
		}
		if h.Get("X-Api-Key") != "" {
			t.Errorf("%s sent x-api-key", method)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("saw %d methods", len(seen))
	}
}

type seqTokenSource struct {
	n   atomic.Int32
	err error
}

func (s *seqTokenSource) Token(context.Context) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	return fmt.Sprintf("tok-%d", s.n.Add(1)), nil
}

func TestTokenSourceUsedPerRequest(t *testing.T) {
	var got []string
	var mu sync.Mutex
	var hits atomic.Int32
	ts := &seqTokenSource{}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		writeJSON(w, 200, sampleServiceAccount("svac_01"))
	}, func(o *Options) { o.TokenSource = ts })
	for range 3 {
		if _, err := c.GetServiceAccount(t.Context(), "svac_01"); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Bearer tok-1", "Bearer tok-2", "Bearer tok-3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("authorization headers = %v, want %v (AuthToken must be ignored)", got, want)
	}

	// A failing source stops the call before anything is sent.
	hits.Store(0)
	ts.err = errors.New("metadata server unreachable")
	_, err := c.GetServiceAccount(t.Context(), "svac_01")
	if err == nil || !strings.Contains(err.Error(), "metadata server unreachable") {
		t.Errorf("err = %v", err)
	}
	if hits.Load() != 0 {
		t.Error("request sent although the token source failed")
	}
}

func TestNoCredentialFailsBeforeSending(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, func(http.ResponseWriter, *http.Request) { hits.Add(1) },
		func(o *Options) { o.AuthToken = "" })
	if _, err := c.GetServiceAccount(t.Context(), "svac_01"); err == nil || !strings.Contains(err.Error(), "no credential") {
		t.Errorf("err = %v", err)
	}
	if hits.Load() != 0 {
		t.Error("request sent without a credential")
	}
}

func TestIdempotentRetriedOnTransientStatus(t *testing.T) {
	for _, status := range []int{429, 500, 502, 503, 504, 529} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := &scripted{statuses: []int{status, status}}
			c := newTestClient(t, s.ServeHTTP)
			sa, err := c.GetServiceAccount(t.Context(), "svac_01")
			if err != nil {
				t.Fatal(err)
			}
			if sa.ID != "svac_01" {
				t.Errorf("id = %q", sa.ID)
			}
			if got := s.count.Load(); got != 3 {
				t.Errorf("attempts = %d, want 3", got)
			}
		})
	}
}

func TestIdempotentGivesUpAfterMaxRetries(t *testing.T) {
	s := &scripted{statuses: []int{529, 529, 529, 529, 529, 529}}
	c := newTestClient(t, s.ServeHTTP)
	_, err := c.GetServiceAccount(t.Context(), "svac_01")
	apiErr, ok := AsAPIError(err)
	if !ok {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if apiErr.StatusCode != 529 || apiErr.Type != "overloaded_error" {
		t.Errorf("got %+v", apiErr)
	}
	if got := s.count.Load(); got != 4 {
		t.Errorf("attempts = %d, want 1 + MaxRetries(3)", got)
	}
}

func TestNotRetriedOnClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 413, 501} {
		s := &scripted{statuses: []int{status, status}}
		c := newTestClient(t, s.ServeHTTP)
		_, err := c.GetServiceAccount(t.Context(), "svac_01")
		if e, ok := AsAPIError(err); !ok || e.StatusCode != status {
			t.Errorf("%d: err = %v", status, err)
		}
		if got := s.count.Load(); got != 1 {
			t.Errorf("%d: attempts = %d, want 1", status, got)
		}
	}
}

func TestXShouldRetryFalseHonoured(t *testing.T) {
	s := &scripted{statuses: []int{503, 503}, header: http.Header{"X-Should-Retry": {"false"}}}
	c := newTestClient(t, s.ServeHTTP)
	if _, err := c.GetServiceAccount(t.Context(), "svac_01"); err == nil {
		t.Fatal("want error")
	}
	if got := s.count.Load(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestWritesRetriedOnlyWhenUnprocessed(t *testing.T) {
	type call func(c *Client) error
	calls := map[string]call{
		"create": func(c *Client) error {
			_, err := c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "x"})
			return err
		},
		"update": func(c *Client) error {
			_, err := c.UpdateFederationRule(t.Context(), "fdrl_01", FederationRuleUpdateParams{Name: Set("n")})
			return err
		},
		"add-membership": func(c *Client) error {
			_, err := c.AddServiceAccountWorkspace(t.Context(), "svac_01", "wrkspc_01", "workspace_user")
			return err
		},
	}
	want := map[int]int32{429: 3, 529: 3, 500: 1, 502: 1, 503: 1, 504: 1}
	for name, fn := range calls {
		for status, attempts := range want {
			t.Run(fmt.Sprintf("%s/%d", name, status), func(t *testing.T) {
				s := &scripted{statuses: []int{status, status}, ok: func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, 200, validObjectFor(r))
				}}
				c := newTestClient(t, s.ServeHTTP)
				err := fn(c)
				if got := s.count.Load(); got != attempts {
					t.Errorf("attempts = %d, want %d", got, attempts)
				}
				if attempts == 1 {
					if e, ok := AsAPIError(err); !ok || e.StatusCode != status {
						t.Errorf("err = %v", err)
					}
				} else if err != nil {
					t.Errorf("err = %v", err)
				}
			})
		}
	}
}

func TestArchiveRetriedLikeARead(t *testing.T) {
	s := &scripted{statuses: []int{500, 502}}
	c := newTestClient(t, s.ServeHTTP)
	if _, err := c.ArchiveServiceAccount(t.Context(), "svac_01"); err != nil {
		t.Fatal(err)
	}
	if got := s.count.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
}

// blockUntilClientGivesUp models a server that received the request and is
// still working on it when the client's per-attempt timeout fires.
func blockUntilClientGivesUp(hits *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
}

func TestCreateNotRetriedAfterTimeout(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, blockUntilClientGivesUp(&hits), func(o *Options) { o.RequestTimeout = 50 * time.Millisecond })
	_, err := c.CreateFederationIssuer(t.Context(), FederationIssuerCreateParams{Name: "x", IssuerURL: "https://x"})
	if err == nil {
		t.Fatal("want a timeout error")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("create sent %d times after a timeout, want 1", got)
	}
}

func TestReadRetriedAfterTimeout(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, blockUntilClientGivesUp(&hits), func(o *Options) {
		o.RequestTimeout = 30 * time.Millisecond
		o.MaxRetries = 2
	})
	if _, err := c.GetFederationIssuer(t.Context(), "fdis_01"); err == nil {
		t.Fatal("want error")
	}
	if got := hits.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3 (each attempt has its own timeout)", got)
	}
}

func TestCreateNotRetriedAfterConnectionReset(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST instead of FIN
		}
		_ = conn.Close()
	})
	if _, err := c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "x"}); err == nil {
		t.Fatal("want error")
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("create sent %d times after a reset, want 1", got)
	}
}

func TestCreateRetriedOnDialError(t *testing.T) {
	ct := &countingTransport{next: http.DefaultTransport}
	opts := testOptions(refusedURL(t))
	opts.HTTPClient = &http.Client{Transport: ct}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "x"})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("err = %v, want connection refused", err)
	}
	if got := ct.count.Load(); got != 4 {
		t.Errorf("attempts = %d, want 4: nothing was sent, so retrying is safe", got)
	}
	if !strings.Contains(err.Error(), "after 4 attempt(s)") {
		t.Errorf("err = %v", err)
	}
}

func TestExchangeNeverRetried(t *testing.T) {
	for _, status := range []int{429, 500, 503, 529} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := &scripted{statuses: []int{status, status}}
			c := newTestClient(t, s.ServeHTTP)
			_, err := c.ExchangeToken(t.Context(), exchangeParams())
			if e, ok := AsAPIError(err); !ok || e.StatusCode != status {
				t.Errorf("err = %v", err)
			}
			if got := s.count.Load(); got != 1 {
				t.Errorf("exchange sent %d times, want 1", got)
			}
		})
	}
	t.Run("dial", func(t *testing.T) {
		ct := &countingTransport{next: http.DefaultTransport}
		opts := testOptions(refusedURL(t))
		opts.HTTPClient = &http.Client{Transport: ct}
		c, _ := New(opts)
		if _, err := c.ExchangeToken(t.Context(), exchangeParams()); err == nil {
			t.Fatal("want error")
		}
		if got := ct.count.Load(); got != 1 {
			t.Errorf("attempts = %d, want 1", got)
		}
	})
}

const testAssertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz"

func exchangeParams() TokenExchangeParams {
	return TokenExchangeParams{
		Assertion:        testAssertion,
		FederationRuleID: "fdrl_01",
		OrganizationID:   "7b0c8e1a-0000-4000-8000-000000000001",
		WorkspaceID:      "default",
	}
}

func TestExchangeRequest(t *testing.T) {
	var hdr http.Header
	var body map[string]any
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header.Clone()
		if r.Method != "POST" || r.URL.Path != "/v1/oauth/token" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		writeJSON(w, 200, map[string]any{"access_token": "sk-ant-oat01-minted", "token_type": "Bearer", "expires_in": 3600, "scope": "workspace:developer", "extra": 1})
	}, func(o *Options) { o.TokenSource = &seqTokenSource{} })

	resp, err := c.ExchangeToken(t.Context(), exchangeParams())
	if err != nil {
		t.Fatal(err)
	}
	if resp.AccessToken != "sk-ant-oat01-minted" || resp.ExpiresIn != 3600 || resp.Scope != "workspace:developer" {
		t.Errorf("resp = %+v", *resp)
	}
	if hdr.Get("Authorization") != "" || hdr.Get("X-Api-Key") != "" {
		t.Errorf("exchange sent a credential header: %q", hdr.Get("Authorization"))
	}
	if hdr.Get("Anthropic-Beta") != "oauth-2025-04-20,oidc-federation-2026-04-01" {
		t.Errorf("anthropic-beta = %q", hdr.Get("Anthropic-Beta"))
	}
	if hdr.Get("Content-Type") != "application/json" || hdr.Get("Anthropic-Version") != APIVersion {
		t.Errorf("headers = %v", hdr)
	}
	want := map[string]any{
		"grant_type":         GrantTypeJWTBearer,
		"assertion":          testAssertion,
		"federation_rule_id": "fdrl_01",
		"organization_id":    "7b0c8e1a-0000-4000-8000-000000000001",
		"workspace_id":       "default",
	}
	if fmt.Sprint(body) != fmt.Sprint(want) {
		t.Errorf("body = %v\nwant   %v", body, want)
	}
	if s := fmt.Sprintf("%v %+v %#v %#v", resp, *resp, resp, *resp); strings.Contains(s, "minted") {
		t.Errorf("formatting leaks the access token: %s", s)
	}
	if s := fmt.Sprintf("%v %+v %#v", exchangeParams(), exchangeParams(), exchangeParams()); strings.Contains(s, testAssertion) {
		t.Errorf("formatting leaks the assertion: %s", s)
	}
}

func TestExchangeValidation(t *testing.T) {
	c, _ := New(Options{BaseURL: "http://127.0.0.1:1"})
	for _, mutate := range []func(*TokenExchangeParams){
		func(p *TokenExchangeParams) { p.Assertion = "" },
		func(p *TokenExchangeParams) { p.FederationRuleID = "" },
		func(p *TokenExchangeParams) { p.OrganizationID = "" },
	} {
		p := exchangeParams()
		mutate(&p)
		if _, err := c.ExchangeToken(t.Context(), p); err == nil || !strings.Contains(err.Error(), "must not be empty") {
			t.Errorf("err = %v", err)
		}
	}

	bad := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"access_token": "", "token_type": "Bearer"})
	})
	if _, err := bad.ExchangeToken(t.Context(), exchangeParams()); err == nil {
		t.Error("accepted an empty access_token")
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	fixedNow := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"http-date", http.Header{"Retry-After": {fixedNow.Add(12 * time.Second).Format(http.TimeFormat)}}, 12 * time.Second},
		{"milliseconds", http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"1"}}, 250 * time.Millisecond},
		{"capped", http.Header{"Retry-After": {"3600"}}, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{statuses: []int{429}, header: tt.header}
			c := newTestClient(t, s.ServeHTTP, func(o *Options) {
				o.RetryWaitMin = time.Second
				o.RetryWaitMax = 30 * time.Second
			})
			c.now = func() time.Time { return fixedNow }
			var waits []time.Duration
			c.onBackoff = func(_ context.Context, d time.Duration) time.Duration {
				waits = append(waits, d)
				return 0 // record, do not sleep
			}
			if _, err := c.GetServiceAccount(t.Context(), "svac_01"); err != nil {
				t.Fatal(err)
			}
			if len(waits) != 1 || waits[0] != tt.want {
				t.Errorf("waits = %v, want [%v]", waits, tt.want)
			}
		})
	}
}

func TestRetryWait(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	resp := func(h http.Header) *http.Response { return &http.Response{StatusCode: 429, Header: h} }
	const minW, maxW = 500 * time.Millisecond, 30 * time.Second
	tests := []struct {
		name    string
		attempt int
		resp    *http.Response
		jitter  float64
		want    time.Duration
	}{
		{"first", 0, nil, 0, 500 * time.Millisecond},
		{"second", 1, nil, 0, time.Second},
		{"fifth", 4, nil, 0, 8 * time.Second},
		{"capped", 10, nil, 0, maxW},
		{"huge attempt", 200, nil, 0, maxW},
		{"jitter shaves up to a quarter", 1, nil, 0.5, 875 * time.Millisecond},
		{"retry-after seconds", 0, resp(http.Header{"Retry-After": {"3"}}), 0.5, 3 * time.Second},
		{"retry-after zero", 3, resp(http.Header{"Retry-After": {"0"}}), 0, 0},
		{"retry-after date", 0, resp(http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}), 0, 30 * time.Second},
		{"retry-after past date", 0, resp(http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}), 0, 0},
		{"retry-after garbage", 1, resp(http.Header{"Retry-After": {"soon"}}), 0, time.Second},
		{"retry-after negative", 1, resp(http.Header{"Retry-After": {"-5"}}), 0, time.Second},
		{"retry-after-ms", 1, resp(http.Header{"Retry-After-Ms": {"1500"}}), 0, 1500 * time.Millisecond},
		{"retry-after trailing junk", 1, resp(http.Header{"Retry-After": {"7abc"}}), 0, time.Second},
		{"retry-after NaN", 1, resp(http.Header{"Retry-After": {"NaN"}}), 0, time.Second},
		{"retry-after fractional", 1, resp(http.Header{"Retry-After": {"1.5"}}), 0, 1500 * time.Millisecond},
		{"huge min does not overflow", 40, nil, 0, maxW},
		{"503 without header", 2, &http.Response{StatusCode: 503, Header: http.Header{}}, 0, 2 * time.Second},
		// A hostile retry-after is capped, never slept in full, and never
		// mistaken for "no header" (a short backoff would hammer a server
		// that asked for a pause).
		{"retry-after 10^9 s capped", 0, resp(http.Header{"Retry-After": {"1000000000"}}), 0, maxW},
		{"retry-after 10^12 s capped", 0, resp(http.Header{"Retry-After": {"1e12"}}), 0, maxW},
		{"retry-after-ms 10^15 capped", 0, resp(http.Header{"Retry-After-Ms": {"1e15"}}), 0, maxW},
	}
	if got := retryWait(24*time.Hour, math.MaxInt64, math.MaxInt64, 60, nil, now, 0); got != math.MaxInt64 {
		t.Errorf("doubling overflowed: %v", got)
	}
	for _, tt := range tests {
		if got := retryWait(minW, maxW, maxW, tt.attempt, tt.resp, now, tt.jitter); got != tt.want {
			t.Errorf("%s: retryWait = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestShouldRetry(t *testing.T) {
	status := func(code int) *http.Response { return &http.Response{StatusCode: code, Header: http.Header{}} }
	dialErr := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	resetErr := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	eofErr := &url.Error{Op: "Post", URL: "http://x", Err: io.EOF}
	timeoutErr := &url.Error{Op: "Post", URL: "http://x", Err: context.DeadlineExceeded}
	certErr := &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}
	schemeErr := &url.Error{Op: "Get", URL: "x://x", Err: errors.New("unsupported protocol scheme \"x\"")}

	type row struct {
		resp *http.Response
		err  error
		// idempotent, unprocessed-only, never
		want [3]bool
	}
	rows := map[string]row{
		"200":          {resp: status(200), want: [3]bool{false, false, false}},
		"400":          {resp: status(400), want: [3]bool{false, false, false}},
		"404":          {resp: status(404), want: [3]bool{false, false, false}},
		"409":          {resp: status(409), want: [3]bool{false, false, false}},
		"429":          {resp: status(429), want: [3]bool{true, true, false}},
		"500":          {resp: status(500), want: [3]bool{true, false, false}},
		"501":          {resp: status(501), want: [3]bool{false, false, false}},
		"502":          {resp: status(502), want: [3]bool{true, false, false}},
		"503":          {resp: status(503), want: [3]bool{true, false, false}},
		"504":          {resp: status(504), want: [3]bool{true, false, false}},
		"529":          {resp: status(529), want: [3]bool{true, true, false}},
		"dial refused": {err: dialErr, want: [3]bool{true, true, false}},
		"reset":        {err: resetErr, want: [3]bool{true, false, false}},
		"eof":          {err: eofErr, want: [3]bool{true, false, false}},
		"timeout":      {err: timeoutErr, want: [3]bool{true, false, false}},
		"bad cert":     {err: certErr, want: [3]bool{false, false, false}},
		"bad scheme":   {err: schemeErr, want: [3]bool{false, false, false}},
		"canceled":     {err: &url.Error{Op: "Get", URL: "x", Err: context.Canceled}, want: [3]bool{false, false, false}},
		"nothing":      {want: [3]bool{false, false, false}},
	}
	classes := []retryClass{retryIdempotent, retryUnprocessed, retryNever}
	for name, r := range rows {
		for i, class := range classes {
			if got := shouldRetry(class, r.resp, r.err); got != r.want[i] {
				t.Errorf("%s/%v: shouldRetry = %v, want %v", name, class, got, r.want[i])
			}
		}
	}
}

func TestContextCanceledDuringBackoff(t *testing.T) {
	s := &scripted{statuses: []int{503, 503, 503}}
	c := newTestClient(t, s.ServeHTTP, func(o *Options) { o.MaxRetryTime = 2 * time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	waiting := make(chan struct{}, 1)
	c.onBackoff = func(context.Context, time.Duration) time.Duration {
		waiting <- struct{}{}
		return time.Hour // only cancellation can end this wait
	}
	go func() {
		<-waiting
		cancel()
	}()
	_, err := c.GetServiceAccount(ctx, "svac_01")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if got := s.count.Load(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestContextAlreadyCanceled(t *testing.T) {
	s := &scripted{}
	c := newTestClient(t, s.ServeHTTP)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.GetServiceAccount(ctx, "svac_01"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if s.count.Load() != 0 {
		t.Error("request sent on a canceled context")
	}
}

func TestResponseBodyCap(t *testing.T) {
	big := strings.Repeat("a", maxResponseBytes)
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/organizations/service_accounts/svac_big" {
			_, _ = io.WriteString(w, `{"id":"`+big+`"}`)
			return
		}
		// Just under the cap decodes fine.
		_, _ = io.WriteString(w, `{"id":"svac_ok","name":"n","organization_role":"developer","description":"`+big[:maxResponseBytes-100]+`"}`)
	})
	_, err := c.GetServiceAccount(t.Context(), "svac_big")
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("err = %v, want size cap error", err)
	}
	sa, err := c.GetServiceAccount(t.Context(), "svac_ok")
	if err != nil || len(sa.Description) != maxResponseBytes-100 {
		t.Errorf("under the cap: err = %v", err)
	}
}

func TestIDValidationAndEscaping(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		writeJSON(w, 200, validObjectFor(r))
	})
	ctx := t.Context()
	for _, id := range []string{"", ".", "..", " svac_01"} {
		if _, err := c.GetServiceAccount(ctx, id); err == nil {
			t.Errorf("GetServiceAccount(%q) succeeded", id)
		}
	}
	if _, err := c.UpdateFederationIssuer(ctx, "", FederationIssuerUpdateParams{}); err == nil || !strings.Contains(err.Error(), "federation issuer id must not be empty") {
		t.Errorf("err = %v", err)
	}
	if _, err := c.ArchiveFederationRule(ctx, ""); err == nil {
		t.Error("archive with empty id succeeded")
	}
	if err := c.RemoveServiceAccountWorkspace(ctx, "svac_01", ""); err == nil {
		t.Error("remove with empty workspace succeeded")
	}
	if _, err := c.EnableFederationRuleWorkspace(ctx, "fdrl_01", ""); err == nil {
		t.Error("enable with empty workspace succeeded")
	}
	if len(paths) != 0 {
		t.Fatalf("invalid ids reached the server: %v", paths)
	}

	// The server decodes the escaped segment back, so it answers the id asked for.
	if _, err := c.GetServiceAccount(ctx, "a/b?c#d%e"); err == nil || !strings.Contains(err.Error(), "must look like svac_") {
		t.Fatalf("a malformed id in the answer must be refused: %v", err)
	}
	if err := c.RemoveServiceAccountWorkspace(ctx, "svac_01", "ws/../x"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/v1/organizations/service_accounts/a%2Fb%3Fc%23d%25e",
		"/v1/organizations/service_accounts/svac_01/workspaces/ws%2F..%2Fx",
	}
	if fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Errorf("paths = %v\nwant    %v", paths, want)
	}
}

func TestEndpoints(t *testing.T) {
	type seen struct{ method, path, query, body string }
	var got []seen
	var mu sync.Mutex
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b)})
		mu.Unlock()
		if r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/workspaces") {
			writeJSON(w, 200, map[string]any{"data": []any{}, "next_page": nil})
			return
		}
		writeJSON(w, 200, validObjectFor(r))
	})
	ctx := t.Context()
	desc := "d"
	steps := []struct {
		run  func() error
		want seen
	}{
		{func() error {
			_, err := c.CreateServiceAccount(ctx, ServiceAccountCreateParams{Name: "sa", Description: &desc})
			return err
		}, seen{"POST", "/v1/organizations/service_accounts", "", `{"name":"sa","description":"d"}`}},
		{func() error {
			_, err := c.UpdateServiceAccount(ctx, "svac_1", ServiceAccountUpdateParams{Description: Null[string]()})
			return err
		}, seen{"POST", "/v1/organizations/service_accounts/svac_1", "", `{"description":null}`}},
		{func() error { _, err := c.ArchiveServiceAccount(ctx, "svac_1"); return err },
			seen{"POST", "/v1/organizations/service_accounts/svac_1/archive", "", ""}},
		{func() error {
			_, err := c.AddServiceAccountWorkspace(ctx, "svac_1", "wrkspc_1", "workspace_developer")
			return err
		}, seen{"POST", "/v1/organizations/service_accounts/svac_1/workspaces", "", `{"workspace_id":"wrkspc_1","workspace_role":"workspace_developer"}`}},
		{func() error { _, err := c.ListServiceAccountWorkspaces(ctx, "svac_1"); return err },
			seen{"GET", "/v1/organizations/service_accounts/svac_1/workspaces", "limit=100", ""}},
		{func() error { return c.RemoveServiceAccountWorkspace(ctx, "svac_1", "wrkspc_1") },
			seen{"DELETE", "/v1/organizations/service_accounts/svac_1/workspaces/wrkspc_1", "", ""}},
		{func() error {
			_, err := c.CreateFederationIssuer(ctx, FederationIssuerCreateParams{Name: "gh", IssuerURL: "https://token.actions.githubusercontent.com"})
			return err
		}, seen{"POST", "/v1/organizations/federation_issuers", "", `{"name":"gh","issuer_url":"https://token.actions.githubusercontent.com"}`}},
		{func() error { _, err := c.GetFederationIssuer(ctx, "fdis_1"); return err },
			seen{"GET", "/v1/organizations/federation_issuers/fdis_1", "", ""}},
		{func() error {
			_, err := c.UpdateFederationIssuer(ctx, "fdis_1", FederationIssuerUpdateParams{JWKSPollingDisabled: Set(false)})
			return err
		}, seen{"POST", "/v1/organizations/federation_issuers/fdis_1", "", `{"jwks_polling_disabled":false}`}},
		{func() error { _, err := c.ArchiveFederationIssuer(ctx, "fdis_1"); return err },
			seen{"POST", "/v1/organizations/federation_issuers/fdis_1/archive", "", ""}},
		{func() error {
			_, err := c.CreateFederationRule(ctx, FederationRuleCreateParams{
				Name: "r", IssuerID: "fdis_1", OAuthScope: "workspace:developer",
				Match:                  RuleMatch{Claims: map[string]string{"sub": "1"}},
				Target:                 RuleTarget{Type: "service_account", ServiceAccountID: "svac_1"},
				AppliesToAllWorkspaces: ptr(true),
			})
			return err
		}, seen{"POST", "/v1/organizations/federation_rules", "", `{"name":"r","issuer_id":"fdis_1","match":{"claims":{"sub":"1"}},"target":{"type":"service_account","service_account_id":"svac_1"},"oauth_scope":"workspace:developer","applies_to_all_workspaces":true}`}},
		{func() error { _, err := c.GetFederationRule(ctx, "fdrl_1"); return err },
			seen{"GET", "/v1/organizations/federation_rules/fdrl_1", "", ""}},
		{func() error { _, err := c.ArchiveFederationRule(ctx, "fdrl_1"); return err },
			seen{"POST", "/v1/organizations/federation_rules/fdrl_1/archive", "", ""}},
		{func() error { _, err := c.EnableFederationRuleWorkspace(ctx, "fdrl_1", "wrkspc_1"); return err },
			seen{"POST", "/v1/organizations/federation_rules/fdrl_1/workspaces", "", `{"workspace_id":"wrkspc_1"}`}},
		{func() error { _, err := c.ListFederationRuleWorkspaces(ctx, "fdrl_1"); return err },
			seen{"GET", "/v1/organizations/federation_rules/fdrl_1/workspaces", "", ""}},
		{func() error { return c.DisableFederationRuleWorkspace(ctx, "fdrl_1", "wrkspc_1") },
			seen{"DELETE", "/v1/organizations/federation_rules/fdrl_1/workspaces/wrkspc_1", "", ""}},
	}
	for i, s := range steps {
		if err := s.run(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		last := got[len(got)-1]
		last.body = strings.TrimSpace(last.body)
		if last != s.want {
			t.Errorf("step %d:\n got %+v\nwant %+v", i, last, s.want)
		}
	}
}

func TestDeleteTreats404AsDone(t *testing.T) {
	s := &scripted{statuses: []int{404, 404}}
	c := newTestClient(t, s.ServeHTTP)
	if err := c.RemoveServiceAccountWorkspace(t.Context(), "svac_1", "wrkspc_1"); err != nil {
		t.Errorf("remove: %v", err)
	}
	if err := c.DisableFederationRuleWorkspace(t.Context(), "fdrl_1", "wrkspc_1"); err != nil {
		t.Errorf("disable: %v", err)
	}
	s2 := &scripted{statuses: []int{403}}
	c2 := newTestClient(t, s2.ServeHTTP)
	if err := c2.RemoveServiceAccountWorkspace(t.Context(), "svac_1", "wrkspc_1"); !IsForbidden(err) {
		t.Errorf("403 swallowed: %v", err)
	}
}

func TestDecodingIsTolerant(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{
			"type":"federation_rule","id":"fdrl_1","name":"r","description":null,
			"issuer_id":"fdis_1","issuer_name":"gh",
			"match":{"subject_prefix":"repo:o/*","future_matcher":1},
			"target":{"type":"service_account","service_account_id":"svac_1","service_account_name":"sa"},
			"oauth_scope":"workspace:developer","applies_to_all_workspaces":false,
			"workspace_ids":null,"token_lifetime_seconds":600,"attributes":null,
			"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:06.123456Z",
			"archived_at":"2026-02-01T00:00:00Z","archived_by_actor_id":"svac_2",
			"brand_new_field":{"nested":[1,2,3]}
		}`)
	})
	r, err := c.GetFederationRule(t.Context(), "fdrl_1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Description != nil || r.WorkspaceIDs != nil || *r.Match.SubjectPrefix != "repo:o/*" ||
		r.Target.ServiceAccountName != "sa" || r.TokenLifetimeSeconds != 600 || !r.IsArchived() ||
		*r.ArchivedByActorID != "svac_2" || r.UpdatedAt.Nanosecond() != 123456000 {
		t.Errorf("decoded %+v", r)
	}
}

func TestLoggerSeesAttemptsButNoSecrets(t *testing.T) {
	logger := &recordingLogger{}
	s := &scripted{statuses: []int{529, 429}, header: http.Header{"Retry-After": []string{"0"}}}
	c := newTestClient(t, s.ServeHTTP, func(o *Options) { o.Logger = logger })
	c.jitter = func() float64 { return 0 }
	if _, err := c.GetServiceAccount(t.Context(), "svac_01"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExchangeToken(t.Context(), exchangeParams()); err == nil {
		// the scripted server returns a service account, which has no access_token
		t.Fatal("want error")
	}
	lines := logger.all()
	joined := strings.Join(lines, "\n")
	// One line per attempt, one per retry (with its reason and wait), in
	// order.
	want := []string{
		`^DEBUG anthropic API request \[method GET path /v1/organizations/service_accounts/svac_01 attempt 1 status 529 request_id req_hdr_529 duration_ms \d+\]$`,
		`^WARN anthropic API: retrying request \[method GET path /v1/organizations/service_accounts/svac_01 attempt 1 reason overloaded status 529 request_id req_hdr_529 retry_after 0 wait_ms 0\]$`,
		`^DEBUG anthropic API request \[method GET path /v1/organizations/service_accounts/svac_01 attempt 2 status 429 request_id req_hdr_429 duration_ms \d+\]$`,
		`^WARN anthropic API: retrying request \[method GET path /v1/organizations/service_accounts/svac_01 attempt 2 reason rate limited status 429 request_id req_hdr_429 retry_after 0 wait_ms 0\]$`,
		`^DEBUG anthropic API request \[method GET path /v1/organizations/service_accounts/svac_01 attempt 3 status 200 request_id  duration_ms \d+\]$`,
		`^DEBUG anthropic API request \[method POST path /v1/oauth/token attempt 1 status 200 request_id  duration_ms \d+\]$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d log lines, want %d:\n%s", len(lines), len(want), joined)
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) {
			t.Errorf("log line %d = %q, want %s", i, lines[i], w)
		}
	}
	for _, secret := range []string{testToken, testAssertion, "Bearer"} {
		if strings.Contains(joined, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
}

// A connection that fails is retried (for a read) with the error as the
// reason and the backoff's wait.
func TestLoggerSeesTransportErrorRetries(t *testing.T) {
	logger := &recordingLogger{}
	opts := testOptions(refusedURL(t))
	opts.Logger = logger
	opts.MaxRetries = 1
	opts.RetryWaitMin, opts.RetryWaitMax = 3*time.Millisecond, 3*time.Millisecond
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	c.jitter = func() float64 { return 0 }
	if _, err := c.GetServiceAccount(t.Context(), "svac_01"); err == nil {
		t.Fatal("want a connection error")
	}
	lines := logger.all()
	want := []string{
		`^DEBUG anthropic API request \[method GET path /v1/organizations/service_accounts/svac_01 attempt 1 error dial tcp [^]]*connection refused duration_ms \d+\]$`,
		`^WARN anthropic API: retrying request \[method GET path /v1/organizations/service_accounts/svac_01 attempt 1 reason transport error error dial tcp [^]]*connection refused wait_ms 3\]$`,
		`^DEBUG anthropic API request \[method GET path /v1/organizations/service_accounts/svac_01 attempt 2 error dial tcp [^]]*connection refused duration_ms \d+\]$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d log lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) {
			t.Errorf("log line %d = %q, want %s", i, lines[i], w)
		}
	}
}

// truncatedThenOK promises a longer body than it sends on the first
// request (the client sees an unexpected EOF mid-body), then behaves.
func truncatedThenOK(hits *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if hits.Add(1) == 1 {
			w.Header().Set("content-length", "1000")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"id":"svac_`)
			return
		}
		writeJSON(w, 200, sampleServiceAccount("svac_01"))
	}
}

func TestBodyReadFailureFollowsRetryPolicy(t *testing.T) {
	var hits atomic.Int32
	c := newTestClient(t, truncatedThenOK(&hits))
	if sa, err := c.GetServiceAccount(t.Context(), "svac_01"); err != nil || sa.ID != "svac_01" {
		t.Fatalf("GET after a cut body: sa=%v err=%v", sa, err)
	}
	if hits.Load() != 2 {
		t.Errorf("GET attempts = %d, want 2", hits.Load())
	}

	hits.Store(0)
	_, err := c.UpdateServiceAccount(t.Context(), "svac_01", ServiceAccountUpdateParams{Description: Set("d")})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("update err = %v, want unexpected EOF", err)
	}
	if hits.Load() != 1 {
		t.Errorf("update attempts = %d, want 1: the server may have applied it", hits.Load())
	}
}
