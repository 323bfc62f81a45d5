// Package google is the provider's Google side, free of Terraform types:
// settings resolved from the google block and the environment
// (ResolveSettings), credentials (Application Default Credentials, a
// credentials file or its content, a static access token, service account
// impersonation), the options for Google API clients built on them, custom
// IAM and IAM Credentials endpoints, service account lookups (ParseAccountID,
// ServiceAccount, with a LookupError that says which way a lookup failed),
// Google-signed ID tokens minted by impersonation as an identity source
// (ImpersonationSource), and error text safe to show a person.
//
// Nothing touches the network or the file system until a Google client is
// needed, so a configuration that never uses Google needs no credentials.
// Every HTTP client here is bounded by the configured timeout and follows no
// redirect (the Google libraries' own client would re-send the bearer token
// to the redirect's host). Errors never contain a token or a key.
package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/httptransport"
	"google.golang.org/api/googleapi"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
	"google.golang.org/api/option"

	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// Environment variables read for Google settings, named as
// terraform-provider-google names them so one CI environment serves both.
const (
	EnvCredentials            = "GOOGLE_CREDENTIALS"
	EnvAccessToken            = "GOOGLE_OAUTH_ACCESS_TOKEN"
	EnvImpersonate            = "GOOGLE_IMPERSONATE_SERVICE_ACCOUNT"
	EnvIAMEndpoint            = "GOOGLE_IAM_CUSTOM_ENDPOINT"
	EnvIAMCredentialsEndpoint = "GOOGLE_IAM_CREDENTIALS_CUSTOM_ENDPOINT"
	// EnvApplicationCredentials is read by Application Default
	// Credentials itself; named here only for messages.
	EnvApplicationCredentials = "GOOGLE_APPLICATION_CREDENTIALS"
)

// DefaultTimeout bounds each Google request when Options.Timeout is not set.
const DefaultTimeout = 60 * time.Second

const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// Settings are the Google settings after environment defaults. The *From
// fields name where a value came from, for messages.
type Settings struct {
	Credentials, CredentialsFrom string
	AccessToken, AccessTokenFrom string
	Impersonate                  string
	Delegates                    []string
	IAMEndpoint                  string // normalised (NormalizeEndpoint); "" means Google's default
	IAMCredentialsEndpoint       string // normalised (NormalizeEndpoint); "" means Google's default
}

// Options are what a Config needs besides its Settings.
type Options struct {
	// UserAgent is sent with every Google API request.
	UserAgent string
	// Timeout bounds every Google request (IAM, IAM Credentials, token
	// endpoints, the metadata server); DefaultTimeout when zero.
	Timeout time.Duration
	// Problem is a configuration error found early that only matters once
	// Google is used (unknown values, a bad environment value); every use
	// of the Config then fails with it.
	Problem error
	// Debug, when set, receives debug log lines (never a secret).
	Debug func(ctx context.Context, msg string, fields map[string]any)
}

// Config is the provider's Google side. Nothing in it touches the network
// or the file system until a Google client is needed: a configuration
// without Google resources must not need Google credentials. It is safe for
// concurrent use.
type Config struct {
	settings  Settings
	userAgent string
	problem   error
	timeout   time.Duration
	debug     func(ctx context.Context, msg string, fields map[string]any)

	// The credentials and the authorised HTTP client built on them (shared
	// by the IAM and IAM Credentials clients) are resolved once, by the
	// first call that needs them, and logged in that call's context.
	credsOnce  sync.Once
	creds      *auth.Credentials
	credsErr   error
	clientOnce sync.Once
	client     *http.Client
	clientErr  error
}

// New wires the lazy credential lookup: nothing is resolved before the
// first use.
func New(s Settings, o Options) *Config {
	g := &Config{settings: s, userAgent: o.UserAgent, problem: o.Problem, timeout: o.Timeout, debug: o.Debug}
	if g.timeout <= 0 {
		g.timeout = DefaultTimeout
	}
	return g
}

// credentials resolves the credentials on first use. ctx is the first
// caller's, for its log lines only: the credentials outlive that call.
func (g *Config) credentials(ctx context.Context) (*auth.Credentials, error) {
	g.credsOnce.Do(func() { g.creds, g.credsErr = g.resolveCredentials(ctx) })
	return g.creds, g.credsErr
}

