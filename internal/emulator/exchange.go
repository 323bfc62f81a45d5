package emulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

const (
	grantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// clockLeeway is the service's tolerance for clock skew on iat, nbf and exp.
	clockLeeway = 30 * time.Second
	// authFailedMessage is the one message of every denied exchange: the
	// reason is only in the authentication history.
	authFailedMessage = "Authentication failed"
	// accessTokenPrefix marks OAuth access tokens, minted ones included.
	accessTokenPrefix = "sk-ant-oat01-"
)

// allowedJWTAlgs are the asymmetric algorithms the exchange accepts (never
// HS* or none); go-jose refuses to parse anything else.
var allowedJWTAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
}

// exchangeRequest is the body of POST /v1/oauth/token. Unlike the admin
// endpoints, unknown fields are dropped: SDKs of different ages send
// different extras.
type exchangeRequest struct {
	GrantType        opt[string] `json:"grant_type"`
	Assertion        opt[string] `json:"assertion"`
	FederationRuleID opt[string] `json:"federation_rule_id"`
	OrganizationID   opt[string] `json:"organization_id"`
	ServiceAccountID opt[string] `json:"service_account_id"`
	WorkspaceID      opt[string] `json:"workspace_id"`
}

// exchangeInput is a request that passed the 400 checks.
type exchangeInput struct {
	assertion, ruleID, orgID, saID, wsID string
	// alg and kid come from the assertion's (unverified) header.
	alg, kid string
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthToken is the federation token exchange. Malformed requests are 400s
// naming the field; every other failure is the same opaque 401, with the
// reason recorded in the authentication history only.
func (e *Emulator) oauthToken(c *call) (any, error) {
	ev := AuthEvent{Time: e.clock(), RequestID: requestIDFrom(c.r.Context())}
	in, field, apiErr := parseExchange(c, &ev)
	// The history shows the default workspace by its id, whatever the
	// request called it.
	if ev.WorkspaceID == policy.DefaultWorkspaceID {
		ev.WorkspaceID = e.defaultWS.id
	}
	if apiErr != nil {
		ev.Outcome, ev.Reason = AuthOutcomeInvalidRequest, reasonInvalidRequestPrefix+field
		e.record(ev)
		return nil, apiErr
	}
	out, reason := e.exchange(c.r.Context(), in, &ev)
	if reason != "" {
		ev.Outcome, ev.Reason = AuthOutcomeDenied, reason
		e.record(ev)
		return nil, newAPIError(http.StatusUnauthorized, authFailedMessage)
	}
	ev.Outcome = AuthOutcomeSuccess
	e.record(ev)
	// RFC 6749 section 5.1: token responses must not be cached.
	c.header().Set("Cache-Control", "no-store")
	c.header().Set("Pragma", "no-cache")
	return out, nil
}

// parseExchange applies the 400 checks in field order. It fills ev with the
// ids that are well-formed, and returns the field at fault with the error.
// A null or empty optional id counts as omitted.
func parseExchange(c *call, ev *AuthEvent) (exchangeInput, string, *apiError) {
	var in exchangeInput
	body := c.body
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var req exchangeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		if ct := c.r.Header.Get("content-type"); strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return in, "body", badRequest("request body must be JSON (content-type: application/json); form-encoded token requests are not accepted")
		}
		ae := jsonError(err)
		field, _, ok := strings.Cut(ae.msg, ":")
		if !ok || strings.Contains(field, " ") {
			field = "body"
		}
		return in, field, ae
	}

	// The history names the rule, service account and workspace of every
	// attempt whose ids are well-formed, whichever field is at fault.
	if policy.ValidateID(policy.PrefixRule, req.FederationRuleID.V) == nil {
		ev.RuleID = req.FederationRuleID.V
	}
	if policy.ValidateID(policy.PrefixServiceAccount, req.ServiceAccountID.V) == nil {
		ev.ServiceAccountID = req.ServiceAccountID.V
	}
	if policy.ValidateWorkspaceID(req.WorkspaceID.V) == nil {
		ev.WorkspaceID = req.WorkspaceID.V
	}

	grantType, err := requiredExchangeField(req.GrantType, "grant_type")
	if err != nil {
		return in, "grant_type", err
	}
	if grantType != grantTypeJWTBearer {
		return in, "grant_type", badRequest("grant_type: must be %s (got %s)", grantTypeJWTBearer, quoteShort(grantType))
	}

	assertion, err := requiredExchangeField(req.Assertion, "assertion")
	if err != nil {
		return in, "assertion", err
	}
	if len(assertion) > policy.MaxAssertionBytes {
		return in, "assertion", badRequest("assertion: must be at most %d bytes (got %d)", policy.MaxAssertionBytes, len(assertion))
	}
	alg, kid, ok := compactHeader(assertion)
	if !ok {
		return in, "assertion", badRequest("assertion: must be a signed JWT in compact form (header.payload.signature)")
	}
	in.assertion, in.alg, in.kid = assertion, alg, kid

	ruleID, err := requiredExchangeField(req.FederationRuleID, "federation_rule_id")
	if err != nil {
		return in, "federation_rule_id", err
	}
	if err := policy.ValidateID(policy.PrefixRule, ruleID); err != nil {
		return in, "federation_rule_id", fieldErr("federation_rule_id", err)
	}
	in.ruleID = ruleID

	orgID, err := requiredExchangeField(req.OrganizationID, "organization_id")
	if err != nil {
		return in, "organization_id", err
	}
	if err := policy.ValidateUUID(orgID); err != nil {
		return in, "organization_id", fieldErr("organization_id", err)
	}
	in.orgID = orgID

	if saID := optionalExchangeField(req.ServiceAccountID); saID != "" {
		if err := policy.ValidateID(policy.PrefixServiceAccount, saID); err != nil {
			return in, "service_account_id", fieldErr("service_account_id", err)
		}
		in.saID = saID
	}
	if wsID := optionalExchangeField(req.WorkspaceID); wsID != "" {
		if err := policy.ValidateWorkspaceID(wsID); err != nil {
			return in, "workspace_id", fieldErr("workspace_id", err)
		}
		in.wsID = wsID
	}
	return in, "", nil
}

