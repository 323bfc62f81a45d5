package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// testAccEchoFactories add terraform-plugin-testing's echo provider, which
// copies its (ephemeral) configuration into state: the only way to look at
// an ephemeral resource's result from a test.
var testAccEchoFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"anthropic": testAccProtoV6ProviderFactories["anthropic"],
	"echo":      echoprovider.NewProviderServer(),
}

var ephemeralVersions = []tfversion.TerraformVersionCheck{tfversion.RequireAbove(tfversion.Version1_10_0)}

// mintedTokens records every access token the emulator's exchange hands
// out, read off the wire, so tests can prove where tokens did (and did
// not) end up.
type mintedTokens struct {
	mu     sync.Mutex
	tokens []string
}

func (m *mintedTokens) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.tokens)
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// newRecordingTestEnv is newTestEnv whose server also records minted tokens.
func newRecordingTestEnv(t *testing.T) (*testEnv, *mintedTokens) {
	t.Helper()
	emu := emulator.New(emulator.Options{})
	rec := &mintedTokens{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/oauth/token" {
			emu.ServeHTTP(w, r)
			return
		}
		tw := &teeWriter{ResponseWriter: w}
		emu.ServeHTTP(tw, r)
		var out struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(tw.body.Bytes(), &out) == nil && out.AccessToken != "" {
			rec.mu.Lock()
			rec.tokens = append(rec.tokens, out.AccessToken)
			rec.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{BaseURL: srv.URL, AuthToken: emu.AdminToken(), Version: "test", MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{emu: emu, google: emu.Google(), server: srv, client: c}, rec
}

// exchangeOnlyConfig is a provider block without any admin credential: the
// provider can only exchange tokens, and cannot read rules.
func (e *testEnv) exchangeOnlyConfig(body string) string {
	return fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  organization_id = %q
  max_retries     = 0
}
`, e.server.URL, e.emu.OrganizationID()) + body
}

func (e *testEnv) googleIssuerOnce(t *testing.T) *client.FederationIssuer {
	t.Helper()
	for is, err := range e.client.ListFederationIssuers(bg, client.ListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		if is.IssuerURL == policy.GoogleIssuer {
			return &is
		}
	}
	return e.issuer(t, "google", policy.GoogleIssuer)
}

// tokenBlock is an anthropic_federation_token for the rule with the given
// identity source lines.
func tokenBlock(name string, r tokenRule, source string) string {
	return fmt.Sprintf(`
ephemeral "anthropic_federation_token" %q {
  federation_rule_id = %q
  service_account_id = %q
  %s
}
`, name, r.rule.ID, r.sa.ID, source)
}

// echoOf feeds the non-secret outputs of the named tokens, and a SHA-256 of
// each access token, to the echo provider; echo.<resource>.data then holds
// them in state. The access token itself never reaches state.
func echoOf(resourceName string, tokens ...string) string {
	var b strings.Builder
	b.WriteString("provider \"echo\" {\n  data = {\n")
	for _, n := range tokens {
		e := "ephemeral.anthropic_federation_token." + n
		fmt.Fprintf(&b, "    %s = {\n      token_type = %s.token_type\n      scope = %s.scope\n      expires_in = %s.expires_in\n      expires_at = %s.expires_at\n      access_token_sha256 = sha256(%s.access_token)\n    }\n",
			n, e, e, e, e, e)
	}
	b.WriteString("  }\n}\n")
	fmt.Fprintf(&b, "resource \"echo\" %q {}\n", resourceName)
	return b.String()
}

// mintedHash checks a value is the SHA-256 of a token the emulator minted.
type mintedHash struct{ rec *mintedTokens }

func (c mintedHash) CheckValue(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("expected a string, got %T", v)
	}
	for _, tok := range c.rec.all() {
		sum := sha256.Sum256([]byte(tok))
		if hex.EncodeToString(sum[:]) == s {
			return nil
		}
	}
	return fmt.Errorf("%s is not the SHA-256 of any access token the emulator minted", s)
}

func (c mintedHash) String() string { return "SHA-256 of a minted access token" }

func tokenChecks(resourceName, token string, rec *mintedTokens) []statecheck.StateCheck {
	at := func(k string) tfjsonpath.Path { return tfjsonpath.New("data").AtMapKey(token).AtMapKey(k) }
	addr := "echo." + resourceName
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(addr, at("token_type"), knownvalue.StringExact("Bearer")),
		statecheck.ExpectKnownValue(addr, at("scope"), knownvalue.StringExact("workspace:developer")),
		statecheck.ExpectKnownValue(addr, at("expires_in"), knownvalue.Int64Exact(3600)),
		statecheck.ExpectKnownValue(addr, at("expires_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
		statecheck.ExpectKnownValue(addr, at("access_token_sha256"), mintedHash{rec}),
	}
}

func (e *testEnv) expectNoExchange(t *testing.T, ruleID string) {
	t.Helper()
	if got := outcomes(e.historyFor(ruleID)); len(got) != 0 {
		t.Errorf("rule %s: exchanges %v reached the service; the pre-flight check should have stopped them", ruleID, got)
	}
}

// metadataHost points GCE_METADATA_HOST at the emulator's metadata server.
func (e *testEnv) metadataHost(t *testing.T) {
	t.Helper()
	u, err := url.Parse(e.server.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(identity.MetadataHostEnv, u.Host)
}

// executableScript writes a program that prints token in Google's
// executable-sourced credential format.
func executableScript(t *testing.T, token string) string {
	t.Helper()
	out, err := json.Marshal(map[string]any{
		"version": 1, "success": true, "token_type": identity.TokenTypeIDToken,
		"id_token": token, "expiration_time": time.Now().Add(time.Hour).Unix(),
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "print-token.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\ncat <<'EOF'\n"+string(out)+"\nEOF\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every identity source, each exchanged against the emulator: the tokens
// reach the echo provider, and the service saw only successful exchanges.
// Not parallel: GCE_METADATA_HOST and the executable safeguard are process
// environment.
func TestAccFederationToken_identitySources(t *testing.T) {
	env, rec := newRecordingTestEnv(t)
	env.metadataHost(t)
	t.Setenv(identity.AllowExecutablesEnv, "1")
	r := env.workloadRule(t, "sources", nil)

	workload := googleemu.WorkloadAccount
	literal := mustMint(t, env.google, workload, policy.DefaultAudience, true, nil)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(mustMint(t, env.google, workload, policy.DefaultAudience, true, nil)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := executableScript(t, mustMint(t, env.google, workload, policy.DefaultAudience, true, nil))

	body := tokenBlock("literal", r, fmt.Sprintf("identity_token = %q", literal)) +
		tokenBlock("file", r, fmt.Sprintf("identity_token_file = %q", file)) +
		tokenBlock("metadata", r, "gce_metadata = {}") +
		tokenBlock("impersonation", r, fmt.Sprintf("google_impersonation = { service_account = %q }", workload)) +
		tokenBlock("executable", r, fmt.Sprintf("executable = { command = [%q], timeout = \"10s\" }", script)) +
		echoOf("test", "literal", "file", "metadata", "impersonation", "executable")
	cfg := env.withGoogle(fmt.Sprintf("    iam_credentials_custom_endpoint = %q", env.server.URL+googleemu.IAMCredentialsPathPrefix), body)

	var checks []statecheck.StateCheck
	for _, n := range []string{"literal", "file", "metadata", "impersonation", "executable"} {
		checks = append(checks, tokenChecks("test", n, rec)...)
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps:                    []resource.TestStep{{Config: cfg, ConfigStateChecks: checks}},
	})
	env.expectHistory(t, r.rule.ID, emulator.AuthOutcomeSuccess)
	if n := len(env.historyFor(r.rule.ID)); n < 5 {
		t.Errorf("%d exchanges, want at least one per source (5)", n)
	}
}

// Denials the provider can explain because its admin credential reads the
// rule: the diagnostic names the matcher that fails, and the service's
// authentication history agrees. Tokens that cannot work never reach it.
func TestAccFederationToken_denials(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	workload := googleemu.WorkloadAccount
	ciRunner := googleemu.CIRunnerAccount
	mint := func(extra map[string]any) string {
		return mustMint(t, env.google, workload, policy.DefaultAudience, true, extra)
	}
	literal := func(tok string) string { return fmt.Sprintf("identity_token = %q", tok) }

	wrongSub := env.workloadRule(t, "wrong-sub", func(p *client.FederationRuleCreateParams) {
		p.Match.Claims["sub"] = googleemu.UniqueIDFor(ciRunner)
	})
	wrongEmail := env.workloadRule(t, "wrong-email", func(p *client.FederationRuleCreateParams) {
		p.Match.Claims["email"] = ciRunner
	})
	celFalse := env.workloadRule(t, "cel-false", func(p *client.FederationRuleCreateParams) {
		cond := `claims.email_verified == false`
		p.Match.Condition = &cond
	})
	production, staging := env.workspaceID(t, "production"), env.workspaceID(t, "staging")
	twoWorkspaces := env.workloadRule(t, "two-workspaces", func(p *client.FederationRuleCreateParams) {
		p.WorkspaceID = &production
	})
	if _, err := env.client.EnableFederationRuleWorkspace(bg, twoWorkspaces.rule.ID, staging); err != nil {
		t.Fatal(err)
	}
	archived := env.workloadRule(t, "archived", nil)
	if _, err := env.client.ArchiveFederationRule(bg, archived.rule.ID); err != nil {
		t.Fatal(err)
	}
	otherAudience := env.workloadRule(t, "other-audience", func(p *client.FederationRuleCreateParams) {
		aud := "https://api.anthropic.com/wif/other"
		p.Match.Audience = &aud
	})
	expiring := env.workloadRule(t, "expired", nil)
	noEmail := env.workloadRule(t, "no-email", nil)

	ci := env.ciIssuerRule(t, "subject-prefix", "repo:acme/*")
	replay := env.ciIssuerRule(t, "replay", "repo:acme/*")
	now := time.Now()
	ciToken := func(sub, jti string) string {
		return signCIToken(t, map[string]any{"iss": testCIIssuer, "sub": sub, "aud": policy.DefaultAudience,
			"iat": now.Unix(), "exp": now.Add(30 * time.Minute).Unix(), "jti": jti})
	}
	expired, err := env.google.SignClaims(map[string]any{"iss": policy.GoogleIssuer, "aud": policy.DefaultAudience, "sub": googleemu.UniqueIDFor(workload),
		"email": workload, "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}

	step := func(r tokenRule, source, want string) resource.TestStep {
		return resource.TestStep{
			Config:      env.config(tokenBlock("t", r, source) + echoOf("test", "t")),
			ExpectError: wrapTolerant(want),
		}
	}
	opaque := `(?s)Token exchange denied.*same answer to every denial by design.*`
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{
			step(wrongSub, literal(mint(nil)), opaque+`match\.claims\.sub pins "`+googleemu.UniqueIDFor(ciRunner)+`", but the token's sub is "`+googleemu.UniqueIDFor(workload)+`".*authentication history`),
			step(wrongEmail, literal(mint(nil)), opaque+`match\.claims\.email pins "`+regexp.QuoteMeta(ciRunner)+`", but the token's email is "`+regexp.QuoteMeta(workload)+`"`),
			step(celFalse, literal(mint(nil)), opaque+`match\.condition "claims\.email_verified == false" evaluates to false`),
			step(twoWorkspaces, literal(mint(nil)), opaque+`enabled in 2 workspaces \(`+production+", "+staging+`\), none of them the default workspace, so the exchange needs workspace_id`),
			step(archived, literal(mint(nil)), opaque+`The rule is archived`),
			step(ci, literal(ciToken("repo:other/app", "jti-1")), opaque+`match\.subject_prefix "repo:acme/\*" does not match the token's sub "repo:other/app"`),
			// The same literal token is opened at plan and again at apply:
			// the second exchange is a replay of its jti.
			step(replay, literal(ciToken("repo:acme/app", "jti-2")), opaque+`Replayed token.*literal identity_token`),
			// The rule is read only after the denial, to explain it.
			step(otherAudience, literal(mint(nil)), opaque+`match\.audience: the rule accepts tokens whose aud contains "https://api\.anthropic\.com/wif/other".*aud is \["https://api\.anthropic\.com"\]`),
			// Pre-flight: these never reach the service.
			step(expiring, literal(expired), `(?s)Identity token expired.*expired at`),
			step(noEmail, literal(mustMint(t, env.google, workload, policy.DefaultAudience, false, nil)), `(?s)Google identity token has no email claim.*format_full`),
		},
	})

	for _, c := range []struct {
		r    tokenRule
		want string
	}{
		{wrongSub, "denied:match_claims:sub"},
		{wrongEmail, "denied:match_claims:email"},
		{celFalse, "denied:match_condition"},
		{twoWorkspaces, "denied:workspace_id_required"},
		{archived, "denied:rule_archived"},
		{ci, "denied:match_subject_prefix"},
		{otherAudience, "denied:match_audience"},
	} {
		env.expectHistory(t, c.r.rule.ID, c.want)
	}
	if got := outcomes(env.historyFor(replay.rule.ID)); len(got) < 2 || got[0] != "success" || got[len(got)-1] != "denied:jti_reused" {
		t.Errorf("replayed literal token: exchanges %v, want a success then jti_reused", got)
	}
	for _, r := range []tokenRule{expiring, noEmail} {
		env.expectNoExchange(t, r.rule.ID)
	}
}