// httpClient is the authorised HTTP client, built on first use.
func (g *Config) httpClient(ctx context.Context) (*http.Client, error) {
	g.clientOnce.Do(func() {
		creds, err := g.credentials(ctx)
		if err != nil {
			g.clientErr = err
			return
		}
		g.client, g.clientErr = g.authorizedClient(creds)
	})
	return g.client, g.clientErr
}

// Problem is Options.Problem: the configuration error every use fails with.
func (g *Config) Problem() error { return g.problem }

// Settings returns the settings the Config was built with.
func (g *Config) Settings() Settings { return g.settings }

func (g *Config) logDebug(ctx context.Context, msg string, fields map[string]any) {
	if g.debug != nil {
		g.debug(ctx, msg, fields)
	}
}

// NormalizeEndpoint turns a custom endpoint into the base URL the
// generated Google clients expect: they append "v1/..." to it themselves, so
// a URL copied from documentation with v1 in it would otherwise double it.
func NormalizeEndpoint(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	shown := redact.String(raw) // a URL may carry a password
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q is not an absolute http(s) URL such as https://iam.googleapis.com/", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must not carry a query, a fragment or user information", shown)
	}
	if u.Scheme == "http" && !policy.IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("%q uses plain http to a non-loopback host; the provider refuses to send Google credentials over an unencrypted connection. "+
			"Use https, or http only to 127.0.0.1, ::1 or localhost (a local emulator)", shown)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path = strings.TrimSuffix(u.Path, "v1/")
	if !strings.HasSuffix(u.Path, "/") {
		// "…/iamv1/" is not a version suffix: put back what was trimmed.
		u.Path += "v1/"
	}
	u.RawPath = ""
	return u.String(), nil
}

var serviceAccountEmailPattern = regexp.MustCompile(`(?i)^[a-z0-9][a-z0-9._+-]*@[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$`)

// CheckServiceAccountEmail accepts the email forms IAM uses for service
// accounts (user-managed, default and service agents), in any case: IAM
// compares them case-insensitively.
func CheckServiceAccountEmail(s string) error {
	if !serviceAccountEmailPattern.MatchString(s) {
		return fmt.Errorf("%q is not a service account email such as name@project-id.iam.gserviceaccount.com", s)
	}
	return nil
}

// CheckImpersonationTarget lets "" through: it turns impersonation off.
func CheckImpersonationTarget(s string) error {
	if s == "" {
		return nil
	}
	return CheckServiceAccountEmail(s)
}

// Describe names the credential source without revealing it.
func (g *Config) Describe() string {
	s := g.settings
	var d string
	switch {
	case s.AccessToken != "":
		d = "the access token from " + s.AccessTokenFrom
	case s.Credentials != "":
		d = "the credentials from " + s.CredentialsFrom
	default:
		d = "Application Default Credentials"
	}
	if s.Impersonate != "" {
		d += " impersonating " + s.Impersonate
		if len(s.Delegates) > 0 {
			d += " via " + strings.Join(s.Delegates, " -> ")
		}
	}
	return d
}

// ClientOptions are the options every Google API client of the provider
// starts from: an HTTP client with the provider's Google credentials and
// User-Agent, bounded by request_timeout, that follows no redirect. The
// first call resolves the credentials (Application Default Credentials
// lookup, file read, impersonation setup); later calls reuse them. Errors
// say where the credentials were looked for and never contain a secret.
func (g *Config) ClientOptions(ctx context.Context) ([]option.ClientOption, error) {
	if g.problem != nil {
		return nil, g.problem
	}
	hc, err := g.httpClient(ctx)
	if err != nil {
		return nil, err
	}
	g.logDebug(ctx, "using Google credentials", map[string]any{"source": g.Describe()})
	return []option.ClientOption{option.WithHTTPClient(hc)}, nil
}

// IAMOptions configure an IAM v1 client (iam.NewService).
func (g *Config) IAMOptions(ctx context.Context) ([]option.ClientOption, error) {
	return g.withEndpoint(ctx, g.settings.IAMEndpoint)
}

// IAMCredentialsOptions configure an IAM Credentials v1 client, for example
// identity.ImpersonationOptions.ClientOptions (generateIdToken).
func (g *Config) IAMCredentialsOptions(ctx context.Context) ([]option.ClientOption, error) {
	return g.withEndpoint(ctx, g.settings.IAMCredentialsEndpoint)
}

