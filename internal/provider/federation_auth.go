package provider

// Keyless provider authentication: instead of a static auth_token, the
// provider exchanges a workload identity token through an org:admin
// federation rule and uses the minted access token for the admin API,
// refreshing it before it expires.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Environment variables of the Anthropic SDKs' federation support (the
// rule, service account and workspace ones are in rule_guards.go), plus
// HCP Terraform's workload identity token.
const (
	envIdentityTokenFile        = "ANTHROPIC_IDENTITY_TOKEN_FILE"
	envIdentityToken            = "ANTHROPIC_IDENTITY_TOKEN"
	envTFCWorkloadIdentityToken = "TFC_WORKLOAD_IDENTITY_TOKEN"
)

// Credential kinds, as providerData.adminAuth and messages name them.
const (
	authFromAttribute      = "auth_token"
	authFromFederation     = "federation"
	authFromEnvToken       = envAuthToken
	authFromEnvFederation  = "federation environment variables"
	federationAttributeKey = "federation"
)

type providerFederationModel struct {
	RuleID           types.String `tfsdk:"rule_id"`
	OrganizationID   types.String `tfsdk:"organization_id"`
	ServiceAccountID types.String `tfsdk:"service_account_id"`
	WorkspaceID      types.String `tfsdk:"workspace_id"`
	identitySourceModel
}

func (m providerFederationModel) isUnknown() bool {
	return m.RuleID.IsUnknown() || m.OrganizationID.IsUnknown() || m.ServiceAccountID.IsUnknown() || m.WorkspaceID.IsUnknown() ||
		m.identitySourceModel.isUnknown()
}

func federationProviderAttribute() schema.Attribute {
	attrs := providerSourceAttributes()
	attrs["rule_id"] = schema.StringAttribute{
		Description:         "ID of the federation rule (fdrl_...) with oauth_scope org:admin, created once in the Console, that targets an admin service account.",
		MarkdownDescription: "ID of the federation rule (`fdrl_...`) with `oauth_scope = \"org:admin\"`, created once in the Console, that targets an `admin` service account.",
		Required:            true,
		Validators:          []validator.String{idValidator(policy.PrefixRule, "federation rule")},
	}
	attrs["organization_id"] = schema.StringAttribute{
		Description:         "UUID of the organization. Defaults to the provider's organization_id; when both are set they must be equal.",
		MarkdownDescription: "UUID of the organization. Defaults to the provider's `organization_id`; when both are set they must be equal.",
		Optional:            true,
		Validators:          []validator.String{uuidValidator{}},
	}
	attrs["service_account_id"] = schema.StringAttribute{
		Description:         "ID of the admin service account (svac_...) the rule targets; the provider acts as it.",
		MarkdownDescription: "ID of the admin service account (`svac_...`) the rule targets; the provider acts as it.",
		Required:            true,
		Validators:          []validator.String{idValidator(policy.PrefixServiceAccount, "service account")},
	}
	attrs["workspace_id"] = schema.StringAttribute{
		Description:         "Workspace for the exchange (wrkspc_... or \"default\"); needed when the rule is enabled in more than one workspace.",
		MarkdownDescription: "Workspace for the exchange (`wrkspc_...` or `\"default\"`); needed when the rule is enabled in more than one workspace.",
		Optional:            true,
		Validators:          []validator.String{workspaceIDValidator()},
	}
	return schema.SingleNestedAttribute{
		Description: "Keyless authentication: exchange a workload identity token through an org:admin federation rule for the admin access token, " +
			"instead of a static auth_token. The token is refreshed before it expires, so long applies keep working. Conflicts with auth_token.",
		MarkdownDescription: "Keyless authentication: exchange a workload identity token through an `org:admin` federation rule for the admin " +
			"access token, instead of a static `auth_token`. The access token is cached and refreshed before it expires (with a fresh identity token), " +
			"so long applies keep working. Conflicts with `auth_token`. Without this attribute, the `" + envFederationRuleID + "` family of environment " +
			"variables does the same (see Authentication).",
		Optional:   true,
		Attributes: attrs,
	}
}

// federationSettings is a resolved keyless configuration.
type federationSettings struct {
	target exchangeTarget
	source identity.Source
}

