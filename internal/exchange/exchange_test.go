package exchange

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

func ptr[T any](v T) *T { return &v }

// signer signs the tokens of these tests, as an issuer would (RS256).
var signer = sync.OnceValue(func() *googleemu.Google { return googleemu.New(googleemu.Options{}) })

func signCIToken(t *testing.T, claims map[string]any) string {
	t.Helper()
	tok, err := signer().SignClaims(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestPreflight(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	token := func(claims map[string]any) string {
		base := map[string]any{"iss": policy.GoogleIssuer, "sub": "112233445566778899001", "aud": policy.DefaultAudience,
			"email": "agent@p.iam.gserviceaccount.com", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for k, v := range claims {
			if v == nil {
				delete(base, k)
				continue
			}
			base[k] = v
		}
		return signCIToken(t, base)
	}
	hs256, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	symmetric, err := jwt.Signed(hs256).Claims(map[string]any{"iss": "x", "exp": now.Add(time.Hour).Unix()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"x"}`)) + "."

	pinsSubOnly := &RuleView{Rule: &client.FederationRule{ID: "fdrl_x", Match: client.RuleMatch{Audience: ptr(policy.DefaultAudience), Claims: map[string]string{"sub": "1"}}}}
	pinsEmail := &RuleView{Rule: &client.FederationRule{ID: "fdrl_x", Match: client.RuleMatch{Audience: ptr(policy.DefaultAudience), Claims: map[string]string{"email": "a"}}}}
	celEmail := &RuleView{Rule: &client.FederationRule{ID: "fdrl_x", Match: client.RuleMatch{Condition: ptr(`claims.email.endsWith("@p.iam.gserviceaccount.com")`)}}}
	otherAudience := &RuleView{Rule: &client.FederationRule{ID: "fdrl_x", Match: client.RuleMatch{Audience: ptr("https://api.anthropic.com/wif/run")}}}
	defaultAudience := &RuleView{Rule: &client.FederationRule{ID: "fdrl_x", Match: client.RuleMatch{Claims: map[string]string{"sub": "1"}}}}

	for _, tc := range []struct {
		name      string
		assertion string
		view      *RuleView
		want      string // "" = passes
	}{
		{"good", token(nil), pinsEmail, ""},
		{"too large", strings.Repeat("a", policy.MaxAssertionBytes+1), nil, "is 16385 bytes; the exchange accepts at most 16384"},
		{"not a JWT", "opaque-token", nil, "not a JWT"},
		{"symmetric", symmetric, nil, "alg HS256 is symmetric"},
		{"unsigned", unsigned, nil, "alg none"},
		{"no exp", token(map[string]any{"exp": nil}), nil, "has no exp claim"},
		{"expired", token(map[string]any{"exp": now.Add(-time.Minute).Unix()}), nil, "expired at 2026-05-01T11:59:00Z (1m0s ago)"},
		{"about to expire", token(map[string]any{"exp": now.Add(10 * time.Second).Unix()}), nil, "in 10s: less than the 30s"},
		{"google without email, rule unknown", token(map[string]any{"email": nil}), nil, "format_full = true"},
		{"google without email, rule pins email", token(map[string]any{"email": nil}), pinsEmail, "include_email = true"},
		{"google without email, condition reads email", token(map[string]any{"email": nil}), celEmail, "no email claim"},
		{"google without email, rule pins sub only", token(map[string]any{"email": nil}), pinsSubOnly, ""},
		{"audience", token(nil), otherAudience, `accepts tokens whose aud contains "https://api.anthropic.com/wif/run"`},
		{"audience list", token(map[string]any{"aud": []string{"a", "https://api.anthropic.com/wif/run"}}), otherAudience, ""},
		{"default audience", token(map[string]any{"aud": "https://other"}), defaultAudience, "match.audience is unset, which means https://api.anthropic.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, fail := preflight(tc.assertion, identity.Literal(tc.assertion), tc.view, now)
			switch {
			case tc.want == "" && fail != nil:
				t.Fatalf("unexpected failure: %v", fail)
			case tc.want != "" && (fail == nil || !strings.Contains(fail.Error(), tc.want)):
				t.Fatalf("failure %v, want one containing %q", fail, tc.want)
			case fail != nil && len(tc.assertion) > 20 && strings.Contains(fail.Error(), tc.assertion[:20]):
				t.Fatalf("the failure repeats the token: %v", fail)
			}
		})
	}
}

// With the rule readable, the explanation names each matcher the token
// fails, in the service's order; without it, the usual causes in order.
func TestExplainDenial(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	assertion := signCIToken(t, map[string]any{"iss": "https://ci.example.com/", "sub": "repo:other/app", "aud": policy.DefaultAudience,
		"ref": "refs/heads/dev", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j1"})
	claims, err := identity.Inspect(assertion)
	if err != nil {
		t.Fatal(err)
	}
	target := Target{RuleID: "fdrl_rule", OrganizationID: "org", ServiceAccountID: "svac_mine"}
	view := &RuleView{
		Rule: &client.FederationRule{
			ID: "fdrl_rule",
			Match: client.RuleMatch{
				SubjectPrefix: ptr("repo:acme/*"),
				Claims:        map[string]string{"ref": "refs/heads/main", "environment": "prod"},
				Condition:     ptr(`claims.ref.startsWith("refs/tags/")`),
			},
			Target:       client.RuleTarget{ServiceAccountID: "svac_other"},
			WorkspaceIDs: []string{"wrkspc_a", "wrkspc_b"},
		},
		Issuer:           &client.FederationIssuer{ID: "fdis_ci", IssuerURL: "https://ci.example.com", CheckJTI: true, MaxJWTLifetimeSeconds: 600},
		DefaultWorkspace: "wrkspc_default",
	}
	got := explainDenial(claims, identity.Literal(assertion), target, view, "req_123", now)
	wantInOrder := []string{
		"HTTP 401 authentication_error",
		"same answer to every denial by design",
		`Token sent (from literal identity token): iss "https://ci.example.com/", sub "repo:other/app", aud ["https://api.anthropic.com"], exp 2026-05-01T13:00:00Z, with a jti.`,
		"service_account_id is svac_mine, but the rule targets svac_other.",
		`issuer_url "https://ci.example.com", but the token's iss is "https://ci.example.com/"`,
		"more than the issuer's max_jwt_lifetime_seconds (600)",
		`match.subject_prefix "repo:acme/*" does not match the token's sub "repo:other/app".`,
		`match.claims.environment pins "prod", but the token's environment is absent.`,
		`match.claims.ref pins "refs/heads/main", but the token's ref is "refs/heads/dev".`,
		`match.condition "claims.ref.startsWith(\"refs/tags/\")" evaluates to false`,
		"enabled in 2 workspaces (wrkspc_a, wrkspc_b), none of them the default workspace, so the exchange needs workspace_id",
		"authentication history in the Anthropic Console",
		"Request ID: req_123.",
	}
	checkInOrder(t, got, wantInOrder)
	if strings.Contains(got, assertion[:30]) {
		t.Error("the explanation repeats the token")
	}

	// Nothing definite: the likely causes, the replay first for a literal
	// token with a jti.
	view.Rule = &client.FederationRule{ID: "fdrl_rule", Match: client.RuleMatch{SubjectPrefix: ptr("repo:other/*")}, WorkspaceIDs: []string{"wrkspc_default"}}
	view.Issuer.IssuerURL, view.Issuer.MaxJWTLifetimeSeconds = "https://ci.example.com/", 3600
	got = explainDenial(claims, identity.Literal(assertion), target, view, "", now)
	checkInOrder(t, got, []string{"Everything the provider can check", "1. Replayed token", "literal identity_token", "2. Workspace membership", "3. Signature"})

	// Rule unreadable: the usual causes with the token's claims.
	got = explainDenial(claims, identity.File("/t"), target, nil, "", now)
	checkInOrder(t, got, []string{"could not be read", `1. Issuer URL mismatch`, `iss "https://ci.example.com/"`, `2. Claims`, `sub "repo:other/app"`,
		"3. Workspace", "4. Replayed token", "5. The rule, its issuer", "6. Signature"})
	if strings.Contains(got, "literal identity_token") {
		t.Error("a renewable source was told it is a literal token")
	}
}

func checkInOrder(t *testing.T, got string, want []string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("missing (or out of order) %q in:\n%s", w, got)
		}
		rest = rest[i+len(w):]
	}
}

// The default workspace is an ordinary id in a rule's workspace_ids: the
// explanation needs to know which one it is, and says nothing it cannot
// know.
func TestWorkspaceMismatchesDefaultWorkspace(t *testing.T) {
	two := &client.FederationRule{WorkspaceIDs: []string{"wrkspc_default", "wrkspc_prod"}}
	if got := workspaceMismatches(two, "", "wrkspc_default"); len(got) != 0 {
		t.Errorf("the server picks the default workspace the rule covers; got %v", got)
	}
	if got := workspaceMismatches(two, "", ""); len(got) != 0 {
		t.Errorf("with the default workspace unknown, nothing is definite; got %v", got)
	}
	if got := workspaceMismatches(two, "", "wrkspc_other"); len(got) != 1 {
		t.Errorf("neither workspace is the default: workspace_id is needed; got %v", got)
	}
	if got := workspaceMismatches(two, "default", "wrkspc_default"); len(got) != 0 {
		t.Errorf(`"default" names the default workspace, which the rule covers; got %v`, got)
	}
	one := &client.FederationRule{WorkspaceIDs: []string{"wrkspc_prod"}}
	if got := workspaceMismatches(one, "default", "wrkspc_default"); len(got) != 1 || !strings.Contains(got[0], "enabled only in wrkspc_prod") {
		t.Errorf(`"default" is not enabled; got %v`, got)
	}
}

// An org:admin rule whose target was demoted is refused at exchange; the
// explanation names it when the target could be read.
func TestRuleMismatchesDemotedTarget(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	claims, err := identity.Inspect(signCIToken(t, map[string]any{"iss": "https://ci.example.com", "sub": "repo:acme/app", "aud": policy.DefaultAudience,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}))
	if err != nil {
		t.Fatal(err)
	}
	view := &RuleView{
		Rule: &client.FederationRule{ID: "fdrl_admin", OAuthScope: "org:admin", Match: client.RuleMatch{SubjectPrefix: ptr("repo:acme/*")},
			Target: client.RuleTarget{ServiceAccountID: "svac_admin"}, AppliesToAllWorkspaces: true},
		Issuer:     &client.FederationIssuer{ID: "fdis_ci", IssuerURL: "https://ci.example.com", MaxJWTLifetimeSeconds: 3600},
		TargetRole: "developer",
	}
	got := ruleMismatches(claims, Target{RuleID: "fdrl_admin"}, view, now)
	if len(got) != 1 || !strings.Contains(got[0], "grants org:admin, but its target service account svac_admin has organization_role developer") {
		t.Fatalf("mismatches = %v", got)
	}
	view.TargetRole = "admin"
	if got := ruleMismatches(claims, Target{RuleID: "fdrl_admin"}, view, now); len(got) != 0 {
		t.Fatalf("an admin target: %v", got)
	}
}

// Run sends the assertion once and reads the rule only to explain a
// denial; other failures are described by the caller's ErrorDetail.
func TestRun(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	assertion := signCIToken(t, map[string]any{"iss": "https://ci.example.com", "sub": "repo:acme/app", "aud": policy.DefaultAudience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	target := Target{RuleID: "fdrl_rule", OrganizationID: "org", ServiceAccountID: "svac_mine", WorkspaceID: "wrkspc_a"}
	run := func(answer error) (*Result, *Failure, []client.TokenExchangeParams, int) {
		var sent []client.TokenExchangeParams
		reads := 0
		res, fail := Run(context.Background(), identity.Literal(assertion), target, Options{
			Send: func(_ context.Context, p client.TokenExchangeParams) (*client.TokenExchangeResponse, error) {
				sent = append(sent, p)
				if answer != nil {
					return nil, answer
				}
				return &client.TokenExchangeResponse{AccessToken: "sk-ant-oat01-x", ExpiresIn: 600, Scope: "workspace:developer"}, nil
			},
			ReadView:    func(context.Context) *RuleView { reads++; return nil },
			Now:         func() time.Time { return now },
			ErrorDetail: func(err error) string { return "detail of " + err.Error() },
		})
		return res, fail, sent, reads
	}

	res, fail, sent, reads := run(nil)
	want := client.TokenExchangeParams{Assertion: assertion, FederationRuleID: "fdrl_rule", OrganizationID: "org", ServiceAccountID: "svac_mine", WorkspaceID: "wrkspc_a"}
	if fail != nil || len(sent) != 1 || sent[0] != want || reads != 0 {
		t.Fatalf("success: fail %v, sent %+v, %d rule reads", fail, sent, reads)
	}
	if res.Token.AccessToken != "sk-ant-oat01-x" || !res.ExpiresAt.Equal(now.Add(10*time.Minute)) || res.Claims.Subject != "repo:acme/app" {
		t.Errorf("result %+v", res)
	}

	_, fail, sent, reads = run(&client.APIError{StatusCode: 401, Type: "authentication_error", RequestID: "req_1"})
	if fail == nil || !fail.Denied || fail.Summary != "Token exchange denied" || !strings.Contains(fail.Detail, "Request ID: req_1.") || len(sent) != 1 || reads != 1 {
		t.Errorf("denial: %v (denied %v), %d sent, %d rule reads", fail, fail != nil && fail.Denied, len(sent), reads)
	}

	bad := &client.APIError{StatusCode: 400, Type: "invalid_request_error", Message: "workspace_id: unknown"}
	_, fail, sent, reads = run(bad)
	if fail == nil || fail.Denied || fail.Summary != "Token exchange failed" || len(sent) != 1 || reads != 0 ||
		fail.Detail != "detail of "+bad.Error()+"\nThe exchange request itself was refused; the message names the field at fault." {
		t.Errorf("bad request: %#v, %d sent, %d rule reads", fail, len(sent), reads)
	}
}
