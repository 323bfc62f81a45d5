package provider

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
	"unicode/utf8"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/httptransport"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"google.golang.org/api/googleapi"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
	"google.golang.org/api/option"

	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// Environment variables read for the google block, named as
// terraform-provider-google names them so one CI environment serves both.
const (
	envGoogleCredentials            = "GOOGLE_CREDENTIALS"
	envGoogleAccessToken            = "GOOGLE_OAUTH_ACCESS_TOKEN"
	envGoogleImpersonate            = "GOOGLE_IMPERSONATE_SERVICE_ACCOUNT"
	envGoogleIAMEndpoint            = "GOOGLE_IAM_CUSTOM_ENDPOINT"
	envGoogleIAMCredentialsEndpoint = "GOOGLE_IAM_CREDENTIALS_CUSTOM_ENDPOINT"
	// envGoogleApplicationCredentials is read by Application Default
	// Credentials itself; named here only for messages.
	envGoogleApplicationCredentials = "GOOGLE_APPLICATION_CREDENTIALS"
)

const googleCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// googleModel is the provider's google attribute.
type googleModel struct {
	Credentials                        types.String `tfsdk:"credentials"`
	AccessToken                        types.String `tfsdk:"access_token"`
	ImpersonateServiceAccount          types.String `tfsdk:"impersonate_service_account"`
	ImpersonateServiceAccountDelegates types.List   `tfsdk:"impersonate_service_account_delegates"`
	IAMCustomEndpoint                  types.String `tfsdk:"iam_custom_endpoint"`
	IAMCredentialsCustomEndpoint       types.String `tfsdk:"iam_credentials_custom_endpoint"`
}