// requiredExchangeField treats null and "" like a missing field.
func requiredExchangeField(o opt[string], field string) (string, *apiError) {
	if !o.Set || o.Null || o.V == "" {
		return "", badRequest("%s: required", field)
	}
	return o.V, nil
}

func optionalExchangeField(o opt[string]) string {
	if o.Null {
		return ""
	}
	return o.V
}

func quoteShort(s string) string {
	const limit = 64
	if len(s) > limit {
		return fmt.Sprintf("%q…", s[:limit])
	}
	return fmt.Sprintf("%q", s)
}

// compactHeader reads alg and kid from a compact JWS without verifying it:
// three dot-separated parts whose first is a base64url JSON object. Whether
// the algorithm is acceptable is decided later (a 401, not a 400).
func compactHeader(token string) (alg, kid string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", "", false
	}
	var hdr map[string]any
	if err := json.Unmarshal(raw, &hdr); err != nil || hdr == nil {
		return "", "", false
	}
	alg, _ = hdr["alg"].(string)
	kid, _ = hdr["kid"].(string)
	return alg, kid, true
}

// ruleSnapshot is what verification needs of the rule and its issuer,
// copied under e.mu so keys can be fetched without holding it.
type ruleSnapshot struct {
	ruleID         string
	targetID       string
	scope          string
	match          policy.Match
	tokenLifetime  int64
	keys           keySource
	checkJTI       bool
	maxJWTLifetime int64
}

// exchange runs every check after the 400s; a non-empty reason is a denial.
func (e *Emulator) exchange(ctx context.Context, in exchangeInput, ev *AuthEvent) (*tokenResponse, string) {
	snap, reason := e.snapshotRule(in, ev)
	if reason != "" {
		return nil, reason
	}
	claims, reason := e.verifySignature(ctx, in, snap)
	if reason != "" {
		return nil, reason
	}
	now := e.now()
	exp, reason := checkRegisteredClaims(claims, snap, now)
	if reason != "" {
		return nil, reason
	}
	ev.Subject, _ = claims["sub"].(string)
	if reason := e.checkMatch(snap.match, claims); reason != "" {
		return nil, reason
	}
	return e.mint(in, snap, claims, exp, now, ev)
}

func (e *Emulator) snapshotRule(in exchangeInput, ev *AuthEvent) (ruleSnapshot, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !strings.EqualFold(in.orgID, e.orgID) {
		return ruleSnapshot{}, ReasonOrganizationMismatch
	}
	r, ok := e.ruleByID[in.ruleID]
	if !ok {
		return ruleSnapshot{}, ReasonRuleNotFound
	}
	ev.IssuerID = r.issuerID
	if ev.ServiceAccountID == "" {
		ev.ServiceAccountID = r.targetID
	}
	// The issuer first: an issuer can only be archived once its rules are,
	// so checking the rule first would hide the issuer's state.
	is, ok := e.issByID[r.issuerID]
	if !ok || !is.live() {
		return ruleSnapshot{}, ReasonIssuerArchived
	}
	if !r.live() {
		return ruleSnapshot{}, ReasonRuleArchived
	}
	if in.saID != "" && in.saID != r.targetID {
		return ruleSnapshot{}, ReasonServiceAccountMismatch
	}
	return ruleSnapshot{
		ruleID:        r.id,
		targetID:      r.targetID,
		scope:         r.scope,
		match:         r.match,
		tokenLifetime: r.tokenLifetime,
		keys: keySource{
			issuerID:        is.id,
			issuerURL:       is.issuerURL,
			jwks:            is.jwks,
			pollingDisabled: is.pollingDisabledAt != nil,
		},
		checkJTI:       is.checkJTI,
		maxJWTLifetime: is.maxJWTLifetime,
	}, ""
}