// Without an admin credential the rule cannot be read: the audience check
// cannot run before sending, the service denies the exchange, and the
// diagnostic lists the usual causes with what the token carries.
func TestAccFederationToken_denialWithoutAdminCredential(t *testing.T) {
	t.Parallel() // no admin credential in the environment either (TestMain unsets it)
	env := newTestEnv(t)
	r := env.workloadRule(t, "other-audience", func(p *client.FederationRuleCreateParams) {
		aud := "https://api.anthropic.com/wif/other"
		p.Match.Audience = &aud
	})
	tok := mustMint(t, env.google, googleemu.WorkloadAccount, policy.DefaultAudience, true, nil)
	want := `(?s)Token exchange denied.*same answer to every denial by design.*Token sent \(from literal identity token\): iss "https://accounts\.google\.com", sub "` +
		googleemu.UniqueIDFor(googleemu.WorkloadAccount) + `", email "` + regexp.QuoteMeta(googleemu.WorkloadAccount) + `", aud \["https://api\.anthropic\.com"\].*` +
		`rule could not be read.*1\. Issuer URL mismatch.*2\. Claims.*3\. Workspace.*authentication history.*Request ID: req_`
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			Config:      env.exchangeOnlyConfig(tokenBlock("t", r, fmt.Sprintf("identity_token = %q", tok)) + echoOf("test", "t")),
			ExpectError: wrapTolerant(want),
		}},
	})
	env.expectHistory(t, r.rule.ID, "denied:"+emulator.ReasonMatchAudience)
	// Admin endpoints stay closed, with the reason.
	if n := env.emu.RequestCount("GET /v1/organizations/federation_rules/{id}"); n != 0 {
		t.Errorf("the provider read the rule %d times without a credential", n)
	}
}