func (g *Config) withEndpoint(ctx context.Context, endpoint string) ([]option.ClientOption, error) {
	opts, err := g.ClientOptions(ctx)
	if err != nil {
		return nil, err
	}
	if endpoint != "" {
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	return opts, nil
}

// authorizedClient is the HTTP client the Google API clients use instead of
// their own. Theirs follows redirects, and its transport adds the bearer
// token to every hop: a redirect to another host would receive it.
func (g *Config) authorizedClient(creds *auth.Credentials) (*http.Client, error) {
	hc, err := httptransport.NewClient(&httptransport.Options{
		Credentials: creds,
		Headers:     http.Header{"User-Agent": {g.userAgent}},
		// The timeout sits below the credentials: fetching the token (an
		// impersonation, with its own timeout) does not eat into the time
		// of the request it authorises, and its timeout is reported as its own.
		BaseRoundTripper: &timeoutTransport{next: cloneDefaultTransport(), timeout: g.timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the Google HTTP client: %w", redact.Error(err))
	}
	hc.CheckRedirect = refuseRedirect
	return hc, nil
}

func cloneDefaultTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return http.DefaultTransport
}

// timeoutTransport bounds one request, from sending it to reading the last
// byte of the response body.
type timeoutTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.timeout <= 0 {
		return t.next.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases the request's timer once the body is consumed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// tokenClient fetches tokens for the base credentials (OAuth token
// endpoints, STS): no Authorization header of ours, but assertions, client
// secrets and refresh tokens in the body, which a 307 would re-send.
func (g *Config) tokenClient() *http.Client {
	return &http.Client{Transport: cloneDefaultTransport(), Timeout: g.timeout, CheckRedirect: refuseRedirect}
}

// refuseRedirect follows no redirect: Google APIs do not redirect, so
// one comes from a misconfigured endpoint or a hostile proxy.
func refuseRedirect(req *http.Request, via []*http.Request) error {
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	return fmt.Errorf("%s answered HTTP %d, a redirect to %s; the provider follows no redirect with Google credentials (check the endpoint settings)",
		urlOrigin(via[0].URL), status, urlOrigin(req.URL))
}

// urlOrigin is scheme://host of u, without user information, path or query.
func urlOrigin(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// TimeoutError is a Google request that ran out of the configured timeout.
type TimeoutError struct {
	service, endpoint string
	timeout           time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s (%s) did not answer within %s; the provider's request_timeout bounds each Google request, raise it if the endpoint is slow",
		e.service, e.endpoint, e.timeout)
}

// ExplainTimeout turns err into a *TimeoutError when it is the
// request timeout expiring (not the caller cancelling), so the message
// names the setting instead of "context deadline exceeded".
func (g *Config) ExplainTimeout(ctx context.Context, err error, service, endpoint, defaultEndpoint string) error {
	var already *TimeoutError
	if err == nil || ctx.Err() != nil || errors.As(err, &already) || !isTimeout(err) {
		return err
	}
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	return &TimeoutError{service: service, endpoint: endpoint, timeout: g.timeout}
}

const (
	DefaultIAMEndpoint            = "https://iam.googleapis.com/"
	DefaultIAMCredentialsEndpoint = "https://iamcredentials.googleapis.com/"
)

// isTimeout reports an expired deadline, from a context or a client timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// RequestTimeout is the configured timeout, for Google requests made
// outside the clients above (the metadata server).
func (g *Config) RequestTimeout() time.Duration {
	if g == nil || g.timeout <= 0 {
		return DefaultTimeout
	}
	return g.timeout
}

// resolveCredentials runs once, on first use. ctx is only for logging: the
// credentials outlive the Terraform call that happened to need them first.
func (g *Config) resolveCredentials(ctx context.Context) (*auth.Credentials, error) {
	base, err := g.baseCredentials()
	if err != nil {
		return nil, err
	}
	base = g.boundTokenFetch(base)
	s := g.settings
	if s.Impersonate == "" {
		return base, nil
	}
	g.logDebug(ctx, "impersonating a Google service account", map[string]any{"target": s.Impersonate, "delegates": s.Delegates})
	client, err := g.authorizedClient(base)
	if err != nil {
		return nil, err
	}
	tp := &impersonatedTokenProvider{
		config: g, client: client, target: s.Impersonate, delegates: s.Delegates, endpoint: s.IAMCredentialsEndpoint,
	}
	return auth.NewCredentials(&auth.CredentialsOptions{
		TokenProvider: auth.NewCachedTokenProvider(tp, &auth.CachedTokenProviderOptions{DisableAsyncRefresh: true}),
	}), nil
}

func (g *Config) baseCredentials() (*auth.Credentials, error) {
	s := g.settings
	opts := &credentials.DetectOptions{Scopes: []string{cloudPlatformScope}, Client: g.tokenClient()}
	switch {
	case s.AccessToken != "":
		return auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: staticTokenProvider{token: strings.TrimSpace(s.AccessToken)}}), nil
	case s.Credentials != "":
		b, err := credentialsJSON(s.Credentials, s.CredentialsFrom)
		if err != nil {
			return nil, err
		}
		credType, err := credentialsType(b, s.CredentialsFrom)
		if err != nil {
			return nil, err
		}
		creds, err := credentials.NewCredentialsFromJSON(credType, b, opts)
		if err != nil {
			return nil, fmt.Errorf("loading the Google credentials from %s: %w", s.CredentialsFrom, redact.Error(err))
		}
		return creds, nil
	}
	creds, err := credentials.DetectDefault(opts)
	if err != nil {
		hint := ""
		if p := os.Getenv(EnvApplicationCredentials); p != "" {
			hint = fmt.Sprintf(" (%s is %q)", EnvApplicationCredentials, p)
		}
		return nil, fmt.Errorf("finding Google Application Default Credentials%s: %w. Set google.credentials or google.access_token in the provider "+
			"block, the %s or %s environment variable, or run `gcloud auth application-default login`", hint, redact.Error(err), EnvCredentials, EnvAccessToken)
	}
	return creds, nil
}

// boundTokenFetch bounds each access token fetch of creds by
// request_timeout. Token endpoints are reached with tokenClient, which has
// the timeout already; the metadata server behind Application Default
// Credentials on Google Cloud is not, and the library retries it for
// half a minute.
func (g *Config) boundTokenFetch(creds *auth.Credentials) *auth.Credentials {
	if g.timeout <= 0 {
		return creds
	}
	bounded := *creds // keeps the project, quota project and universe domain
	bounded.TokenProvider = &timeoutTokenProvider{next: creds.TokenProvider, timeout: g.timeout, describe: g.Describe}
	return &bounded
}

type timeoutTokenProvider struct {
	next     auth.TokenProvider
	timeout  time.Duration
	describe func() string
}

func (p *timeoutTokenProvider) Token(ctx context.Context) (*auth.Token, error) {
	tctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	tok, err := p.next.Token(tctx)
	if err != nil && ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
		// Not wrapped: the request this token was for must not be reported
		// as the one that timed out.
		return nil, fmt.Errorf("fetching a Google access token for %s took longer than %s; the provider's request_timeout bounds each Google request, "+
			"raise it if the token endpoint or metadata server is slow", p.describe(), p.timeout)
	}
	return tok, err
}