// verifySignature finds the key named by kid in the issuer's JWKS (fetching
// it again once if the kid is unknown, for key rotation) and verifies the
// signature. It returns the verified claims, numbers as json.Number.
func (e *Emulator) verifySignature(ctx context.Context, in exchangeInput, snap ruleSnapshot) (map[string]any, string) {
	if !policy.IsAllowedJWTAlg(in.alg) {
		return nil, ReasonAlgNotAllowed
	}
	if in.kid == "" {
		return nil, ReasonMissingKID
	}
	tok, err := jwt.ParseSigned(in.assertion, allowedJWTAlgs)
	if err != nil {
		return nil, ReasonJWTMalformed
	}
	keys, fetched, err := e.issuerKeys(ctx, snap.keys, false)
	if err != nil {
		return nil, ReasonJWKSFetchFailed
	}
	key, ok := findKey(keys, in.kid)
	if !ok && snap.keys.remote() && !fetched && !snap.keys.pollingDisabled {
		if keys, _, err = e.issuerKeys(ctx, snap.keys, true); err == nil {
			key, ok = findKey(keys, in.kid)
		}
	}
	if !ok {
		return nil, ReasonUnknownKID
	}
	if key.Algorithm != "" && key.Algorithm != in.alg {
		return nil, ReasonKeyAlgMismatch
	}
	if err := tok.Claims(key.Key); err != nil {
		return nil, ReasonBadSignature
	}
	var payload json.RawMessage
	if err := tok.UnsafeClaimsWithoutVerification(&payload); err != nil {
		return nil, ReasonJWTMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, ReasonJWTMalformed
	}
	return claims, ""
}

// checkRegisteredClaims checks iss, sub, iat, nbf, exp and the token's
// lifetime, in that order, and returns exp.
func checkRegisteredClaims(claims map[string]any, snap ruleSnapshot, now time.Time) (time.Time, string) {
	if iss, _ := claims["iss"].(string); iss != snap.keys.issuerURL {
		return time.Time{}, ReasonIssuerMismatch
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return time.Time{}, ReasonMissingSub
	}
	iat, ok := numericDate(claims["iat"])
	if !ok {
		return time.Time{}, ReasonMissingIAT
	}
	if iat.After(now.Add(clockLeeway)) {
		return time.Time{}, ReasonIATInFuture
	}
	if v, present := claims["nbf"]; present {
		if nbf, ok := numericDate(v); !ok || nbf.After(now.Add(clockLeeway)) {
			return time.Time{}, ReasonJWTNotYetValid
		}
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return time.Time{}, ReasonMissingExp
	}
	if !now.Before(exp.Add(clockLeeway)) {
		return time.Time{}, ReasonJWTExpired
	}
	if exp.Sub(iat) > time.Duration(snap.maxJWTLifetime)*time.Second {
		return time.Time{}, ReasonJWTLifetimeExceeded
	}
	return exp, ""
}

// numericDate reads a JWT NumericDate (seconds since the epoch, possibly
// fractional) decoded as json.Number.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	if i, err := n.Int64(); err == nil {
		return time.Unix(i, 0), true
	}
	f, err := n.Float64()
	// Beyond ±2^53 seconds a date is nonsense (and would overflow).
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1<<53 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// checkMatch applies the rule's matchers: audience, subject_prefix, claims,
// condition; the first that fails is the reason.
func (e *Emulator) checkMatch(m policy.Match, claims map[string]any) string {
	want := ""
	if m.Audience != nil {
		want = *m.Audience
	}
	if !policy.MatchAudience(want, policy.ClaimAudiences(claims)) {
		return ReasonMatchAudience
	}
	if m.SubjectPrefix != nil {
		sub, _ := claims["sub"].(string)
		if !policy.MatchSubject(*m.SubjectPrefix, sub) {
			return ReasonMatchSubjectPrefix
		}
	}
	if len(m.Claims) > 0 {
		if name, ok := policy.MatchClaims(m.Claims, claims); !ok {
			return ReasonMatchClaims + ":" + name
		}
	}
	if m.Condition != nil {
		cond, err := e.condition(*m.Condition)
		if err != nil {
			return ReasonMatchCondition
		}
		// An evaluation error (a missing claim, say) is no match.
		if ok, err := cond.Eval(claims); err != nil || !ok {
			return ReasonMatchCondition
		}
	}
	return ""
}

