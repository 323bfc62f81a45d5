package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

const (
	tokenPath    = "/v1/oauth/token"
	messagesPath = "/v1/messages"
	historyPath  = "/v1/organizations/federation_authentication_history"
	ciIssuerURL  = "https://ci.example.com"
	ciAudience   = "anthropic-ci"
)

var (
	missingWorkspaceID = "wrkspc_01" + strings.Repeat("A", 24)
	missingRuleID      = "fdrl_01" + strings.Repeat("A", 24)
)

// issuerKey is a test issuer's signing key (ES256: generating one is fast).
type issuerKey struct {
	kid  string
	priv *ecdsa.PrivateKey
}

func newIssuerKey(t testing.TB, kid string) *issuerKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &issuerKey{kid: kid, priv: k}
}

func (k *issuerKey) jwk(t testing.TB) json.RawMessage {
	t.Helper()
	b, err := jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: string(jose.ES256), Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (k *issuerKey) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	return signWith(t, jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}}, claims)
}

func signWith(t testing.TB, key jose.SigningKey, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// unsignedToken builds an alg "none" token by hand: go-jose refuses to.
func unsignedToken(header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}

func newHarnessWith(t *testing.T, opts Options) *harness {
	t.Helper()
	clock := newFakeClock()
	opts.Now = clock.Now
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	emu := New(opts)
	return &harness{t: t, emu: emu, srv: newServer(t, emu), clock: clock}
}

func (h *harness) exchange(body map[string]any) resp {
	h.t.Helper()
	return h.call("POST", tokenPath, "", body, "anthropic-beta", "oauth-2025-04-20,oidc-federation-2026-04-01")
}

func (h *harness) exchangeBody(assertion, ruleID string, kv ...any) map[string]any {
	b := map[string]any{
		"grant_type":         grantTypeJWTBearer,
		"assertion":          assertion,
		"federation_rule_id": ruleID,
		"organization_id":    h.emu.OrganizationID(),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		if kv[i+1] == nil {
			delete(b, k)
			continue
		}
		b[k] = kv[i+1]
	}
	return b
}

func (h *harness) lastEvent() AuthEvent {
	h.t.Helper()
	hist := h.emu.AuthHistory()
	if len(hist) == 0 {
		h.t.Fatal("authentication history is empty")
	}
	return hist[0]
}

// wantDenied asserts the one opaque 401 and the reason in the history.
func wantDenied(t *testing.T, h *harness, r resp, reason string) {
	t.Helper()
	if r.status != http.StatusUnauthorized || r.errType() != "authentication_error" || r.errMsg() != "Authentication failed" {
		t.Fatalf("got %d %s %q, want the opaque 401 (reason %s): %s", r.status, r.errType(), r.errMsg(), reason, r.raw)
	}
	ev := h.lastEvent()
	if ev.Outcome != AuthOutcomeDenied || ev.Reason != reason {
		t.Fatalf("history: outcome %q reason %q, want denied %q", ev.Outcome, ev.Reason, reason)
	}
	if ev.RequestID != r.header.Get("request-id") {
		t.Fatalf("history request id %q, response %q", ev.RequestID, r.header.Get("request-id"))
	}
}

// ciFixture is a generic (not well-known) issuer with inline keys, a
// service account and a rule using every matcher.
type ciFixture struct {
	h                *harness
	key              *issuerKey
	issuer, sa, rule string
	jti              atomic.Int64
}

func newCIFixture(t *testing.T) *ciFixture {
	t.Helper()
	return newCIFixtureOn(t, newHarness(t))
}

func newCIFixtureOn(t *testing.T, h *harness) *ciFixture {
	t.Helper()
	f := &ciFixture{h: h, key: newIssuerKey(t, "ci-key-1")}
	f.issuer = must(t, h.admin("POST", issPath, map[string]any{
		"name": "ci", "issuer_url": ciIssuerURL,
		"jwks": map[string]any{"type": "inline", "keys": []any{f.key.jwk(t)}},
	})).str("id")
	f.sa = h.createSA("ci-bot")
	f.rule = must(t, h.admin("POST", rulesPath, map[string]any{
		"name":      "ci-main",
		"issuer_id": f.issuer,
		"match": map[string]any{
			"subject_prefix": "repo:acme/*",
			"audience":       ciAudience,
			"claims":         map[string]any{"email": "bot@acme.example"},
			"condition":      `claims.ref == "refs/heads/main"`,
		},
		"target":       map[string]any{"type": "service_account", "service_account_id": f.sa},
		"oauth_scope":  "workspace:developer",
		"workspace_id": "default",
	})).str("id")
	return f
}

// claims are valid for the rule; kv overrides (nil deletes).
func (f *ciFixture) claims(kv ...any) map[string]any {
	now := f.h.clock.Now().Unix()
	c := map[string]any{
		"iss":   ciIssuerURL,
		"sub":   "repo:acme/app",
		"aud":   ciAudience,
		"email": "bot@acme.example",
		"ref":   "refs/heads/main",
		"iat":   now,
		"exp":   now + 600,
		"jti":   fmt.Sprintf("jti-%d", f.jti.Add(1)),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		if kv[i+1] == nil {
			delete(c, k)
			continue
		}
		c[k] = kv[i+1]
	}
	return c
}

func (f *ciFixture) token(t *testing.T, kv ...any) string {
	t.Helper()
	return f.key.sign(t, f.claims(kv...))
}

func (f *ciFixture) exchange(token string, kv ...any) resp {
	f.h.t.Helper()
	return f.h.exchange(f.h.exchangeBody(token, f.rule, kv...))
}

func TestExchangeInlineKeysSuccess(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	// Unknown fields are dropped, and service_account_id is checked when sent.
	r := must(t, f.exchange(f.token(t), "service_account_id", f.sa, "client_id", "ignored"))
	tok := r.str("access_token")
	if !strings.HasPrefix(tok, "sk-ant-oat01-") || r.str("token_type") != "Bearer" || r.str("scope") != "workspace:developer" {
		t.Fatalf("token response %s", r.raw)
	}
	// Rule lifetime 3600, assertion valid 600 s more: capped at twice that.
	if r.get("expires_in") != float64(1200) {
		t.Fatalf("expires_in = %v", r.get("expires_in"))
	}
	if _, ok := r.body["refresh_token"]; ok || len(r.body) != 4 {
		t.Fatalf("response fields: %s", r.raw)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	ev := h.lastEvent()
	want := AuthEvent{Time: ev.Time, RequestID: r.header.Get("request-id"), RuleID: f.rule, IssuerID: f.issuer, ServiceAccountID: f.sa,
		WorkspaceID: h.emu.DefaultWorkspaceID(), Subject: "repo:acme/app", Outcome: AuthOutcomeSuccess}
	if ev != want || !ev.Time.Equal(h.clock.Now()) {
		t.Fatalf("event %+v, want %+v", ev, want)
	}

	// The token works on the Messages API, as the rule's service account.
	m := must(t, h.call("POST", messagesPath, tok, map[string]any{
		"model": "claude-sonnet-4-5", "max_tokens": 100,
		"messages": []any{map[string]any{"role": "user", "content": "Hello"}},
	}, "anthropic-beta", "oauth-2025-04-20"))
	wantText := fmt.Sprintf("Hello from the Anthropic emulator: authenticated as service account %s (ci-bot) in workspace %s.", f.sa, h.emu.DefaultWorkspaceID())
	if m.str("type") != "message" || m.str("role") != "assistant" || m.str("model") != "claude-sonnet-4-5" ||
		m.str("content.0.type") != "text" || m.str("content.0.text") != wantText || m.str("stop_reason") != "end_turn" ||
		!strings.HasPrefix(m.str("id"), "msg_01") || m.get("usage.input_tokens") == nil || m.get("usage.output_tokens") == nil {
		t.Fatalf("message %s", m.raw)
	}
	if _, ok := m.body["stop_sequence"]; !ok {
		t.Fatal("stop_sequence must be present (null)")
	}
}

func TestExchangeGoogleDiscoveryMapping(t *testing.T) {
	h := newHarness(t)
	g := h.emu.Google()
	acct := g.DefaultServiceAccount()
	issuer := h.createIssuer("google", googleemu.Issuer)
	sa := h.createSA("cloud-run")
	prod, _ := h.emu.WorkspaceByName("production")
	must(t, h.admin("POST", saPath+"/"+sa+"/workspaces", map[string]any{"workspace_id": prod.ID, "workspace_role": "workspace_developer"}))
	rule := must(t, h.admin("POST", rulesPath, map[string]any{
		"name": "cloud-run", "issuer_id": issuer,
		"match": map[string]any{
			"audience":  policy.DefaultAudience,
			"claims":    map[string]any{"sub": acct.UniqueID, "email": acct.Email},
			"condition": `claims.google.compute_engine.project_id == "` + googleemu.DemoProject + `"`,
		},
		"target":       map[string]any{"type": "service_account", "service_account_id": sa},
		"oauth_scope":  "workspace:inference",
		"workspace_id": prod.ID,
	})).str("id")

	// The identity token comes from the metadata server on the emulator's
	// own listener, exactly as a workload on GCE would get it.
	req, _ := http.NewRequest("GET", h.srv.URL+"/computeMetadata/v1/instance/service-accounts/default/identity?format=full&audience="+url.QueryEscape(policy.DefaultAudience), nil)
	req.Header.Set("Metadata-Flavor", "Google")
	res, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	idToken := readAll(t, res)
	if res.StatusCode != 200 || res.Header.Get("request-id") != "" {
		t.Fatalf("metadata: %d (request-id %q)", res.StatusCode, res.Header.Get("request-id"))
	}

	r := must(t, h.exchange(h.exchangeBody(idToken, rule, "service_account_id", sa)))
	if r.str("scope") != "workspace:inference" || r.get("expires_in") != float64(3600) {
		t.Fatalf("exchange %s", r.raw)
	}
	if ev := h.lastEvent(); ev.WorkspaceID != prod.ID || ev.Subject != acct.UniqueID {
		t.Fatalf("event %+v", ev)
	}
	m := must(t, h.call("POST", messagesPath, r.str("access_token"), map[string]any{
		"model": "claude-haiku-4-5", "max_tokens": 5, "messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "hi"}}}},
	}))
	if m.str("stop_reason") != "max_tokens" || m.get("usage.output_tokens") != float64(5) {
		t.Fatalf("max_tokens not honoured: %s", m.raw)
	}

	// Without format=full there is no email claim: the pinned email fails.
	short, err := g.Mint(acct.Email, policy.DefaultAudience, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantDenied(t, h, h.exchange(h.exchangeBody(short, rule)), "match_claims:email")
	// Another Google account of the same project is someone else.
	other, _ := g.Mint(googleemu.CIRunnerAccount, policy.DefaultAudience, true, map[string]any{"google": map[string]any{"compute_engine": map[string]any{"project_id": googleemu.DemoProject}}})
	wantDenied(t, h, h.exchange(h.exchangeBody(other, rule)), "match_claims:email")
	// The token Google minted for another audience.
	wrongAud, _ := g.Mint(acct.Email, "https://other.example.com", true, nil)
	wantDenied(t, h, h.exchange(h.exchangeBody(wrongAud, rule)), "match_audience")
}

// TestExchangeTenantPinBypassRefused: a condition that only mentions a
// tenant claim used to pass the tenant guard, and an unrelated Google
// account then exchanged through it. The emulator now refuses the rule,
// with the reason, and the pinned counterpart admits only its account.
func TestExchangeTenantPinBypassRefused(t *testing.T) {
	h := newHarness(t)
	g := h.emu.Google()
	acct := g.DefaultServiceAccount()
	issuer := h.createIssuer("google", googleemu.Issuer)
	sa := h.createSA("cloud-run")
	prod, _ := h.emu.WorkspaceByName("production")
	must(t, h.admin("POST", saPath+"/"+sa+"/workspaces", map[string]any{"workspace_id": prod.ID, "workspace_role": "workspace_developer"}))
	ruleWith := func(name, condition string) map[string]any {
		return map[string]any{
			"name": name, "issuer_id": issuer,
			"match":        map[string]any{"audience": policy.DefaultAudience, "condition": condition},
			"target":       map[string]any{"type": "service_account", "service_account_id": sa},
			"oauth_scope":  "workspace:inference",
			"workspace_id": prod.ID,
		}
	}

	for _, cond := range []string{`claims.sub != ""`, `claims.email.endsWith(".gserviceaccount.com")`, `size(claims) >= 0`, `claims.sub`} {
		r := h.admin("POST", rulesPath, ruleWith("loose", cond))
		wantError(t, r, 400, "invalid_request_error", "match.condition: ")
		if !strings.Contains(r.errMsg(), "is also true when") && !strings.Contains(r.errMsg(), "always true") && !strings.Contains(r.errMsg(), "must evaluate to a bool") {
			t.Errorf("%s: the refusal does not say why: %q", cond, r.errMsg())
		}
	}

	rule := must(t, h.admin("POST", rulesPath, ruleWith("pinned",
		`claims.sub == "`+acct.UniqueID+`" && claims.email == "`+acct.Email+`"`))).str("id")
	own, err := g.Mint(acct.Email, policy.DefaultAudience, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, h.exchange(h.exchangeBody(own, rule, "service_account_id", sa)))
	other, err := g.Mint(googleemu.CIRunnerAccount, policy.DefaultAudience, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantDenied(t, h, h.exchange(h.exchangeBody(other, rule, "service_account_id", sa)), ReasonMatchCondition)
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer func() { _ = res.Body.Close() }()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func TestGoogleServedOnSameListener(t *testing.T) {
	h := newHarness(t)
	res, err := h.srv.Client().Get(h.srv.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(readAll(t, res)), &doc); err != nil || doc["issuer"] != googleemu.Issuer {
		t.Fatalf("discovery: %v %v", doc, err)
	}
	res, err = h.srv.Client().Get(h.srv.URL + "/oauth2/v3/certs")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); !strings.Contains(body, h.emu.Google().KeyID()) {
		t.Fatalf("certs: %s", body)
	}
	// The Anthropic side is untouched.
	must(t, h.admin("GET", saPath, nil))
	// A Google passed in is the one served.
	g := googleemu.New(googleemu.Options{SigningKey: sharedGoogleKey(), AccessToken: "ya29.mine"})
	if New(Options{Google: g}).Google() != g {
		t.Fatal("Options.Google ignored")
	}
}

func TestExchangeDenials(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	now := h.clock.Now().Unix()
	stranger := newIssuerKey(t, "ci-key-1") // same kid, other key
	hs := jose.SigningKey{Algorithm: jose.HS256, Key: jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: f.key.kid}}
	noKID := jose.SigningKey{Algorithm: jose.ES256, Key: f.key.priv}

	tests := []struct {
		name   string
		token  func() string
		reason string
	}{
		{"wrong audience", func() string { return f.token(t, "aud", "someone-else") }, ReasonMatchAudience},
		{"audience list without ours", func() string { return f.token(t, "aud", []any{"a", "b"}) }, ReasonMatchAudience},
		{"wrong sub", func() string { return f.token(t, "sub", "repo:evil/app") }, ReasonMatchSubjectPrefix},
		{"subject prefix is case-sensitive", func() string { return f.token(t, "sub", "repo:ACME/app") }, ReasonMatchSubjectPrefix},
		{"wrong email", func() string { return f.token(t, "email", "eve@acme.example") }, "match_claims:email"},
		{"missing email", func() string { return f.token(t, "email", nil) }, "match_claims:email"},
		{"CEL false", func() string { return f.token(t, "ref", "refs/heads/dev") }, ReasonMatchCondition},
		{"CEL error is no match", func() string { return f.token(t, "ref", nil) }, ReasonMatchCondition},
		{"expired", func() string { return f.token(t, "iat", now-900, "exp", now-31) }, ReasonJWTExpired},
		{"iat in future", func() string { return f.token(t, "iat", now+31, "exp", now+600) }, ReasonIATInFuture},
		{"nbf in future", func() string { return f.token(t, "nbf", now+120) }, ReasonJWTNotYetValid},
		{"lifetime exceeded", func() string { return f.token(t, "iat", now, "exp", now+3601) }, ReasonJWTLifetimeExceeded},
		{"missing iat", func() string { return f.token(t, "iat", nil) }, ReasonMissingIAT},
		{"string iat", func() string { return f.token(t, "iat", "now") }, ReasonMissingIAT},
		{"missing exp", func() string { return f.token(t, "exp", nil) }, ReasonMissingExp},
		{"missing sub", func() string { return f.token(t, "sub", nil) }, ReasonMissingSub},
		{"issuer mismatch", func() string { return f.token(t, "iss", ciIssuerURL+"/") }, ReasonIssuerMismatch},
		{"HS256", func() string { return signWith(t, hs, f.claims()) }, ReasonAlgNotAllowed},
		{"alg none", func() string {
			return unsignedToken(map[string]any{"alg": "none", "kid": f.key.kid, "typ": "JWT"}, f.claims())
		}, ReasonAlgNotAllowed},
		{"no kid", func() string { return signWith(t, noKID, f.claims()) }, ReasonMissingKID},
		{"unknown kid", func() string { return newIssuerKey(t, "ci-key-2").sign(t, f.claims()) }, ReasonUnknownKID},
		{"bad signature", func() string { return stranger.sign(t, f.claims()) }, ReasonBadSignature},
		{"tampered payload", func() string {
			parts := strings.Split(f.token(t), ".")
			forged, _ := json.Marshal(f.claims("sub", "repo:acme/admin"))
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]
		}, ReasonBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.exchange(tc.token())
			wantDenied(t, h, r, tc.reason)
			if strings.Contains(string(r.raw), tc.reason) {
				t.Fatal("the reason leaked into the response")
			}
		})
	}

	// Inside the 30 s leeway both ways.
	must(t, f.exchange(f.token(t, "iat", now+29, "exp", now+600)))
	must(t, f.exchange(f.token(t, "iat", now-900, "exp", now-29)))
	// exp - iat exactly at the issuer's limit is fine.
	must(t, f.exchange(f.token(t, "iat", now, "exp", now+3600)))
	// aud may be a list containing the rule's audience.
	must(t, f.exchange(f.token(t, "aud", []any{"x", ciAudience})))
}

func TestExchangeJTI(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	tok := f.token(t)
	must(t, f.exchange(tok))
	wantDenied(t, h, f.exchange(tok), ReasonJTIReused)

	// A denied exchange does not spend the jti: fix the request, retry.
	tok = f.token(t)
	wantDenied(t, h, f.exchange(tok, "workspace_id", missingWorkspaceID), ReasonWorkspaceNotFound)
	must(t, f.exchange(tok))

	// Tokens without jti are accepted, again and again.
	noJTI := f.token(t, "jti", nil)
	must(t, f.exchange(noJTI))
	must(t, f.exchange(noJTI))
	wantDenied(t, h, f.exchange(f.token(t, "jti", 7)), ReasonJTIInvalid)

	// check_jti false lets a jti be reused.
	must(t, h.admin("POST", issPath+"/"+f.issuer, map[string]any{"check_jti": false}))
	tok = f.token(t)
	must(t, f.exchange(tok))
	must(t, f.exchange(tok))
}

func TestExchangeRuleAndTargetDenials(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	other := h.createSA("other-bot")
	wantDenied(t, h, f.exchange(f.token(t), "service_account_id", other), ReasonServiceAccountMismatch)
	if ev := h.lastEvent(); ev.ServiceAccountID != other || ev.RuleID != f.rule || ev.IssuerID != f.issuer {
		t.Fatalf("event %+v", ev)
	}
	wantDenied(t, h, f.exchange(f.token(t), "organization_id", "00000000-0000-4000-8000-000000000000"), ReasonOrganizationMismatch)
	wantDenied(t, h, h.exchange(h.exchangeBody(f.token(t), missingRuleID)), ReasonRuleNotFound)

	// A token minted before the rule is archived lives on; new exchanges stop.
	tok := must(t, f.exchange(f.token(t))).str("access_token")
	must(t, h.admin("POST", rulesPath+"/"+f.rule+"/archive", nil))
	wantDenied(t, h, f.exchange(f.token(t)), ReasonRuleArchived)
	must(t, h.call("POST", messagesPath, tok, helloMessage()))
	must(t, h.admin("POST", issPath+"/"+f.issuer+"/archive", nil))
	wantDenied(t, h, f.exchange(f.token(t)), ReasonIssuerArchived)
}

func TestExchangeWorkspaceSelection(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	prod, _ := h.emu.WorkspaceByName("production")
	staging, _ := h.emu.WorkspaceByName("staging")
	rulePath := rulesPath + "/" + f.rule

	// Enabled in default only: chosen implicitly, implicit membership counts.
	must(t, f.exchange(f.token(t)))
	if ev := h.lastEvent(); ev.WorkspaceID != h.emu.DefaultWorkspaceID() {
		t.Fatalf("workspace %q", ev.WorkspaceID)
	}
	wantDenied(t, h, f.exchange(f.token(t), "workspace_id", prod.ID), ReasonWorkspaceNotEnabled)

	// The default workspace by its id.
	must(t, f.exchange(f.token(t), "workspace_id", h.emu.DefaultWorkspaceID()))
	if ev := h.lastEvent(); ev.WorkspaceID != h.emu.DefaultWorkspaceID() {
		t.Fatalf("tagged default id chose %q", ev.WorkspaceID)
	}

	// Enabled in default and production: without workspace_id the server
	// picks the default workspace, which the rule covers (as the SDK documents).
	must(t, h.admin("POST", rulePath+"/workspaces", map[string]any{"workspace_id": prod.ID}))
	must(t, f.exchange(f.token(t)))
	if ev := h.lastEvent(); ev.WorkspaceID != h.emu.DefaultWorkspaceID() {
		t.Fatalf("default and production enabled: chose %q", ev.WorkspaceID)
	}
	// The service account is not a member of production.
	wantDenied(t, h, f.exchange(f.token(t), "workspace_id", prod.ID), ReasonNotWorkspaceMember)
	if ev := h.lastEvent(); ev.WorkspaceID != prod.ID {
		t.Fatalf("workspace %q", ev.WorkspaceID)
	}
	must(t, h.admin("POST", saPath+"/"+f.sa+"/workspaces", map[string]any{"workspace_id": prod.ID, "workspace_role": "workspace_developer"}))
	r := must(t, f.exchange(f.token(t), "workspace_id", prod.ID))
	m := must(t, h.call("POST", messagesPath, r.str("access_token"), helloMessage()))
	if !strings.Contains(m.str("content.0.text"), "in workspace "+prod.ID+".") {
		t.Fatalf("text %q", m.str("content.0.text"))
	}
	must(t, f.exchange(f.token(t), "workspace_id", "default"))

	// Enabled in two non-default workspaces: workspace_id is required.
	must(t, h.admin("DELETE", rulePath+"/workspaces/default", nil))
	must(t, h.admin("POST", rulePath+"/workspaces", map[string]any{"workspace_id": staging.ID}))
	wantDenied(t, h, f.exchange(f.token(t)), ReasonWorkspaceIDRequired)

	// Applying to all workspaces: the default workspace unless another is
	// requested, any workspace allowed.
	must(t, h.admin("POST", rulePath, map[string]any{"applies_to_all_workspaces": true}))
	must(t, f.exchange(f.token(t)))
	if ev := h.lastEvent(); ev.WorkspaceID != h.emu.DefaultWorkspaceID() {
		t.Fatalf("all workspaces: chose %q", ev.WorkspaceID)
	}
	wantDenied(t, h, f.exchange(f.token(t), "workspace_id", staging.ID), ReasonNotWorkspaceMember)
	must(t, f.exchange(f.token(t), "workspace_id", prod.ID))
	// The explicit enablements are kept but ignored while the rule applies
	// to all workspaces: research, never enabled, is allowed.
	research, _ := h.emu.WorkspaceByName("research")
	must(t, h.admin("POST", saPath+"/"+f.sa+"/workspaces", map[string]any{"workspace_id": research.ID, "workspace_role": "workspace_user"}))
	must(t, f.exchange(f.token(t), "workspace_id", research.ID))

	// Back to one explicit workspace, then none.
	must(t, h.admin("DELETE", rulePath+"/workspaces/"+staging.ID, nil))
	must(t, h.admin("POST", rulePath, map[string]any{"applies_to_all_workspaces": false, "workspace_id": prod.ID}))
	must(t, f.exchange(f.token(t)))
	if ev := h.lastEvent(); ev.WorkspaceID != prod.ID {
		t.Fatalf("single enablement chose %q", ev.WorkspaceID)
	}
	must(t, h.call("DELETE", rulePath+"/workspaces/"+prod.ID, h.emu.AdminToken(), nil))
	wantDenied(t, h, f.exchange(f.token(t)), ReasonWorkspaceNotEnabled)
}

func TestExchangeInvalidRequests(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	tok := f.token(t)
	body := func(kv ...any) map[string]any { return h.exchangeBody(tok, f.rule, kv...) }
	tests := []struct {
		name, field, contains string
		body                  any
		hdr                   []string
	}{
		{"grant_type missing", "grant_type", "grant_type: required", body("grant_type", nil), nil},
		{"grant_type wrong", "grant_type", "grant_type: must be urn:ietf:params:oauth:grant-type:jwt-bearer", body("grant_type", "client_credentials"), nil},
		{"assertion missing", "assertion", "assertion: required", body("assertion", nil), nil},
		{"assertion empty", "assertion", "assertion: required", body("assertion", ""), nil},
		{"assertion too large", "assertion", "assertion: must be at most 16384 bytes", body("assertion", tok+"."+strings.Repeat("A", 16*1024)), nil},
		{"assertion not a JWT", "assertion", "assertion: must be a signed JWT", body("assertion", "ya29.not-a-jwt"), nil},
		{"assertion wrong type", "assertion", "assertion: must be a string", body("assertion", 5), nil},
		{"rule id missing", "federation_rule_id", "federation_rule_id: required", body("federation_rule_id", nil), nil},
		{"rule id shape", "federation_rule_id", "federation_rule_id:", body("federation_rule_id", "rule-1"), nil},
		{"org id missing", "organization_id", "organization_id: required", body("organization_id", nil), nil},
		{"org id not a UUID", "organization_id", "organization_id:", body("organization_id", "org-1"), nil},
		{"service account shape", "service_account_id", "service_account_id:", body("service_account_id", "svac_short"), nil},
		{"workspace shape", "workspace_id", "workspace_id:", body("workspace_id", "production"), nil},
		{"not JSON", "body", "not valid JSON", `{"grant_type":`, nil},
		{"not an object", "body", "must be a JSON object", `["x"]`, nil},
		{"form encoded", "body", "form-encoded", "grant_type=" + url.QueryEscape(grantTypeJWTBearer) + "&assertion=" + tok, []string{"content-type", "application/x-www-form-urlencoded"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call("POST", tokenPath, "", tc.body, tc.hdr...)
			wantError(t, r, 400, "invalid_request_error", tc.contains)
			if strings.Contains(string(r.raw), tok) {
				t.Fatal("the assertion is echoed")
			}
			ev := h.lastEvent()
			if ev.Outcome != AuthOutcomeInvalidRequest || ev.Reason != "invalid_request:"+tc.field {
				t.Fatalf("event %+v", ev)
			}
		})
	}
	// Fields validated before the faulty one are recorded.
	h.exchange(body("workspace_id", "nope"))
	if ev := h.lastEvent(); ev.RuleID != f.rule || ev.WorkspaceID != "" {
		t.Fatalf("event %+v", ev)
	}
	// No credential header is needed, and one is not looked at.
	must(t, h.call("POST", tokenPath, "sk-ant-oat01-garbage", h.exchangeBody(f.token(t), f.rule)))
}

func TestMintedLifetime(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	now := h.clock.Now().Unix()
	rulePath := rulesPath + "/" + f.rule
	cases := []struct {
		ruleLifetime int64
		expIn        int64
		want         float64
	}{
		{3600, 3600, 3600}, // rule lifetime wins
		{3600, 100, 200},   // twice the remaining validity
		{3600, 20, 60},     // never under 60 s
		{3600, -20, 60},    // expired within the leeway
		{600, 3600, 600},
		{86400, 3600, 7200},
	}
	for _, c := range cases {
		must(t, h.admin("POST", rulePath, map[string]any{"token_lifetime_seconds": c.ruleLifetime}))
		iat := min(now, now+c.expIn-60)
		r := must(t, f.exchange(f.token(t, "iat", iat, "exp", now+c.expIn)))
		if r.get("expires_in") != c.want {
			t.Errorf("rule %d, assertion %d s left: expires_in %v, want %v", c.ruleLifetime, c.expIn, r.get("expires_in"), c.want)
		}
	}
}

func helloMessage() map[string]any {
	return map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": []any{map[string]any{"role": "user", "content": "Hello"}}}
}

func TestMessagesAuthAndValidation(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	tok := must(t, f.exchange(f.token(t))).str("access_token")

	wantError(t, h.call("POST", messagesPath, "", helloMessage()), 401, "authentication_error", "authorization: missing credentials")
	wantError(t, h.call("POST", messagesPath, "", helloMessage(), "x-api-key", "sk-ant-api03-abc"), 401, "authentication_error", "x-api-key:")
	wantError(t, h.call("POST", messagesPath, "sk-ant-oat01-unknown", helloMessage()), 401, "authentication_error", "invalid bearer token")
	wantError(t, h.call("POST", messagesPath, h.emu.AdminToken(), helloMessage()), 403, "permission_error", "Messages API")

	for _, c := range []struct {
		body     any
		contains string
	}{
		{map[string]any{"max_tokens": 10, "messages": []any{map[string]any{"role": "user", "content": "x"}}}, "model: required"},
		{map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "x"}}}, "max_tokens: required"},
		{map[string]any{"model": "m", "max_tokens": 0, "messages": []any{map[string]any{"role": "user", "content": "x"}}}, "max_tokens: must be at least 1"},
		{map[string]any{"model": "m", "max_tokens": 10, "messages": []any{}}, "messages: must contain at least one message"},
		{map[string]any{"model": "m", "max_tokens": 10}, "messages: must contain at least one message"},
		{map[string]any{"model": "m", "max_tokens": 10, "messages": []any{map[string]any{"role": "system", "content": "x"}}}, "messages.0.role:"},
		{map[string]any{"model": "m", "max_tokens": 10, "messages": []any{map[string]any{"role": "user", "content": ""}}}, "messages.0.content:"},
		{map[string]any{"model": "m", "max_tokens": 10, "stream": true, "messages": []any{map[string]any{"role": "user", "content": "x"}}}, "stream:"},
		{`{"model":`, "not valid JSON"},
	} {
		wantError(t, h.call("POST", messagesPath, tok, c.body), 400, "invalid_request_error", c.contains)
	}

	// A workspace token is no admin credential.
	wantError(t, h.call("GET", saPath, tok, nil), 403, "permission_error", "org:admin")
	wantError(t, h.call("GET", historyPath, tok, nil), 403, "permission_error", "org:admin")

	// Expired: 401 on both surfaces.
	h.clock.Advance(1201 * time.Second)
	wantError(t, h.call("POST", messagesPath, tok, helloMessage()), 401, "authentication_error", "expired")
	wantError(t, h.call("GET", saPath, tok, nil), 401, "authentication_error", "expired")
}