// The end-to-end path a user takes: the Google service account is looked
// up, the rule pins it, and in a later apply a workload's metadata-server
// token is exchanged and handed to another provider. The minted token works
// on the Messages API, and it appears nowhere Terraform writes: not in the
// state, not in the plan, not in a TF_LOG=trace log.
func TestAccFederationToken_endToEnd(t *testing.T) {
	env, rec := newRecordingTestEnv(t)
	env.metadataHost(t)
	logFile := filepath.Join(t.TempDir(), "terraform.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	t.Setenv("TF_LOG_PATH_MASK", "")
	production := env.workspaceID(t, "production")

	objects := fmt.Sprintf(`
data "anthropic_google_service_account" "workload" {
  account_id = %q
}

resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}

resource "anthropic_service_account" "agent" {
  name = "cloud-run-agent"
}

resource "anthropic_service_account_workspace" "agent" {
  service_account_id = anthropic_service_account.agent.id
  workspace_id       = %q
  workspace_role     = "workspace_developer"
}

resource "anthropic_federation_rule" "agent" {
  name      = "cloud-run-agent"
  issuer_id = anthropic_federation_issuer.google.id
  match = {
    audience = "https://api.anthropic.com"
    claims   = data.anthropic_google_service_account.workload.federation_claims
  }
  target = {
    service_account_id = anthropic_service_account.agent.id
  }
  oauth_scope   = "workspace:developer"
  workspace_ids = [%q]

  depends_on = [anthropic_service_account_workspace.agent]
}
`, googleemu.WorkloadAccount, production, production)
	token := `
ephemeral "anthropic_federation_token" "agent" {
  federation_rule_id = anthropic_federation_rule.agent.id
  service_account_id = anthropic_service_account.agent.id
  gce_metadata       = {}
}
` + echoOf("agent", "agent")
	var ruleID, saID string
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{
			{
				Config: env.withGoogle("", objects),
				Check: resource.ComposeAggregateTestCheckFunc(
					captureID("anthropic_federation_rule.agent", &ruleID),
					captureID("anthropic_service_account.agent", &saID),
				),
			},
			{
				Config:            env.withGoogle("", objects+token),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{noMintedTokenInPlan{rec}}},
				ConfigStateChecks: append(tokenChecks("agent", "agent", rec), noMintedTokenInState{rec}),
				Check: func(*terraform.State) error {
					return env.exchangeAndSayHello(ruleID, saID, production)
				},
			},
		},
	})

	env.expectHistory(t, ruleID, emulator.AuthOutcomeSuccess)
	for _, ev := range env.historyFor(ruleID) {
		if ev.WorkspaceID != production || ev.ServiceAccountID != saID {
			t.Errorf("exchange minted for %s in %s, want %s in %s", ev.ServiceAccountID, ev.WorkspaceID, saID, production)
		}
	}

	// No token in the log either.
	tokens := rec.all()
	if len(tokens) < 2 {
		t.Fatalf("only %d tokens minted", len(tokens))
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 || !bytes.Contains(log, []byte("anthropic_federation_token")) {
		t.Fatalf("the trace log (%d bytes) does not cover the ephemeral resource", len(log))
	}
	for _, tok := range tokens {
		if bytes.Contains(log, []byte(tok)) {
			t.Errorf("a minted access token appears in the TF_LOG=trace output")
		}
	}
	// Nor the identity tokens the metadata server handed out.
	if jwtInLog.Match(log) {
		t.Errorf("a JWT appears in the TF_LOG=trace output")
	}
}