// federationFromModel resolves the federation attribute. providerOrg is the
// provider's organization_id (attribute or environment).
func federationFromModel(ctx context.Context, obj types.Object, g *google.Config, providerOrg string, getenv func(string) string, diags *diag.Diagnostics) *federationSettings {
	var m providerFederationModel
	if d := obj.As(ctx, &m, basetypes.ObjectAsOptions{}); d.HasError() {
		diags.Append(d...)
		return nil
	}
	at := path.Root(federationAttributeKey)
	org := providerOrg
	if !m.OrganizationID.IsNull() {
		org = m.OrganizationID.ValueString()
		if providerOrg != "" && !strings.EqualFold(providerOrg, org) {
			diags.AddAttributeError(at.AtName("organization_id"), "Conflicting organization IDs",
				fmt.Sprintf("federation.organization_id (%s) differs from the provider's organization_id (%s); the admin token acts on one organization. Set one of them.", org, providerOrg))
			return nil
		}
	}
	if org == "" {
		diags.AddAttributeError(at.AtName("organization_id"), "Missing organization ID",
			"Keyless authentication needs the organization up front: the exchange names it, and the provider cannot ask the API for it "+
				"(GET /v1/organizations/me) before it has a token. Set federation.organization_id, the provider's organization_id, or the "+envOrganizationID+" environment variable.")
		return nil
	}
	src := m.source(ctx, g, at, diags)
	if diags.HasError() {
		return nil
	}
	if src == nil {
		if src = envIdentitySource(getenv); src == nil {
			diags.AddAttributeError(at, "Missing identity source",
				fmt.Sprintf("The federation attribute sets no identity source and none is in the environment. Set one of %s in it, or the %s, %s or %s environment variable.",
					strings.Join(identitySourceNames, ", "), envIdentityTokenFile, envIdentityToken, envTFCWorkloadIdentityToken))
			return nil
		}
	}
	return &federationSettings{
		target: exchangeTarget{
			ruleID:           m.RuleID.ValueString(),
			organizationID:   org,
			serviceAccountID: m.ServiceAccountID.ValueString(),
			workspaceID:      m.WorkspaceID.ValueString(),
		},
		source: src,
	}
}

// federationFromEnv resolves the SDK environment variables; nil without
// error when ANTHROPIC_FEDERATION_RULE_ID is unset.
func federationFromEnv(getenv func(string) string, providerOrg string) (*federationSettings, error) {
	ruleID := strings.TrimSpace(getenv(envFederationRuleID))
	if ruleID == "" {
		return nil, nil
	}
	if err := policy.ValidateID(policy.PrefixRule, ruleID); err != nil {
		return nil, fmt.Errorf("%s: %w", envFederationRuleID, err)
	}
	sa := strings.TrimSpace(getenv(envServiceAccountID))
	if sa == "" {
		return nil, fmt.Errorf("%s is set, but %s is not: name the admin service account the rule targets", envFederationRuleID, envServiceAccountID)
	}
	if err := policy.ValidateID(policy.PrefixServiceAccount, sa); err != nil {
		return nil, fmt.Errorf("%s: %w", envServiceAccountID, err)
	}
	ws := strings.TrimSpace(getenv(envWorkspaceID))
	if ws != "" {
		if err := policy.ValidateWorkspaceID(ws); err != nil {
			return nil, fmt.Errorf("%s: %w", envWorkspaceID, err)
		}
	}
	if providerOrg == "" {
		return nil, fmt.Errorf("%s is set, but the organization is not: keyless authentication needs it up front (the exchange names it, and the provider "+
			"cannot ask the API for it before it has a token); set organization_id in the provider block or %s", envFederationRuleID, envOrganizationID)
	}
	src := envIdentitySource(getenv)
	if src == nil {
		return nil, fmt.Errorf("%s is set, but no identity token is: set %s (a file, re-read at every exchange), %s, or run in HCP Terraform with "+
			"workload identity (%s)", envFederationRuleID, envIdentityTokenFile, envIdentityToken, envTFCWorkloadIdentityToken)
	}
	return &federationSettings{
		target: exchangeTarget{ruleID: ruleID, organizationID: providerOrg, serviceAccountID: sa, workspaceID: ws},
		source: src,
	}, nil
}