func TestMessagesScope(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	tunnels := must(t, h.consolePost(rulesPath, map[string]any{
		"name": "tunnels", "issuer_id": f.issuer,
		"match":        map[string]any{"subject_prefix": "repo:acme/*", "audience": ciAudience},
		"target":       map[string]any{"type": "service_account", "service_account_id": f.sa},
		"oauth_scope":  "workspace:manage_tunnels",
		"workspace_id": "default",
	})).str("id")
	r := must(t, h.exchange(h.exchangeBody(f.token(t), tunnels)))
	if r.str("scope") != "workspace:manage_tunnels" {
		t.Fatalf("scope %q", r.str("scope"))
	}
	wantError(t, h.call("POST", messagesPath, r.str("access_token"), helloMessage()), 403, "permission_error", "workspace:manage_tunnels")
}

func TestOrgAdminRuleTokenActsAsServiceAccount(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	adminSA := h.createAdminSA("terraform-admin")
	rule := must(t, h.consolePost(rulesPath, map[string]any{
		"name": "terraform", "issuer_id": f.issuer,
		"match":        map[string]any{"subject_prefix": "repo:acme/infra", "audience": ciAudience},
		"target":       map[string]any{"type": "service_account", "service_account_id": adminSA},
		"oauth_scope":  "org:admin",
		"workspace_id": "default",
	})).str("id")
	r := must(t, h.exchange(h.exchangeBody(f.token(t, "sub", "repo:acme/infra"), rule, "service_account_id", adminSA)))
	tok := r.str("access_token")
	if r.str("scope") != "org:admin" {
		t.Fatalf("scope %q", r.str("scope"))
	}

	// It reads and writes the admin API as the service account.
	must(t, h.call("GET", saPath, tok, nil))
	created := must(t, h.call("POST", saPath, tok, map[string]any{"name": "made-by-robot"}))
	if created.str("created_by_actor_id") != adminSA {
		t.Fatalf("actor %q, want %s", created.str("created_by_actor_id"), adminSA)
	}
	must(t, h.call("POST", rulesPath, tok, withRule(ruleBody("robot-rule", f.issuer, f.sa), "match", map[string]any{"subject_prefix": "repo:acme/robot"})))
	hist := must(t, h.call("GET", historyPath, tok, nil))
	if len(hist.data()) == 0 {
		t.Fatal("history empty")
	}
	// With an OAuth caller's restrictions.
	wantError(t, h.call("POST", rulesPath, tok, withRule(ruleBody("robot-admin", f.issuer, adminSA), "oauth_scope", "org:admin")), 403, "permission_error", "oauth_scope:")
	wantError(t, h.call("POST", saPath, tok, map[string]any{"name": "robot-admin", "organization_role": "admin"}), 403, "permission_error", "organization_role:")
	wantError(t, h.call("POST", rulesPath+"/"+rule+"/archive", tok, nil), 403, "permission_error", "oauth_scope:")
	// And it is no Messages credential.
	wantError(t, h.call("POST", messagesPath, tok, helloMessage()), 403, "permission_error", "org:admin")

	// Once the rule is archived and the account downgraded, the token loses admin.
	must(t, h.call("POST", rulesPath+"/"+rule+"/archive", h.emu.ConsoleToken(), nil))
	must(t, h.call("POST", saPath+"/"+adminSA, h.emu.ConsoleToken(), map[string]any{"organization_role": "developer"}))
	wantError(t, h.call("GET", saPath, tok, nil), 403, "permission_error", "no longer has organization_role admin")
}