func googleProviderAttribute() schema.Attribute {
	sibling := func(name string) path.Expression { return path.MatchRelative().AtParent().AtName(name) }
	endpoint := func(api, env, def string) schema.StringAttribute {
		return schema.StringAttribute{
			Description: fmt.Sprintf("Base URL of the Google %s API, for a private endpoint or a local emulator. Defaults to the %s environment variable, then %s. "+
				"A trailing slash is added and a trailing v1/ removed (the Google client adds the version itself). Plain http is accepted only for loopback addresses.", api, env, def),
			MarkdownDescription: fmt.Sprintf("Base URL of the Google %s API, for a private endpoint or a local emulator. Defaults to the `%s` environment variable, then `%s`. "+
				"A trailing `/` is added and a trailing `v1/` removed, since the Google client appends the API version itself: `https://example.com/iam/v1/` and "+
				"`https://example.com/iam` both mean `https://example.com/iam/`. Plain `http` is accepted only for loopback addresses.", api, env, def),
			Optional:   true,
			Validators: []validator.String{stringCheck{description: "Google API endpoint", check: func(s string) error { _, err := normalizeGoogleEndpoint(s); return err }}},
		}
	}
	return schema.SingleNestedAttribute{
		Description: "Google credentials and endpoints for the parts of the provider that call Google (the anthropic_google_service_account data source and Google " +
			"identity tokens). They follow terraform-provider-google: Application Default Credentials unless credentials or access_token is set. Credentials are " +
			"looked up only when something uses Google, so configurations that never do need none. Values set here take precedence over environment variables.",
		MarkdownDescription: "Google credentials and endpoints for the parts of the provider that call Google (the `anthropic_google_service_account` data source " +
			"and Google identity tokens). They follow the conventions of the `google` provider: [Application Default Credentials](https://cloud.google.com/docs/authentication/application-default-credentials) " +
			"unless `credentials` or `access_token` is set. Credentials are looked up only when something uses Google, so configurations that never do need " +
			"no Google credentials. Values set here take precedence over environment variables; among environment variables, `GOOGLE_OAUTH_ACCESS_TOKEN` wins over `GOOGLE_CREDENTIALS`.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"credentials": schema.StringAttribute{
				Description: "Path of a Google credentials JSON file, or its content (service account key, authorized user, external account or impersonated service account). " +
					"Defaults to the GOOGLE_CREDENTIALS environment variable, then Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's application default login, the metadata server). Conflicts with access_token.",
				MarkdownDescription: "Path of a Google credentials JSON file, or its content: a service account key, `authorized_user`, `external_account` (workload identity federation) " +
					"or `impersonated_service_account` configuration. Defaults to the `GOOGLE_CREDENTIALS` environment variable, then Application Default Credentials " +
					"(`GOOGLE_APPLICATION_CREDENTIALS`, `gcloud auth application-default login`, the metadata server). Conflicts with `access_token`.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{stringvalidator.ConflictsWith(sibling("access_token")), stringvalidator.LengthAtLeast(1)},
			},
			"access_token": schema.StringAttribute{
				Description:         "A Google OAuth 2.0 access token (for example from the google_client_config data source), used as is and never refreshed. Defaults to the GOOGLE_OAUTH_ACCESS_TOKEN environment variable. Conflicts with credentials.",
				MarkdownDescription: "A Google OAuth 2.0 access token (for example `data.google_client_config.default.access_token`), used as is and never refreshed. Defaults to the `GOOGLE_OAUTH_ACCESS_TOKEN` environment variable. Conflicts with `credentials`.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"impersonate_service_account": schema.StringAttribute{
				Description: "Email of a Google service account to act as: the credentials above mint its access tokens through IAM Credentials generateAccessToken, which needs " +
					"roles/iam.serviceAccountTokenCreator on it. Defaults to the GOOGLE_IMPERSONATE_SERVICE_ACCOUNT environment variable; an empty string turns impersonation off.",
				MarkdownDescription: "Email of a Google service account to act as: the credentials above mint its access tokens through IAM Credentials `generateAccessToken`, which " +
					"needs `roles/iam.serviceAccountTokenCreator` on it. Defaults to the `GOOGLE_IMPERSONATE_SERVICE_ACCOUNT` environment variable; `\"\"` turns impersonation off.",
				Optional:   true,
				Validators: []validator.String{stringCheck{description: "service account email", check: checkImpersonationTarget}},
			},
			"impersonate_service_account_delegates": schema.ListAttribute{
				Description:         "Delegation chain (service account emails, caller side first) for impersonate_service_account; each needs roles/iam.serviceAccountTokenCreator on the next.",
				MarkdownDescription: "Delegation chain (service account emails, caller side first) for `impersonate_service_account`; each needs `roles/iam.serviceAccountTokenCreator` on the next.",
				ElementType:         types.StringType,
				Optional:            true,
				Validators: []validator.List{
					listvalidator.AlsoRequires(sibling("impersonate_service_account")),
					listvalidator.ValueStringsAre(stringCheck{description: "service account email", check: checkServiceAccountEmail}),
				},
			},
			"iam_custom_endpoint":             endpoint("IAM", envGoogleIAMEndpoint, "https://iam.googleapis.com/"),
			"iam_credentials_custom_endpoint": endpoint("IAM Credentials", envGoogleIAMCredentialsEndpoint, "https://iamcredentials.googleapis.com/"),
		},
	}
}

// googleSettings are the google block's values after environment defaults.
// The *From fields name where a value came from, for messages.
type googleSettings struct {
	credentials, credentialsFrom string
	accessToken, accessTokenFrom string
	impersonate                  string
	delegates                    []string
	iamEndpoint                  string // normalised; "" means Google's default
	iamCredentialsEndpoint       string // normalised; "" means Google's default
}

// googleConfig is the provider's Google side. Nothing in it touches the
// network or the file system until a Google client is needed: a
// configuration without Google resources must not need Google credentials.
type googleConfig struct {
	settings  googleSettings
	userAgent string
	// problem is a configuration error found at Configure time that only
	// matters once Google is used (unknown values, a bad environment value).
	problem error
	// timeout is the provider's request_timeout: it bounds every Google
	// request (IAM, IAM Credentials, token endpoints, the metadata server).
	timeout time.Duration
	creds   func() (*auth.Credentials, error)
	// client is the authorised HTTP client built on creds, shared by the
	// IAM and IAM Credentials clients.
	client func() (*http.Client, error)
}