// envIdentitySource picks the identity token from the environment: a file
// first (it can be rotated), then a literal token, then HCP Terraform's.
func envIdentitySource(getenv func(string) string) identity.Source {
	if p := strings.TrimSpace(getenv(envIdentityTokenFile)); p != "" {
		return identity.File(p)
	}
	if t := strings.TrimSpace(getenv(envIdentityToken)); t != "" {
		return namedLiteral{Source: identity.Literal(t), name: envIdentityToken}
	}
	if t := strings.TrimSpace(getenv(envTFCWorkloadIdentityToken)); t != "" {
		return namedLiteral{Source: identity.Literal(t), name: envTFCWorkloadIdentityToken}
	}
	return nil
}

// namedLiteral says where a literal token came from.
type namedLiteral struct {
	identity.Source
	name string
}

func (n namedLiteral) Describe() string { return "the " + n.name + " environment variable" }

// missingCredential stands in for the admin credential when none is
// configured: the provider can still exchange tokens (the ephemeral
// resource needs no admin credential), and admin calls fail with the
// explanation.
type missingCredential struct{ detail string }

func (m missingCredential) Token(context.Context) (string, error) {
	return "", errors.New("Missing Anthropic credential: " + m.detail)
}

// Refresh timing of the admin access token, as the Anthropic SDKs do it.
const (
	// backgroundRefreshLeft: with this much left, the cached token is still
	// handed out while one caller exchanges a new one.
	backgroundRefreshLeft = 120 * time.Second
	// syncRefreshLeft: with less than this left, callers wait for a new token.
	syncRefreshLeft = 30 * time.Second
	// backgroundRetryDelay spaces failed background refreshes.
	backgroundRetryDelay = 10 * time.Second
	// failureHold: after a failed exchange, callers within this window get
	// the same error instead of starting another exchange, so parallel
	// resources do not hammer the service with doomed exchanges.
	failureHold = 5 * time.Second
	// backgroundRefreshTimeout bounds a refresh no caller waits for.
	backgroundRefreshTimeout = 2 * time.Minute
	// freshTokenAge: a token refused this soon after it was minted is not
	// replaced again, since a new exchange would fare no better.
	freshTokenAge = 30 * time.Second
)

// federationTokenSource is the provider's admin credential when it
// authenticates by federation: a client.TokenSource that exchanges an
// identity token on first use, caches the access token, refreshes it in
// the background with 30-120 s left and synchronously under 30 s (shorter
// windows for short-lived tokens), and re-exchanges once when the API
// refuses a token it handed out (see reauthTransport).
type federationTokenSource struct {
	target   exchangeTarget
	source   identity.Source
	exchange exchangeFunc
	now      func() time.Time

	// exchangeMu serializes exchanges; mu guards the fields below and is
	// never held during an exchange.
	exchangeMu sync.Mutex
	mu         sync.Mutex
	token      string
	expiresAt  time.Time
	lifetime   time.Duration
	// used is set once a non-renewable (literal) assertion was sent: it is
	// never sent again.
	used bool
	// mintedAt is when the current token was obtained.
	mintedAt       time.Time
	refreshing     bool
	nextBackground time.Time
	lastErr        error
	lastErrAt      time.Time
	background     sync.WaitGroup
}

func newFederationTokenSource(s *federationSettings, exchange exchangeFunc) *federationTokenSource {
	return &federationTokenSource{target: s.target, source: s.source, exchange: exchange, now: time.Now}
}

// windows are the refresh thresholds for the current token: the SDKs'
// 120 s / 30 s, scaled down for tokens that live only minutes.
func (s *federationTokenSource) windows() (background, wait time.Duration) {
	return min(backgroundRefreshLeft, s.lifetime/2), min(syncRefreshLeft, s.lifetime/4)
}

// Token implements client.TokenSource.
func (s *federationTokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" {
		now := s.now()
		left := s.expiresAt.Sub(now)
		bg, wait := s.windows()
		if left > wait {
			tok := s.token
			if left <= bg && s.source.Renewable() && !s.refreshing && !now.Before(s.nextBackground) {
				s.refreshing = true
				s.background.Add(1)
				go s.refreshInBackground(ctx, tok)
			}
			s.mu.Unlock()
			return tok, nil
		}
	}
	s.mu.Unlock()
	return s.refresh(ctx, "")
}

func (s *federationTokenSource) refreshInBackground(ctx context.Context, stale string) {
	defer s.background.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backgroundRefreshTimeout)
	defer cancel()
	_, err := s.refresh(ctx, stale)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshing = false
	if err != nil {
		s.nextBackground = s.now().Add(backgroundRetryDelay)
		tflog.Warn(ctx, "refreshing the Anthropic admin access token failed; the current token is used until it nearly expires", map[string]any{"error": err.Error()})
	}
}