func TestAuthHistoryEndpoint(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	good := f.token(t)
	minted := must(t, f.exchange(good)).str("access_token")
	h.clock.Advance(time.Second)
	wantDenied(t, h, f.exchange(good), ReasonJTIReused)
	h.clock.Advance(time.Second)
	h.exchange(h.exchangeBody(good, f.rule, "grant_type", "password"))

	r := must(t, h.admin("GET", historyPath, nil))
	data := r.data()
	if len(data) != 3 || r.get("next_page") != nil {
		t.Fatalf("history %s", r.raw)
	}
	for _, s := range []string{good, minted} {
		if strings.Contains(string(r.raw), s) {
			t.Fatal("history holds a credential")
		}
	}
	newest, oldest := data[0], data[2]
	if newest["outcome"] != "invalid_request" || newest["reason"] != "invalid_request:grant_type" || newest["subject"] != nil {
		t.Fatalf("newest %v", newest)
	}
	if data[1]["outcome"] != "denied" || data[1]["reason"] != "jti_reused" {
		t.Fatalf("middle %v", data[1])
	}
	createdAt, _ := oldest["created_at"].(string)
	requestID, _ := oldest["request_id"].(string)
	if oldest["type"] != "federation_authentication_event" || oldest["outcome"] != "success" || oldest["reason"] != nil ||
		oldest["federation_rule_id"] != f.rule || oldest["issuer_id"] != f.issuer || oldest["service_account_id"] != f.sa ||
		oldest["workspace_id"] != h.emu.DefaultWorkspaceID() || oldest["subject"] != "repo:acme/app" || !tsShape.MatchString(createdAt) ||
		!strings.HasPrefix(requestID, "req_") {
		t.Fatalf("oldest %v", oldest)
	}

	// Paging and filtering.
	p1 := must(t, h.admin("GET", historyPath+"?limit=2", nil))
	next, _ := p1.get("next_page").(string)
	if len(p1.data()) != 2 || next == "" {
		t.Fatalf("page 1 %s", p1.raw)
	}
	p2 := must(t, h.admin("GET", historyPath+"?limit=2&page="+url.QueryEscape(next), nil))
	if len(p2.data()) != 1 || p2.data()[0]["outcome"] != "success" || p2.get("next_page") != nil {
		t.Fatalf("page 2 %s", p2.raw)
	}
	h.exchange(h.exchangeBody(good, missingRuleID))
	if n := len(must(t, h.admin("GET", historyPath+"?federation_rule_id="+f.rule, nil)).data()); n != 3 {
		t.Fatalf("filtered: %d events", n)
	}
	wantError(t, h.admin("GET", historyPath+"?limit=0", nil), 400, "invalid_request_error", "limit:")
	wantError(t, h.admin("GET", historyPath+"?page=bogus", nil), 400, "invalid_request_error", "page:")
	wantError(t, h.admin("GET", historyPath+"?federation_rule_id=x", nil), 400, "invalid_request_error", "federation_rule_id:")
	wantError(t, h.call("GET", historyPath, "", nil), 401, "authentication_error", "")
}