var jwtInLog = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.`)

// exchangeAndSayHello exchanges a fresh metadata-server token through the
// rule, as the workload would, and calls the Messages API with it.
func (e *testEnv) exchangeAndSayHello(ruleID, saID, workspaceID string) error {
	metadata := identity.Metadata(identity.MetadataOptions{Audience: policy.DefaultAudience, FormatFull: true})
	assertion, err := metadata.Token(bg)
	if err != nil {
		return err
	}
	minted, err := e.client.ExchangeToken(bg, client.TokenExchangeParams{
		Assertion: assertion, FederationRuleID: ruleID, OrganizationID: e.emu.OrganizationID(), ServiceAccountID: saID,
	})
	if err != nil {
		return fmt.Errorf("exchange: %w (history %v)", err, outcomes(e.historyFor(ruleID)))
	}
	reply, err := messagesCall(e.server.URL, minted.AccessToken)
	if err != nil {
		return err
	}
	if !strings.Contains(reply, saID) || !strings.Contains(reply, workspaceID) {
		return fmt.Errorf("Messages API answered %q, want it to name %s in %s", reply, saID, workspaceID)
	}
	return nil
}

// noMintedTokenInPlan fails when a minted access token is in the plan JSON.
type noMintedTokenInPlan struct{ rec *mintedTokens }

func (c noMintedTokenInPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	b, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	resp.Error = findTokens(b, c.rec.all(), "plan")
}

// noMintedTokenInState fails when a minted access token is in the state JSON.
type noMintedTokenInState struct{ rec *mintedTokens }

func (c noMintedTokenInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	resp.Error = findTokens(b, c.rec.all(), "state")
}

// findTokens looks for the exact tokens the emulator minted. (A search for
// the sk-ant-oat01- prefix would also find the provider's own admin token,
// which the test configuration spells out and Terraform copies into the
// plan's configuration section.)
func findTokens(doc []byte, tokens []string, where string) error {
	if len(tokens) == 0 {
		return fmt.Errorf("no token was minted, so the %s check proves nothing", where)
	}
	for _, tok := range tokens {
		if bytes.Contains(doc, []byte(tok)) {
			return fmt.Errorf("a minted access token appears in the %s", where)
		}
	}
	return nil
}

// A CI-style issuer with inline keys: not a well-known shared issuer, so
// its rules may match on subject_prefix.
const testCIIssuer = "https://ci.example.com"

func (e *testEnv) ciIssuerRule(t *testing.T, name, subjectPrefix string) tokenRule {
	t.Helper()
	var is *client.FederationIssuer
	for got, err := range e.client.ListFederationIssuers(bg, client.ListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		if got.IssuerURL == testCIIssuer {
			is = &got
		}
	}
	if is == nil {
		var err error
		is, err = e.client.CreateFederationIssuer(bg, client.FederationIssuerCreateParams{
			Name: "ci", IssuerURL: testCIIssuer,
			JWKS: &client.JWKS{Type: client.JWKSTypeInline, Keys: []json.RawMessage{json.RawMessage(testPublicJWK(t, 0, "ci-key"))}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sa := e.serviceAccount(t, name)
	aud, ws := policy.DefaultAudience, "default"
	rule, err := e.client.CreateFederationRule(bg, client.FederationRuleCreateParams{
		Name: name, IssuerID: is.ID,
		Match:       client.RuleMatch{Audience: &aud, SubjectPrefix: &subjectPrefix},
		Target:      client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID},
		OAuthScope:  "workspace:developer",
		WorkspaceID: &ws,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tokenRule{issuer: is, sa: sa, rule: rule}
}

// newCountingTestEnv is newTestEnv whose listener counts every request it
// serves, to the Anthropic API and to the local Google alike.
func newCountingTestEnv(t *testing.T) (*testEnv, *atomic.Int64) {
	t.Helper()
	emu := emulator.New(emulator.Options{})
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{BaseURL: srv.URL, AuthToken: emu.AdminToken(), Version: "test", MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{emu: emu, google: emu.Google(), server: srv, client: c}, &n
}

// Tokens that cannot work are refused before any request: the provider
// reads no rule, fetches nothing from Google and sends no exchange.
func TestAccFederationToken_localMistakesMakeNoRequest(t *testing.T) {
	t.Parallel()
	env, requests := newCountingTestEnv(t)
	r := env.workloadRule(t, "local-mistakes", nil)
	now := time.Now()
	claims := map[string]any{"iss": policy.GoogleIssuer, "aud": policy.DefaultAudience, "sub": googleemu.UniqueIDFor(googleemu.WorkloadAccount),
		"email": googleemu.WorkloadAccount, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	hs256, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	symmetric, err := jwt.Signed(hs256).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	unsigned := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(payload) + "."
	claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	expired, err := env.google.SignClaims(claims)
	if err != nil {
		t.Fatal(err)
	}
	expiredFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(expiredFile, []byte(expired), 0o600); err != nil {
		t.Fatal(err)
	}
	literal := func(tok string) string { return fmt.Sprintf("identity_token = %q", tok) }
	cases := []struct{ source, want string }{
		{literal("not-a-jwt"), `(?s)Identity token cannot be exchanged.*not a JWT: 1 dot-separated part`},
		{literal(symmetric), `(?s)Identity token cannot be exchanged.*alg HS256 is symmetric`},
		{literal(unsigned), `(?s)Identity token cannot be exchanged.*alg none: the token is unsigned`},
		{literal(expired), `(?s)Identity token expired`},
		{fmt.Sprintf("identity_token_file = %q", expiredFile), `(?s)Identity token expired`},
		{fmt.Sprintf("identity_token_file = %q", filepath.Join(t.TempDir(), "missing")), `(?s)Unable to obtain an identity token.*does not exist`},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      env.config(tokenBlock("t", r, c.source) + echoOf("test", "t")),
			ExpectError: wrapTolerant(c.want),
		})
	}
	requests.Store(0)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps:                    steps,
	})
	if n := requests.Load(); n != 0 {
		t.Errorf("tokens that cannot work made %d requests (%d to the rule, %d exchanges)", n,
			env.emu.RequestCount(emulator.RouteGetRule), env.emu.RequestCount(emulator.RouteOAuthToken))
	}
	env.expectNoExchange(t, r.rule.ID)
}

// A successful exchange costs two requests, the identity token and the
// exchange, even with an admin credential that could read the rule: the
// rule and its issuer are read only to explain a denial.
// Not parallel: GCE_METADATA_HOST is process environment.
func TestAccFederationToken_successCostsTwoRequests(t *testing.T) {
	env, requests := newCountingTestEnv(t)
	env.metadataHost(t)
	r := env.workloadRule(t, "two-requests", nil)
	requests.Store(0)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps:                    []resource.TestStep{{Config: env.config(tokenBlock("t", r, "gce_metadata = {}") + echoOf("test", "t"))}},
	})
	env.expectHistory(t, r.rule.ID, emulator.AuthOutcomeSuccess)
	exchanges := int64(env.emu.RequestCount(emulator.RouteOAuthToken))
	if exchanges == 0 {
		t.Fatal("no exchange was made")
	}
	if n := requests.Load(); n != 2*exchanges {
		t.Errorf("%d requests for %d exchanges (%d rule reads, %d issuer reads), want 2 per exchange", n, exchanges,
			env.emu.RequestCount(emulator.RouteGetRule), env.emu.RequestCount(emulator.RouteGetIssuer))
	}
}