// googleConfigFromModel resolves the google attribute and the environment.
// Plan-time validators have checked the attribute's own values; errors in
// environment values are kept for the first use.
func googleConfigFromModel(ctx context.Context, obj types.Object, version string) *googleConfig {
	g := newGoogleConfig(ctx, googleSettings{}, version)
	if obj.IsUnknown() {
		g.problem = errGoogleUnknown
		return g
	}
	var m googleModel
	if !obj.IsNull() {
		if d := obj.As(ctx, &m, basetypes.ObjectAsOptions{}); d.HasError() {
			g.problem = fmt.Errorf("reading the google block: %s", googleDiagText(d))
			return g
		}
	}
	if m.Credentials.IsUnknown() || m.AccessToken.IsUnknown() || m.ImpersonateServiceAccount.IsUnknown() ||
		m.ImpersonateServiceAccountDelegates.IsUnknown() || m.IAMCustomEndpoint.IsUnknown() || m.IAMCredentialsCustomEndpoint.IsUnknown() {
		g.problem = errGoogleUnknown
		return g
	}
	s, err := resolveGoogleSettings(ctx, m, os.Getenv)
	g.settings, g.problem = s, err
	return g
}

// newGoogleConfig wires the lazy credential lookup. ctx is the Configure
// call's, kept for logging only.
func newGoogleConfig(ctx context.Context, s googleSettings, version string) *googleConfig {
	g := &googleConfig{settings: s, userAgent: "terraform-provider-anthropic/" + version, timeout: defaultRequestTimeout}
	g.creds = sync.OnceValues(func() (*auth.Credentials, error) { return g.resolveCredentials(ctx) })
	g.client = sync.OnceValues(func() (*http.Client, error) {
		creds, err := g.creds()
		if err != nil {
			return nil, err
		}
		return g.authorizedClient(creds)
	})
	return g
}

var errGoogleUnknown = errors.New("the provider's google block has values that are unknown until apply (they come from resources not yet created); " +
	"make them known at plan time, for example by creating those resources in an earlier apply")

func googleDiagText(d diag.Diagnostics) string {
	var parts []string
	for _, e := range d.Errors() {
		parts = append(parts, e.Summary()+": "+e.Detail())
	}
	return strings.Join(parts, "; ")
}

// resolveGoogleSettings applies environment defaults. Anything set in the
// block beats every environment variable, so a token in the configuration is
// not silently overridden by a CI runner's GOOGLE_OAUTH_ACCESS_TOKEN.
func resolveGoogleSettings(ctx context.Context, m googleModel, getenv func(string) string) (googleSettings, error) {
	var s googleSettings
	switch {
	case !m.AccessToken.IsNull():
		s.accessToken, s.accessTokenFrom = m.AccessToken.ValueString(), "google.access_token"
	case !m.Credentials.IsNull():
		s.credentials, s.credentialsFrom = m.Credentials.ValueString(), "google.credentials"
	case getenv(envGoogleAccessToken) != "":
		s.accessToken, s.accessTokenFrom = getenv(envGoogleAccessToken), envGoogleAccessToken
	case getenv(envGoogleCredentials) != "":
		s.credentials, s.credentialsFrom = getenv(envGoogleCredentials), envGoogleCredentials
	}

	s.impersonate = strings.TrimSpace(stringOrGetenv(m.ImpersonateServiceAccount, envGoogleImpersonate, getenv))
	if !m.ImpersonateServiceAccountDelegates.IsNull() {
		if d := m.ImpersonateServiceAccountDelegates.ElementsAs(ctx, &s.delegates, false); d.HasError() {
			return s, fmt.Errorf("reading google.impersonate_service_account_delegates: %s", googleDiagText(d))
		}
	}
	if s.impersonate != "" && m.ImpersonateServiceAccount.IsNull() {
		if err := checkImpersonationTarget(s.impersonate); err != nil {
			return s, fmt.Errorf("%s: %w", envGoogleImpersonate, err)
		}
	}

	var err error
	for _, e := range []struct {
		value       types.String
		env, attr   string
		destination *string
	}{
		{m.IAMCustomEndpoint, envGoogleIAMEndpoint, "iam_custom_endpoint", &s.iamEndpoint},
		{m.IAMCredentialsCustomEndpoint, envGoogleIAMCredentialsEndpoint, "iam_credentials_custom_endpoint", &s.iamCredentialsEndpoint},
	} {
		raw := stringOrGetenv(e.value, e.env, getenv)
		if raw == "" {
			continue
		}
		if *e.destination, err = normalizeGoogleEndpoint(raw); err != nil {
			from := "google." + e.attr
			if e.value.IsNull() {
				from = e.env
			}
			return s, fmt.Errorf("%s: %w", from, err)
		}
	}
	return s, nil
}