// oidcIssuer is an OIDC issuer on loopback serving discovery and a JWKS
// whose keys tests can change, counting key fetches.
type oidcIssuer struct {
	srv        *httptest.Server
	mu         sync.Mutex
	keys       []json.RawMessage
	jwksHits   atomic.Int64
	failStatus atomic.Int64
}

func newOIDCIssuer(t *testing.T, tls bool, keys ...json.RawMessage) *oidcIssuer {
	t.Helper()
	o := &oidcIssuer{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if s := o.failStatus.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": o.srv.URL, "jwks_uri": o.srv.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		o.jwksHits.Add(1)
		if s := o.failStatus.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": o.keys})
	})
	o.srv = httptest.NewUnstartedServer(mux)
	// Handshakes refused on purpose would otherwise be logged.
	o.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		o.srv.StartTLS()
	} else {
		o.srv.Start()
	}
	t.Cleanup(o.srv.Close)
	return o
}

func (o *oidcIssuer) setKeys(keys ...json.RawMessage) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.keys = keys
}

func (o *oidcIssuer) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: o.srv.Certificate().Raw}))
}

// newRemoteFixture is the CI fixture with its issuer switched to jwks.
func newRemoteFixture(t *testing.T, issuerURL string, jwks map[string]any) *ciFixture {
	t.Helper()
	f := newCIFixtureOn(t, newHarnessWith(t, Options{AllowLoopbackFetch: true}))
	must(t, f.h.admin("POST", issPath+"/"+f.issuer, map[string]any{"issuer_url": issuerURL, "jwks": jwks}))
	return f
}