// condition compiles a rule's condition once; the source text is the key,
// so an updated rule compiles its new condition and an unchanged one reuses
// the program.
func (e *Emulator) condition(expr string) (*policy.Condition, error) {
	e.condMu.Lock()
	defer e.condMu.Unlock()
	if c, ok := e.conds[expr]; ok {
		return c, nil
	}
	c, err := policy.CompileCondition(expr)
	if err != nil {
		return nil, err
	}
	e.conds[expr] = c
	return c, nil
}

// mint makes the final checks that depend on live state (the rule may have
// been archived while keys were fetched), spends the jti and mints the
// token, atomically under e.mu.
func (e *Emulator) mint(in exchangeInput, snap ruleSnapshot, claims map[string]any, exp, now time.Time, ev *AuthEvent) (*tokenResponse, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if is, ok := e.issByID[snap.keys.issuerID]; !ok || !is.live() {
		return nil, ReasonIssuerArchived
	}
	r, ok := e.ruleByID[snap.ruleID]
	if !ok || !r.live() {
		return nil, ReasonRuleArchived
	}
	sa, ok := e.saByID[snap.targetID]
	if !ok || !sa.live() {
		return nil, ReasonServiceAccountArchived
	}
	// Demoting an admin is allowed; its org:admin rules then stop minting.
	if policy.HasOAuthScope(r.scope, policy.ScopeOrgAdmin) && sa.role != "admin" {
		return nil, ReasonTargetNotAdmin
	}
	wsID, reason := e.chooseWorkspace(r, in.wsID)
	if reason != "" {
		return nil, reason
	}
	ev.WorkspaceID = wsID
	if _, m := sa.membership(wsID); m == nil && wsID != e.defaultWS.id {
		return nil, ReasonNotWorkspaceMember
	}

	if v, present := claims["jti"]; present && snap.checkJTI {
		jti, ok := v.(string)
		if !ok || jti == "" {
			return nil, ReasonJTIInvalid
		}
		key := snap.keys.issuerID + "\x00" + jti
		if until, seen := e.jtis[key]; seen && now.Before(until) {
			return nil, ReasonJTIReused
		}
		// Past exp plus leeway the assertion is refused anyway, so the jti
		// need not be remembered longer.
		e.jtis[key] = exp.Add(clockLeeway)
		e.sweepJTIs(now)
	}

	lifetime := policy.MintedLifetime(snap.tokenLifetime, exp.Sub(now))
	token := newAccessToken()
	e.tokens[token] = &mintedToken{
		ruleID:           snap.ruleID,
		serviceAccountID: snap.targetID,
		workspaceID:      wsID,
		scope:            snap.scope,
		expiresAt:        now.Add(time.Duration(lifetime) * time.Second),
	}
	e.sweepTokens(now)
	return &tokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: lifetime, Scope: snap.scope}, ""
}

// chooseWorkspace picks the workspace a token is minted for, as the SDK
// documents it: the requested one if the rule is enabled there; without a
// request, the rule's sole enabled workspace, else the default workspace if
// the rule covers it, else workspace_id is required. Callers hold e.mu.
func (e *Emulator) chooseWorkspace(r *rule, requested string) (string, string) {
	if requested != "" {
		w, ok := e.workspaceNamed(requested)
		if !ok {
			return "", ReasonWorkspaceNotFound
		}
		if !r.allWorkspaces {
			if _, en := r.enablement(w.id); en == nil {
				return "", ReasonWorkspaceNotEnabled
			}
		}
		return w.id, ""
	}
	if !r.allWorkspaces && len(r.enablements) == 1 {
		return r.enablements[0].workspaceID, ""
	}
	if _, en := r.enablement(e.defaultWS.id); r.allWorkspaces || en != nil {
		return e.defaultWS.id, ""
	}
	if len(r.enablements) == 0 {
		return "", ReasonWorkspaceNotEnabled
	}
	return "", ReasonWorkspaceIDRequired
}

// newAccessToken returns an unguessable token. It always uses crypto/rand:
// a seeded emulator keeps deterministic ids, never predictable credentials.
func newAccessToken() string {
	return accessTokenPrefix + "emu-" + randomToken(rand.Reader) + randomToken(rand.Reader)
}

// sweepJTIs forgets jtis whose assertions have expired, amortized so an
// exchange costs O(1) on average; callers hold e.mu.
func (e *Emulator) sweepJTIs(now time.Time) {
	if len(e.jtis) < 2*e.jtiSweep+1024 {
		return
	}
	for k, until := range e.jtis {
		if !now.Before(until) {
			delete(e.jtis, k)
		}
	}
	e.jtiSweep = len(e.jtis)
}