// refresh exchanges a new identity token unless another caller already
// replaced the token being refreshed. stale is the token known to be bad
// or expiring ("" when there is none worth keeping).
func (s *federationTokenSource) refresh(ctx context.Context, stale string) (string, error) {
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
	if s.lastErr != nil && now.Sub(s.lastErrAt) < failureHold {
		err := s.lastErr
		s.mu.Unlock()
		return "", err
	}
	if !s.source.Renewable() && s.used {
		var err error
		if s.token == "" && s.lastErr != nil {
			// The one exchange it had failed; that failure is the answer.
			err = s.lastErr
			s.mu.Unlock()
			return "", err
		}
		if s.token != "" && now.Before(s.expiresAt) {
			// Still valid, merely close to expiry: nothing better exists.
			tok := s.token
			s.mu.Unlock()
			return tok, nil
		}
		err = fmt.Errorf("the admin access token from federation rule %s expired at %s, and the identity token from %s cannot be exchanged again (re-sending it "+
			"would be a replay). Use a source that yields fresh tokens (identity_token_file, gce_metadata, google_impersonation, executable, "+
			"or %s) for runs longer than the token's lifetime", s.target.ruleID, s.expiresAt.UTC().Format(time.RFC3339), s.source.Describe(), envIdentityTokenFile)
		s.mu.Unlock()
		return "", err
	}
	s.used = true
	s.mu.Unlock()

	res, fail := exchangeIdentity(ctx, s.exchange, s.source, s.target, nil, s.now)

	s.mu.Lock()
	defer s.mu.Unlock()
	if fail != nil {
		err := fmt.Errorf("keyless authentication through federation rule %s: %w", s.target.ruleID, fail)
		s.lastErr, s.lastErrAt = err, s.now()
		return "", err
	}
	s.lastErr = nil
	s.token, s.expiresAt = res.token.AccessToken, res.expiresAt
	s.lifetime = time.Duration(res.token.ExpiresIn) * time.Second
	s.mintedAt = s.now()
	tflog.Debug(ctx, "exchanged an identity token for the admin access token", map[string]any{
		"federation_rule_id": s.target.ruleID, "scope": res.token.Scope, "expires_in": res.token.ExpiresIn, "source": s.source.Describe(),
	})
	return s.token, nil
}

// afterUnauthorized is called when the API answered 401 to a request sent
// with token sent. It returns a token to retry with: one another caller
// already obtained, or a newly exchanged one. ok is false when the request
// should not be retried: the source cannot yield a new identity token, the
// refused token was itself just minted, or the exchange failed.
func (s *federationTokenSource) afterUnauthorized(ctx context.Context, sent string) (string, bool) {
	s.mu.Lock()
	if !s.source.Renewable() || sent == "" || (s.token == sent && s.now().Sub(s.mintedAt) < freshTokenAge) {
		s.mu.Unlock()
		return "", false
	}
	s.mu.Unlock()
	tok, err := s.refresh(ctx, sent)
	if err != nil {
		tflog.Warn(ctx, "the API refused the admin access token and a new exchange failed", map[string]any{"error": err.Error()})
		return "", false
	}
	return tok, tok != sent
}

// reauthTransport re-sends a request once with a fresh admin access token
// when the API answers 401 to the token the source handed out (revoked, or
// expired early by a skewed clock). A 401 means the request was not
// processed, so re-sending cannot duplicate a write. The exchange itself
// carries no Authorization header and is never touched.
type reauthTransport struct {
	next   http.RoundTripper
	source *federationTokenSource
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
	tok, ok := t.source.afterUnauthorized(req.Context(), sent)
	if !ok {
		return resp, nil
	}
	retry, ok := cloneForRetry(req, tok)
	if !ok {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	tflog.Debug(req.Context(), "the API refused the admin access token; re-sending once with a newly exchanged token", map[string]any{"path": req.URL.EscapedPath()})
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

// adminHTTPClient is the HTTP client of a provider that authenticates by
// federation.
func adminHTTPClient(ts *federationTokenSource) *http.Client {
	base := http.DefaultTransport
	if t, ok := base.(*http.Transport); ok {
		base = t.Clone()
	}
	return &http.Client{Transport: &reauthTransport{next: base, source: ts}}
}