func TestExchangeDiscoveryOverTLSWithCACert(t *testing.T) {
	key := newIssuerKey(t, "ci-key-1")
	o := newOIDCIssuer(t, true, key.jwk(t))
	// issuer_url itself is fetched; ca_cert_pem is the only trust root.
	f := newRemoteFixture(t, o.srv.URL, map[string]any{"type": "discovery", "ca_cert_pem": o.caPEM()})
	f.key = key
	h := f.h
	must(t, f.exchange(f.token(t, "iss", o.srv.URL)))
	if ev := h.lastEvent(); ev.Outcome != AuthOutcomeSuccess {
		t.Fatalf("event %+v", ev)
	}

	// Without the CA the issuer's certificate is not trusted.
	must(t, h.admin("POST", issPath+"/"+f.issuer, map[string]any{"jwks": map[string]any{"type": "discovery"}}))
	wantDenied(t, h, f.exchange(f.token(t, "iss", o.srv.URL)), ReasonJWKSFetchFailed)
}

func TestExchangeDiscoveryBaseAndFailures(t *testing.T) {
	key := newIssuerKey(t, "ci-key-1")
	o := newOIDCIssuer(t, false, key.jwk(t))
	f := newRemoteFixture(t, ciIssuerURL, map[string]any{"type": "discovery", "discovery_base": o.srv.URL})
	f.key = key
	h := f.h
	must(t, f.exchange(f.token(t)))

	// A failing issuer: keys already fetched are kept when a refresh fails,
	// but with nothing cached the exchange fails.
	o.failStatus.Store(500)
	h.clock.Advance(2 * time.Hour)
	must(t, f.exchange(f.token(t)))
	must(t, h.admin("POST", issPath+"/"+f.issuer, map[string]any{"jwks": map[string]any{"type": "discovery", "discovery_base": o.srv.URL + "/"}}))
	wantDenied(t, h, f.exchange(f.token(t)), ReasonJWKSFetchFailed)
	o.failStatus.Store(0)
	must(t, f.exchange(f.token(t)))
}