func stringOrGetenv(v types.String, env string, getenv func(string) string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	return getenv(env)
}

// normalizeGoogleEndpoint turns a custom endpoint into the base URL the
// generated Google clients expect: they append "v1/..." to it themselves, so
// a URL copied from documentation with v1 in it would otherwise double it.
func normalizeGoogleEndpoint(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	shown := redact.String(raw) // a URL may carry a password
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q is not an absolute http(s) URL such as https://iam.googleapis.com/", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must not carry a query, a fragment or user information", shown)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
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

// isLoopbackHost reports whether plain http to host stays on this machine,
// the only case where the provider sends credentials without TLS.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var serviceAccountEmailPattern = regexp.MustCompile(`(?i)^[a-z0-9][a-z0-9._+-]*@[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$`)

// checkServiceAccountEmail accepts the email forms IAM uses for service
// accounts (user-managed, default and service agents), in any case: IAM
// compares them case-insensitively.
func checkServiceAccountEmail(s string) error {
	if !serviceAccountEmailPattern.MatchString(s) {
		return fmt.Errorf("%q is not a service account email such as name@project-id.iam.gserviceaccount.com", s)
	}
	return nil
}

// checkImpersonationTarget lets "" through: it turns impersonation off.
func checkImpersonationTarget(s string) error {
	if s == "" {
		return nil
	}
	return checkServiceAccountEmail(s)
}

// describe names the credential source without revealing it.
func (g *googleConfig) describe() string {
	s := g.settings
	var d string
	switch {
	case s.accessToken != "":
		d = "the access token from " + s.accessTokenFrom
	case s.credentials != "":
		d = "the credentials from " + s.credentialsFrom
	default:
		d = "Application Default Credentials"
	}
	if s.impersonate != "" {
		d += " impersonating " + s.impersonate
		if len(s.delegates) > 0 {
			d += " via " + strings.Join(s.delegates, " -> ")
		}
	}
	return d
}

// clientOptions are the options every Google API client of the provider
// starts from: an HTTP client with the provider's Google credentials and
// User-Agent, bounded by request_timeout, that follows no redirect. The
// first call resolves the credentials (Application Default Credentials
// lookup, file read, impersonation setup); later calls reuse them. Errors
// say where the credentials were looked for and never contain a secret.
func (g *googleConfig) clientOptions(ctx context.Context) ([]option.ClientOption, error) {
	if g.problem != nil {
		return nil, g.problem
	}
	hc, err := g.client()
	if err != nil {
		return nil, err
	}
	tflog.Debug(ctx, "using Google credentials", map[string]any{"source": g.describe()})
	return []option.ClientOption{option.WithHTTPClient(hc)}, nil
}

// iamOptions configure an IAM v1 client (iam.NewService).
func (g *googleConfig) iamOptions(ctx context.Context) ([]option.ClientOption, error) {
	return g.withEndpoint(ctx, g.settings.iamEndpoint)
}

// iamCredentialsOptions configure an IAM Credentials v1 client, for example
// identity.ImpersonationOptions.ClientOptions (generateIdToken).
func (g *googleConfig) iamCredentialsOptions(ctx context.Context) ([]option.ClientOption, error) {
	return g.withEndpoint(ctx, g.settings.iamCredentialsEndpoint)
}

func (g *googleConfig) withEndpoint(ctx context.Context, endpoint string) ([]option.ClientOption, error) {
	opts, err := g.clientOptions(ctx)
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
func (g *googleConfig) authorizedClient(creds *auth.Credentials) (*http.Client, error) {
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
	hc.CheckRedirect = refuseGoogleRedirect
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
func (g *googleConfig) tokenClient() *http.Client {
	return &http.Client{Transport: cloneDefaultTransport(), Timeout: g.timeout, CheckRedirect: refuseGoogleRedirect}
}

// refuseGoogleRedirect follows no redirect: Google APIs do not redirect, so
// one comes from a misconfigured endpoint or a hostile proxy.
func refuseGoogleRedirect(req *http.Request, via []*http.Request) error {
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

// googleTimeoutError is a Google request that ran out of request_timeout.
type googleTimeoutError struct {
	service, endpoint string
	timeout           time.Duration
}

func (e *googleTimeoutError) Error() string {
	return fmt.Sprintf("%s (%s) did not answer within %s; the provider's request_timeout bounds each Google request, raise it if the endpoint is slow",
		e.service, e.endpoint, e.timeout)
}

// explainTimeout turns err into a *googleTimeoutError when it is the
// request timeout expiring (not the caller cancelling), so the message
// names the setting instead of "context deadline exceeded".
func (g *googleConfig) explainTimeout(ctx context.Context, err error, service, endpoint, defaultEndpoint string) error {
	var already *googleTimeoutError
	if err == nil || ctx.Err() != nil || errors.As(err, &already) || !isTimeout(err) {
		return err
	}
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	return &googleTimeoutError{service: service, endpoint: endpoint, timeout: g.timeout}
}

const (
	defaultIAMEndpoint            = "https://iam.googleapis.com/"
	defaultIAMCredentialsEndpoint = "https://iamcredentials.googleapis.com/"
)

// isTimeout reports an expired deadline, from a context or a client timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// requestTimeout is request_timeout, for Google requests made outside the
// clients above (the metadata server).
func (g *googleConfig) requestTimeout() time.Duration {
	if g == nil || g.timeout <= 0 {
		return defaultRequestTimeout
	}
	return g.timeout
}

// resolveCredentials runs once, on first use. ctx is only for logging: the
// credentials outlive the Terraform call that happened to need them first.
func (g *googleConfig) resolveCredentials(ctx context.Context) (*auth.Credentials, error) {
	base, err := g.baseCredentials()
	if err != nil {
		return nil, err
	}
	base = g.boundTokenFetch(base)
	s := g.settings
	if s.impersonate == "" {
		return base, nil
	}
	tflog.Debug(ctx, "impersonating a Google service account", map[string]any{"target": s.impersonate, "delegates": s.delegates})
	client, err := g.authorizedClient(base)
	if err != nil {
		return nil, err
	}
	tp := &impersonatedTokenProvider{
		google: g, client: client, target: s.impersonate, delegates: s.delegates, endpoint: s.iamCredentialsEndpoint,
	}
	return auth.NewCredentials(&auth.CredentialsOptions{
		TokenProvider: auth.NewCachedTokenProvider(tp, &auth.CachedTokenProviderOptions{DisableAsyncRefresh: true}),
	}), nil
}

func (g *googleConfig) baseCredentials() (*auth.Credentials, error) {
	s := g.settings
	opts := &credentials.DetectOptions{Scopes: []string{googleCloudPlatformScope}, Client: g.tokenClient()}
	switch {
	case s.accessToken != "":
		return auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: staticTokenProvider{token: strings.TrimSpace(s.accessToken)}}), nil
	case s.credentials != "":
		b, err := credentialsJSON(s.credentials, s.credentialsFrom)
		if err != nil {
			return nil, err
		}
		credType, err := credentialsType(b, s.credentialsFrom)
		if err != nil {
			return nil, err
		}
		creds, err := credentials.NewCredentialsFromJSON(credType, b, opts)
		if err != nil {
			return nil, fmt.Errorf("loading the Google credentials from %s: %w", s.credentialsFrom, redact.Error(err))
		}
		return creds, nil
	}
	creds, err := credentials.DetectDefault(opts)
	if err != nil {
		hint := ""
		if p := os.Getenv(envGoogleApplicationCredentials); p != "" {
			hint = fmt.Sprintf(" (%s is %q)", envGoogleApplicationCredentials, p)
		}
		return nil, fmt.Errorf("finding Google Application Default Credentials%s: %w. Set google.credentials or google.access_token in the provider "+
			"block, the %s or %s environment variable, or run `gcloud auth application-default login`", hint, redact.Error(err), envGoogleCredentials, envGoogleAccessToken)
	}
	return creds, nil
}

// boundTokenFetch bounds each access token fetch of creds by
// request_timeout. Token endpoints are reached with tokenClient, which has
// the timeout already; the metadata server behind Application Default
// Credentials on Google Cloud is not, and the library retries it for
// half a minute.
func (g *googleConfig) boundTokenFetch(creds *auth.Credentials) *auth.Credentials {
	if g.timeout <= 0 {
		return creds
	}
	bounded := *creds // keeps the project, quota project and universe domain
	bounded.TokenProvider = &timeoutTokenProvider{next: creds.TokenProvider, timeout: g.timeout, describe: g.describe}
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
	google *googleConfig
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
	req := &iamcredentials.GenerateAccessTokenRequest{Scope: []string{googleCloudPlatformScope}, Lifetime: "3600s"}
	for _, d := range p.delegates {
		req.Delegates = append(req.Delegates, "projects/-/serviceAccounts/"+d)
	}
	resp, err := svc.Projects.ServiceAccounts.GenerateAccessToken("projects/-/serviceAccounts/"+p.target, req).Context(ctx).Do()
	if err != nil {
		err = p.google.explainTimeout(ctx, err, "IAM Credentials", p.endpoint, defaultIAMCredentialsEndpoint)
		hint := "the provider's Google identity needs roles/iam.serviceAccountTokenCreator on " + p.target
		if len(p.delegates) > 0 {
			hint = fmt.Sprintf("each hop of %s needs roles/iam.serviceAccountTokenCreator on the next", strings.Join(append(append([]string{"the provider's Google identity"}, p.delegates...), p.target), " -> "))
		}
		var gerr *googleapi.Error
		if errors.As(err, &gerr) && gerr.Code == http.StatusForbidden {
			return nil, fmt.Errorf("impersonating %s was denied; %s: %s", p.target, hint, googleErrorText(err))
		}
		return nil, fmt.Errorf("impersonating %s: %s", p.target, googleErrorText(err))
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

// googleErrorText renders a Google API error as its status and message (the
// default rendering dumps the details as indented JSON), redacted: front
// ends echo request headers, the bearer token among them, into errors.
func googleErrorText(err error) string {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return redact.String(err.Error())
	}
	msg := gerr.Message
	if msg == "" {
		// Redacted before it is cut: a cut token no longer matches.
		msg = strings.TrimSpace(googleBodySnippet(redact.String(gerr.Body), 300))
	}
	text := fmt.Sprintf("Google answered HTTP %d: %s", gerr.Code, msg)
	if reason := googleErrorReason(gerr); reason != "" {
		text += " (reason " + reason + ")"
	}
	return redact.String(text)
}

func googleErrorReason(gerr *googleapi.Error) string {
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

func googleBodySnippet(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// requireGoogle is called by operations that must talk to Google.
func requireGoogle(pd *providerData, diags *diag.Diagnostics) *googleConfig {
	if pd == nil || pd.google == nil {
		diags.AddError("Provider not configured",
			"The anthropic provider was not configured (its configuration has values unknown until apply, or Configure failed). "+
				"Make the provider's attributes known at plan time.")
		return nil
	}
	return pd.google
}

// stringMapValue builds a map of strings for a computed attribute.
func stringMapValue(m map[string]string) types.Map {
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}