// maxCredentialsFileBytes bounds a credentials file; real ones are a few KiB.
const maxCredentialsFileBytes = 1 << 20

// credentialsJSON accepts a file path or the JSON itself, as
// terraform-provider-google does. Errors never echo the value: it may be a key.
func credentialsJSON(v, from string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "{") {
		return []byte(v), nil
	}
	p := v
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, rest)
		}
	}
	b, err := identity.ReadRegularFile(p, maxCredentialsFileBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("the Google credentials file %q named by %s does not exist (%s takes a file path or the JSON content itself)", p, from, from)
	case err != nil:
		return nil, fmt.Errorf("the Google credentials file named by %s: %w", from, err)
	}
	return b, nil
}

// credentialsType reads the JSON's type so the matching loader is used. The
// configuration is the user's own, so every type Google defines for
// non-interactive use is accepted; client secrets (no type) are not.
func credentialsType(b []byte, from string) (credentials.CredType, error) {
	var f struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return "", fmt.Errorf("the Google credentials from %s are not valid JSON (a file path or the content of a credentials JSON file is expected)", from)
	}
	switch t := credentials.CredType(f.Type); t {
	case credentials.ServiceAccount, credentials.AuthorizedUser, credentials.ExternalAccount,
		credentials.ImpersonatedServiceAccount, credentials.ExternalAccountAuthorizedUser, credentials.GDCHServiceAccount:
		return t, nil
	case "":
		return "", fmt.Errorf("the Google credentials from %s have no \"type\"; expected a service account key, authorized_user, external_account or impersonated_service_account configuration", from)
	default:
		return "", fmt.Errorf("the Google credentials from %s have unsupported type %q", from, f.Type)
	}
}