func TestExchangeExplicitURLCachingAndRotation(t *testing.T) {
	key1, key2 := newIssuerKey(t, "ci-key-1"), newIssuerKey(t, "ci-key-2")
	o := newOIDCIssuer(t, false, key1.jwk(t))
	f := newRemoteFixture(t, ciIssuerURL, map[string]any{"type": "explicit_url", "url": o.srv.URL + "/keys"})
	f.key = key1
	h := f.h
	hits := func(want int64) {
		t.Helper()
		if got := o.jwksHits.Load(); got != want {
			t.Fatalf("JWKS fetched %d times, want %d", got, want)
		}
	}

	must(t, f.exchange(f.token(t)))
	must(t, f.exchange(f.token(t)))
	hits(1)

	// An unknown kid forces one refetch; the key is still unknown.
	wantDenied(t, h, f.exchange(key2.sign(t, f.claims())), ReasonUnknownKID)
	hits(2)
	// Rotation: once the issuer publishes key 2, the refetch finds it.
	o.setKeys(key1.jwk(t), key2.jwk(t))
	must(t, f.exchange(key2.sign(t, f.claims())))
	hits(3)
	must(t, f.exchange(key2.sign(t, f.claims())))
	hits(3)

	// Past the TTL, keys are fetched again.
	h.clock.Advance(time.Hour + time.Second)
	must(t, f.exchange(f.token(t)))
	hits(4)

	// Polling paused by the service freezes the keys: no refresh, no
	// refetch on unknown kid.
	if err := h.emu.DisableJWKSPolling(f.issuer); err != nil {
		t.Fatal(err)
	}
	key3 := newIssuerKey(t, "ci-key-3")
	o.setKeys(key3.jwk(t))
	h.clock.Advance(2 * time.Hour)
	wantDenied(t, h, f.exchange(key3.sign(t, f.claims())), ReasonUnknownKID)
	must(t, f.exchange(f.token(t)))
	hits(4)

	// A key whose JWK names another algorithm is not used for this one.
	must(t, h.admin("POST", issPath+"/"+f.issuer, map[string]any{"jwks_polling_disabled": false}))
	var k3 map[string]any
	_ = json.Unmarshal(key3.jwk(t), &k3)
	k3["alg"] = "ES384"
	raw, _ := json.Marshal(k3)
	o.setKeys(raw)
	wantDenied(t, h, f.exchange(key3.sign(t, f.claims())), ReasonKeyAlgMismatch)
}

func TestLoopbackIssuersRefusedByDefault(t *testing.T) {
	h := newHarness(t)
	o := newOIDCIssuer(t, false)
	for _, jwks := range []map[string]any{
		{"type": "explicit_url", "url": o.srv.URL + "/keys"},
		{"type": "discovery", "discovery_base": o.srv.URL},
	} {
		r := h.admin("POST", issPath, map[string]any{"name": "local", "issuer_url": ciIssuerURL, "jwks": jwks})
		wantError(t, r, 400, "invalid_request_error", "url must use https scheme")
	}
	// Even when allowed at create time elsewhere, a discovery document may
	// not send the service to a private address.
	key := newIssuerKey(t, "ci-key-1")
	evil := newOIDCIssuer(t, false, key.jwk(t))
	f := newCIFixture(t)
	src := keySource{issuerID: f.issuer, issuerURL: ciIssuerURL, jwks: jwksSource{typ: jwksDiscovery, discoveryBase: evil.srv.URL}}
	if _, _, err := f.h.emu.issuerKeys(t.Context(), src, false); err == nil || !strings.Contains(err.Error(), "refusing to fetch") {
		t.Fatalf("loopback fetch: %v", err)
	}
	if evil.jwksHits.Load() != 0 {
		t.Fatal("the emulator fetched a loopback URL by default")
	}
}