type staticTokenProvider struct{ token string }

func (p staticTokenProvider) Token(context.Context) (*auth.Token, error) {
	return &auth.Token{Value: p.token, Type: "Bearer"}, nil
}

// impersonatedTokenProvider mints access tokens of another service account
// with IAM Credentials generateAccessToken. Google's impersonate packages
// hard-code the production endpoint; this one honours
// iam_credentials_custom_endpoint like every other call of the provider.
type impersonatedTokenProvider struct {
	config *Config
	// client carries the base credentials.
	client    *http.Client
	target    string
	delegates []string
	endpoint  string
}

func (p *impersonatedTokenProvider) Token(ctx context.Context) (*auth.Token, error) {
	opts := []option.ClientOption{option.WithHTTPClient(p.client)}
	if p.endpoint != "" {
		opts = append(opts, option.WithEndpoint(p.endpoint))
	}
	svc, err := iamcredentials.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("impersonating %s: creating the IAM Credentials client: %w", p.target, redact.Error(err))
	}
	req := &iamcredentials.GenerateAccessTokenRequest{Scope: []string{cloudPlatformScope}, Lifetime: "3600s"}
	for _, d := range p.delegates {
		req.Delegates = append(req.Delegates, "projects/-/serviceAccounts/"+d)
	}
	resp, err := svc.Projects.ServiceAccounts.GenerateAccessToken("projects/-/serviceAccounts/"+p.target, req).Context(ctx).Do()
	if err != nil {
		err = p.config.ExplainTimeout(ctx, err, "IAM Credentials", p.endpoint, DefaultIAMCredentialsEndpoint)
		hint := "the provider's Google identity needs roles/iam.serviceAccountTokenCreator on " + p.target
		if len(p.delegates) > 0 {
			hint = fmt.Sprintf("each hop of %s needs roles/iam.serviceAccountTokenCreator on the next", strings.Join(append(append([]string{"the provider's Google identity"}, p.delegates...), p.target), " -> "))
		}
		var gerr *googleapi.Error
		if errors.As(err, &gerr) && gerr.Code == http.StatusForbidden {
			return nil, fmt.Errorf("impersonating %s was denied; %s: %s", p.target, hint, ErrorText(err))
		}
		return nil, fmt.Errorf("impersonating %s: %s", p.target, ErrorText(err))
	}
	expiry, err := time.Parse(time.RFC3339, resp.ExpireTime)
	if err != nil {
		return nil, fmt.Errorf("impersonating %s: generateAccessToken returned an unreadable expireTime %q", p.target, redact.String(resp.ExpireTime))
	}
	if resp.AccessToken == "" {
		return nil, fmt.Errorf("impersonating %s: generateAccessToken returned no access token", p.target)
	}
	return &auth.Token{Value: resp.AccessToken, Type: "Bearer", Expiry: expiry}, nil
}

// ErrorText renders a Google API error as its status and message (the
// default rendering dumps the details as indented JSON), redacted: front
// ends echo request headers, the bearer token among them, into errors.
func ErrorText(err error) string {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return redact.String(err.Error())
	}
	msg := gerr.Message
	if msg == "" {
		// Snippet redacts before it cuts: a cut token no longer matches.
		msg = identity.Snippet([]byte(gerr.Body), 300)
	}
	text := fmt.Sprintf("Google answered HTTP %d: %s", gerr.Code, msg)
	if reason := errorReason(gerr); reason != "" {
		text += " (reason " + reason + ")"
	}
	return redact.String(text)
}

func errorReason(gerr *googleapi.Error) string {
	for _, d := range gerr.Details {
		if m, ok := d.(map[string]any); ok {
			if r, ok := m["reason"].(string); ok && r != "" {
				return r
			}
		}
	}
	for _, e := range gerr.Errors {
		if e.Reason != "" {
			return e.Reason
		}
	}
	return ""
}