func TestParseKeySetSkipsUnusableKeys(t *testing.T) {
	key := newIssuerKey(t, "good")
	set := fmt.Sprintf(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"sym"},{"kty":"XYZ","kid":"odd"},%s]}`, key.jwk(t))
	keys, err := parseKeySet([]byte(set))
	if err != nil || len(keys) != 1 || keys[0].KeyID != "good" {
		t.Fatalf("keys %v, err %v", keys, err)
	}
	// A private key published by mistake is used by its public half only.
	priv, _ := jose.JSONWebKey{Key: key.priv, KeyID: "priv"}.MarshalJSON()
	keys, err = parseKeySet([]byte(`{"keys":[` + string(priv) + `]}`))
	if err != nil || len(keys) != 1 || !keys[0].IsPublic() {
		t.Fatalf("private key: %v %v", keys, err)
	}
	if _, err := parseKeySet([]byte(`{"keys":[]}`)); err == nil {
		t.Fatal("empty set accepted")
	}
}

func TestAllowedAlgsMatchPolicy(t *testing.T) {
	for _, a := range allowedJWTAlgs {
		if !policy.IsAllowedJWTAlg(string(a)) {
			t.Errorf("%s allowed here but not by policy", a)
		}
	}
	for _, a := range []string{"HS256", "HS384", "HS512", "none", "EdDSA", ""} {
		if policy.IsAllowedJWTAlg(a) {
			t.Errorf("policy allows %q", a)
		}
	}
}

func TestConcurrentExchanges(t *testing.T) {
	f := newCIFixture(t)
	tok := f.token(t)
	var wg sync.WaitGroup
	var ok, replays atomic.Int64
	for range 8 {
		wg.Go(func() {
			r := f.exchange(tok)
			switch r.status {
			case 200:
				ok.Add(1)
			case 401:
				replays.Add(1)
			}
		})
	}
	wg.Wait()
	// One jti, many racers: exactly one wins.
	if ok.Load() != 1 || replays.Load() != 7 {
		t.Fatalf("%d successes, %d replays", ok.Load(), replays.Load())
	}
}

func BenchmarkExchange(b *testing.B) {
	clock := newFakeClock()
	emu := New(Options{Seed: 1, Now: clock.Now})
	key := newIssuerKey(b, "bench")
	do := func(method, path, token string, body any) *httptest.ResponseRecorder {
		enc, _ := json.Marshal(body)
		req := httptest.NewRequest(method, path, strings.NewReader(string(enc)))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		emu.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		return w
	}
	id := func(w *httptest.ResponseRecorder) string {
		var v struct{ ID string }
		_ = json.Unmarshal(w.Body.Bytes(), &v)
		return v.ID
	}
	iss := id(do("POST", issPath, emu.AdminToken(), map[string]any{"name": "ci", "issuer_url": ciIssuerURL, "jwks": map[string]any{"type": "inline", "keys": []any{key.jwk(b)}}}))
	sa := id(do("POST", saPath, emu.AdminToken(), map[string]any{"name": "bench"}))
	rule := id(do("POST", rulesPath, emu.AdminToken(), map[string]any{
		"name": "bench", "issuer_id": iss,
		"match":        map[string]any{"subject_prefix": "repo:acme/*", "audience": ciAudience, "claims": map[string]any{"email": "bot@acme.example"}, "condition": `claims.ref == "refs/heads/main"`},
		"target":       map[string]any{"type": "service_account", "service_account_id": sa},
		"oauth_scope":  "workspace:developer",
		"workspace_id": "default",
	}))
	now := clock.Now().Unix()
	tokens := make([]string, b.N)
	for i := range tokens {
		tokens[i] = key.sign(b, map[string]any{"iss": ciIssuerURL, "sub": "repo:acme/app", "aud": ciAudience, "email": "bot@acme.example",
			"ref": "refs/heads/main", "iat": now, "exp": now + 600, "jti": fmt.Sprintf("bench-%d", i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		do("POST", tokenPath, "", map[string]any{"grant_type": grantTypeJWTBearer, "assertion": tokens[i], "federation_rule_id": rule, "organization_id": emu.OrganizationID()})
	}
}

func TestSweepsForgetExpiredState(t *testing.T) {
	h := newHarness(t)
	e := h.emu
	now := h.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range 1500 {
		until := now.Add(-time.Second)
		if i%2 == 0 {
			until = now.Add(time.Hour)
		}
		e.jtis[fmt.Sprint(i)] = until
		e.tokens[fmt.Sprint(i)] = &mintedToken{expiresAt: until}
	}
	e.sweepJTIs(now)
	e.sweepTokens(now)
	if len(e.jtis) != 750 || len(e.tokens) != 750 {
		t.Fatalf("%d jtis, %d tokens left, want 750 each", len(e.jtis), len(e.tokens))
	}
	// The next sweep waits until the maps have grown again.
	e.jtis["late"] = now.Add(-time.Second)
	e.sweepJTIs(now)
	if _, ok := e.jtis["late"]; !ok {
		t.Fatal("swept again too soon")
	}
}

// TestInteractiveCallers: a user's OAuth token is interactive (it creates,
// promotes and demotes admin service accounts); a token minted by an
// exchange is not. Demoting the target of an org:admin rule is allowed, and
// the exchange then refuses the rule (target_not_admin in the history).
func TestInteractiveCallers(t *testing.T) {
	f := newCIFixture(t)
	h := f.h
	// The user's OAuth token creates an admin and promotes a developer.
	adminSA := must(t, h.admin("POST", saPath, map[string]any{"name": "terraform-admin", "organization_role": "admin"})).str("id")
	dev := h.createSA("dev")
	if r := must(t, h.admin("POST", saPath+"/"+dev, map[string]any{"organization_role": "admin"})); r.str("organization_role") != "admin" {
		t.Fatalf("promoted: %s", r.raw)
	}
	must(t, h.admin("POST", saPath+"/"+dev, map[string]any{"organization_role": "developer"}))

	rule := must(t, h.consolePost(rulesPath, map[string]any{
		"name": "terraform", "issuer_id": f.issuer,
		"match":        map[string]any{"subject_prefix": "repo:acme/infra", "audience": ciAudience},
		"target":       map[string]any{"type": "service_account", "service_account_id": adminSA},
		"oauth_scope":  "org:admin workspace:developer",
		"workspace_id": "default",
	})).str("id")
	r := must(t, h.exchange(h.exchangeBody(f.token(t, "sub", "repo:acme/infra"), rule, "service_account_id", adminSA)))
	if r.str("scope") != "org:admin workspace:developer" {
		t.Fatalf("scope %q, want the rule's oauth_scope", r.str("scope"))
	}
	minted := r.str("access_token")
	// The minted token is not interactive: no admin, created or promoted,
	// not even re-sending an unchanged admin.
	wantError(t, h.call("POST", saPath, minted, map[string]any{"name": "robot-admin", "organization_role": "admin"}), 403, "permission_error", "a token minted by a federation exchange is not interactive")
	wantError(t, h.call("POST", saPath+"/"+dev, minted, map[string]any{"organization_role": "admin"}), 403, "permission_error", "organization_role:")
	wantError(t, h.call("POST", saPath+"/"+adminSA, minted, map[string]any{"organization_role": "admin"}), 403, "permission_error", "organization_role:")

	// Demoting the target of a live org:admin rule is allowed; the rule then
	// stops minting, and the history says why.
	if r := must(t, h.admin("POST", saPath+"/"+adminSA, map[string]any{"organization_role": "developer"})); r.str("organization_role") != "developer" {
		t.Fatalf("demoted: %s", r.raw)
	}
	wantDenied(t, h, h.exchange(h.exchangeBody(f.token(t, "sub", "repo:acme/infra"), rule, "service_account_id", adminSA)), ReasonTargetNotAdmin)
	// Promoting it again brings the rule back.
	must(t, h.admin("POST", saPath+"/"+adminSA, map[string]any{"organization_role": "admin"}))
	must(t, h.exchange(h.exchangeBody(f.token(t, "sub", "repo:acme/infra"), rule, "service_account_id", adminSA)))
}
