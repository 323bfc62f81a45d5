package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/wiflabs/terraform-provider-anthropic/internal/auth"
	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// checkCreatedBy proves who the provider acted as.
func (e *testEnv) checkCreatedBy(id *string, actor string) resource.TestCheckFunc {
	return e.checkServiceAccountAPI(id, func(sa *client.ServiceAccount) error {
		if sa.CreatedByActorID != actor {
			return fmt.Errorf("created_by_actor_id = %s, want the admin service account %s", sa.CreatedByActorID, actor)
		}
		return nil
	})
}

// The provider authenticates only through its federation attribute: no
// static token anywhere, and the API records the admin service account as
// the actor.
func TestAccProviderFederation_keyless(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	admin := env.seedAdminRule(t)
	env.createsAsAdmin(t, admin, env.keylessProvider(t, admin)+serviceAccountConfig("made-keyless", ""))
}

// createsAsAdmin applies cfg, which creates anthropic_service_account.test,
// and checks the provider acted as admin's service account through an
// exchange with its rule.
func (e *testEnv) createsAsAdmin(t *testing.T, admin adminRule, cfg string) {
	t.Helper()
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				captureID("anthropic_service_account.test", &id),
				e.checkCreatedBy(&id, admin.sa.ID),
			),
		}},
	})
	e.expectHistory(t, admin.rule.ID, emulator.AuthOutcomeSuccess)
}

// The SDK environment variables alone (fourth in precedence) authenticate
// the same way. Not parallel: it sets process environment.
func TestAccProviderFederation_environment(t *testing.T) {
	env := newTestEnv(t)
	admin := env.seedAdminRule(t)
	t.Setenv(envAuthToken, "")
	t.Setenv(envFederationRuleID, admin.rule.ID)
	t.Setenv(envServiceAccountID, admin.sa.ID)
	t.Setenv(envWorkspaceID, "default")
	t.Setenv(envIdentityTokenFile, env.workloadTokenFile(t))
	t.Setenv(envIdentityToken, "")
	t.Setenv(envTFCWorkloadIdentityToken, "")
	cfg := fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  organization_id = %q
  max_retries     = 0
}
`, env.server.URL, env.emu.OrganizationID())
	env.createsAsAdmin(t, admin, cfg+serviceAccountConfig("made-by-environment", ""))
}

// Precedence: auth_token, then federation, then ANTHROPIC_AUTH_TOKEN, then
// the federation environment variables.
func TestResolveAdminCredential(t *testing.T) {
	const org = "9b0f2d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
	rule := "fdrl_01" + strings.Repeat("a", 24)
	sa := "svac_01" + strings.Repeat("b", 24)
	fedEnv := map[string]string{
		envFederationRuleID: rule, envServiceAccountID: sa, envIdentityTokenFile: "/run/token",
		envIdentityToken: "eyJ.literal", envTFCWorkloadIdentityToken: "eyJ.tfc",
	}
	with := func(base map[string]string, kv ...string) func(string) string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	block := federationBlock(t, providerFederationModel{
		RuleID: types.StringValue(rule), ServiceAccountID: types.StringValue(sa),
		identitySourceModel: identitySourceModel{IdentityTokenFile: types.StringValue("/block/token")},
	})
	sourceless := federationBlock(t, providerFederationModel{RuleID: types.StringValue(rule), ServiceAccountID: types.StringValue(sa)})
	g := newGoogleConfig(bg, google.Settings{}, "test", 0, nil)

	for _, tc := range []struct {
		name       string
		cfg        providerModel
		getenv     func(string) string
		org        string
		wantFrom   string
		wantToken  string
		wantSource string
		wantErr    string
	}{
		{name: "attribute beats everything", cfg: providerModel{AuthToken: types.StringValue("sk-ant-oat01-attr"), Federation: nullFederation(t)},
			getenv: with(fedEnv, envAuthToken, "sk-ant-oat01-env"), org: org, wantFrom: authFromAttribute, wantToken: "sk-ant-oat01-attr"},
		{name: "federation block beats the environment", cfg: providerModel{AuthToken: types.StringNull(), Federation: block},
			getenv: with(fedEnv, envAuthToken, "sk-ant-oat01-env"), org: org, wantFrom: authFromFederation, wantSource: `file "/block/token"`},
		{name: "a block without a source takes the environment's", cfg: providerModel{AuthToken: types.StringNull(), Federation: sourceless},
			getenv: with(fedEnv, envIdentityTokenFile, ""), org: org, wantFrom: authFromFederation, wantSource: "the " + envIdentityToken + " environment variable"},
		{name: "a block without any source", cfg: providerModel{AuthToken: types.StringNull(), Federation: sourceless},
			getenv: with(nil), org: org, wantErr: "Missing identity source"},
		{name: "a block needs the organization", cfg: providerModel{AuthToken: types.StringNull(), Federation: block},
			getenv: with(nil), org: "", wantErr: "Missing organization ID"},
		{name: "environment token beats environment federation", cfg: providerModel{AuthToken: types.StringNull(), Federation: nullFederation(t)},
			getenv: with(fedEnv, envAuthToken, "sk-ant-oat01-env"), org: org, wantFrom: authFromEnvToken, wantToken: "sk-ant-oat01-env"},
		{name: "environment federation prefers the token file", cfg: providerModel{AuthToken: types.StringNull(), Federation: nullFederation(t)},
			getenv: with(fedEnv), org: org, wantFrom: authFromEnvFederation, wantSource: `file "/run/token"`},
		{name: "then the literal token", cfg: providerModel{AuthToken: types.StringNull(), Federation: nullFederation(t)},
			getenv: with(fedEnv, envIdentityTokenFile, ""), org: org, wantFrom: authFromEnvFederation, wantSource: "the " + envIdentityToken + " environment variable"},
		{name: "then HCP Terraform's", cfg: providerModel{AuthToken: types.StringNull(), Federation: nullFederation(t)},
			getenv: with(fedEnv, envIdentityTokenFile, "", envIdentityToken, ""), org: org, wantFrom: authFromEnvFederation, wantSource: "the " + envTFCWorkloadIdentityToken + " environment variable"},
		{name: "environment federation needs the service account", cfg: providerModel{AuthToken: types.StringNull(), Federation: nullFederation(t)},
			getenv: with(fedEnv, envServiceAccountID, ""), org: org, wantErr: envServiceAccountID},
		{name: "environment federation needs a token", cfg: providerModel{AuthToken: types.StringNull(), Federation: nullFederation(t)},
			getenv: with(fedEnv, envIdentityTokenFile, "", envIdentityToken, "", envTFCWorkloadIdentityToken, ""), org: org, wantErr: "no identity token"},
		{name: "both kinds in the block", cfg: providerModel{AuthToken: types.StringValue("sk-ant-oat01-attr"), Federation: block},
			getenv: with(nil), org: org, wantErr: "Conflicting Anthropic credentials"},
		{name: "nothing, with an organization: exchanges only", cfg: providerModel{AuthToken: types.StringNull(), Federation: nullFederation(t)},
			getenv: with(nil), org: org, wantFrom: ""},
		{name: "nothing at all", cfg: providerModel{AuthToken: types.StringNull(), Federation: nullFederation(t)},
			getenv: with(nil), org: "", wantErr: "Missing Anthropic credential"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var diags diag.Diagnostics
			cred := resolveAdminCredential(bg, tc.cfg, g, tc.org, tc.getenv, &diags)
			if tc.wantErr != "" {
				if !diags.HasError() || !strings.Contains(diagText(diags), tc.wantErr) {
					t.Fatalf("diagnostics %q, want an error containing %q", diagText(diags), tc.wantErr)
				}
				return
			}
			if diags.HasError() {
				t.Fatalf("unexpected error: %s", diagText(diags))
			}
			if cred.from != tc.wantFrom || cred.token != tc.wantToken {
				t.Errorf("from %q token %q, want %q %q", cred.from, cred.token, tc.wantFrom, tc.wantToken)
			}
			switch {
			case tc.wantSource != "" && (cred.federation == nil || cred.federation.source.Describe() != tc.wantSource):
				t.Errorf("federation %+v, want source %s", cred.federation, tc.wantSource)
			case tc.wantSource != "" && (cred.federation.target.ruleID != rule || cred.federation.target.organizationID != org):
				t.Errorf("target %+v", cred.federation.target)
			case tc.wantFrom == "" && cred.missing == "":
				t.Errorf("no credential and no explanation")
			}
		})
	}
}

func diagText(d diag.Diagnostics) string {
	var b strings.Builder
	for _, e := range d {
		b.WriteString(e.Summary() + ": " + e.Detail() + "\n")
	}
	return b.String()
}

func federationObjectType(t *testing.T) types.ObjectType {
	t.Helper()
	ot, ok := federationProviderAttribute().GetType().(types.ObjectType)
	if !ok {
		t.Fatalf("federation attribute type is %T", federationProviderAttribute().GetType())
	}
	return ot
}

func nullFederation(t *testing.T) types.Object {
	return types.ObjectNull(federationObjectType(t).AttrTypes)
}

// federationBlock builds the federation attribute's value; unset members
// are null.
func federationBlock(t *testing.T, m providerFederationModel) types.Object {
	t.Helper()
	at := federationObjectType(t).AttrTypes
	nullString := func(v types.String) types.String {
		if v.IsNull() || v.ValueString() == "" && !v.IsUnknown() {
			return types.StringNull()
		}
		return v
	}
	nullObject := func(v types.Object, name string) types.Object {
		if v.IsNull() || len(v.Attributes()) == 0 && !v.IsUnknown() {
			ot, ok := at[name].(types.ObjectType)
			if !ok {
				t.Fatalf("%s is not an object", name)
			}
			return types.ObjectNull(ot.AttrTypes)
		}
		return v
	}
	m.RuleID, m.OrganizationID, m.ServiceAccountID, m.WorkspaceID = nullString(m.RuleID), nullString(m.OrganizationID), nullString(m.ServiceAccountID), nullString(m.WorkspaceID)
	m.IdentityToken, m.IdentityTokenFile = nullString(m.IdentityToken), nullString(m.IdentityTokenFile)
	m.GCEMetadata = nullObject(m.GCEMetadata, attrGCEMetadata)
	m.GoogleImpersonation = nullObject(m.GoogleImpersonation, attrGoogleImpersonation)
	m.Executable = nullObject(m.Executable, attrExecutable)
	obj, d := types.ObjectValueFrom(bg, at, m)
	if d.HasError() {
		t.Fatalf("building the federation value: %s", diagText(d))
	}
	return obj
}

// testIdentity mints a fresh, signed identity token on every call (like the
// metadata server), on the given clock.
type testIdentity struct {
	t         *testing.T
	now       func() time.Time
	renewable bool
	calls     atomic.Int32
	token     string // fixed token for a non-renewable source
}

func (s *testIdentity) Token(context.Context) (string, error) {
	s.calls.Add(1)
	if !s.renewable {
		return s.token, nil
	}
	now := s.now()
	return signCIToken(s.t, map[string]any{"iss": testCIIssuer, "sub": "repo:acme/app", "aud": policy.DefaultAudience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": fmt.Sprint(s.calls.Load())}), nil
}

func (s *testIdentity) Renewable() bool  { return s.renewable }
func (s *testIdentity) Describe() string { return "the test identity" }

// fakeExchange mints "tok-N" tokens and can be told to fail.
type fakeExchange struct {
	mu       sync.Mutex
	n        int
	lifetime int64
	fail     error
	// block, when set, holds every exchange until closed.
	block chan struct{}
}

func (f *fakeExchange) exchange(context.Context, client.TokenExchangeParams) (*client.TokenExchangeResponse, error) {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.fail != nil {
		return nil, f.fail
	}
	return &client.TokenExchangeResponse{AccessToken: fmt.Sprintf("tok-%d", f.n), TokenType: "Bearer", ExpiresIn: f.lifetime, Scope: policy.ScopeOrgAdmin}, nil
}

func (f *fakeExchange) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *fakeExchange) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func newTestTokenSource(t *testing.T, clock *testClock, src identity.Source, ex *fakeExchange) *auth.TokenSource {
	t.Helper()
	return newFederationTokenSource(&federationSettings{
		target: exchangeTarget{ruleID: "fdrl_01" + strings.Repeat("a", 24), organizationID: "9b0f2d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"},
		source: src,
	}, ex.exchange, clock.Now)
}

func mustToken(t *testing.T, s *auth.TokenSource) string {
	t.Helper()
	tok, err := s.Token(bg)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The admin token is exchanged once and cached; with 30-120 s left it is
// refreshed in the background while the old one is still handed out; under
// 30 s callers wait for a new one; failures are spaced out.
func TestFederationTokenSource_refreshTiming(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	ex := &fakeExchange{lifetime: 3600}
	s := newTestTokenSource(t, clock, &testIdentity{t: t, now: clock.Now, renewable: true}, ex)
	expect := func(want string, exchanges int) {
		t.Helper()
		if got := mustToken(t, s); got != want {
			t.Errorf("token %q, want %q", got, want)
		}
		s.Wait()
		if n := ex.count(); n != exchanges {
			t.Errorf("%d exchanges, want %d", n, exchanges)
		}
	}

	expect("tok-1", 1)
	clock.Advance(3400 * time.Second) // 200 s left: cached
	expect("tok-1", 1)
	clock.Advance(100 * time.Second) // 100 s left: old token now, new one in the background
	expect("tok-1", 2)
	expect("tok-2", 2)

	// A failing background refresh keeps the valid token and is retried
	// no sooner than auth.BackgroundRetryDelay later.
	ex.setFail(errors.New("exchange down"))
	clock.Advance(3500 * time.Second) // tok-2 has 100 s left
	expect("tok-2", 3)
	expect("tok-2", 3)
	clock.Advance(auth.BackgroundRetryDelay)
	expect("tok-2", 4)

	// Under 30 s left the caller waits, and gets the error if it fails;
	// callers right behind it get the same error without another exchange.
	clock.Advance(75 * time.Second) // 15 s left
	for range 2 {
		if _, err := s.Token(bg); err == nil || !strings.Contains(err.Error(), "exchange down") {
			t.Fatalf("err = %v", err)
		}
	}
	if n := ex.count(); n != 5 {
		t.Errorf("%d exchanges, want 5 (failures are held for %s)", n, auth.FailureHold)
	}
	ex.setFail(nil)
	clock.Advance(auth.FailureHold)
	expect("tok-6", 6)

	// Short-lived tokens refresh at half and a quarter of their lifetime.
	ex.lifetime = 60
	clock.Advance(3600 * time.Second)
	expect("tok-7", 7)
	clock.Advance(25 * time.Second) // 35 s left of 60: cached, no refresh
	expect("tok-7", 7)
	clock.Advance(10 * time.Second) // 25 s left: background refresh
	expect("tok-7", 8)
}

// Concurrent callers share one exchange.
func TestFederationTokenSource_singleExchange(t *testing.T) {
	clock := &testClock{now: time.Now()}
	ex := &fakeExchange{lifetime: 3600, block: make(chan struct{})}
	s := newTestTokenSource(t, clock, &testIdentity{t: t, now: clock.Now, renewable: true}, ex)
	var wg sync.WaitGroup
	tokens := make([]string, 16)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], _ = s.Token(bg)
		}()
	}
	close(ex.block)
	wg.Wait()
	for _, tok := range tokens {
		if tok != "tok-1" {
			t.Fatalf("tokens %v, want all tok-1", tokens)
		}
	}
	if n := ex.count(); n != 1 {
		t.Errorf("%d exchanges, want 1", n)
	}
}

// A literal identity token is sent once: the provider never re-sends it,
// and says why when its access token runs out.
func TestFederationTokenSource_literalIsNeverResent(t *testing.T) {
	clock := &testClock{now: time.Now()}
	literal := signCIToken(t, map[string]any{"iss": testCIIssuer, "sub": "repo:acme/app", "aud": policy.DefaultAudience,
		"iat": clock.Now().Unix(), "exp": clock.Now().Add(3 * time.Hour).Unix(), "jti": "once"})
	src := &testIdentity{t: t, token: literal}
	ex := &fakeExchange{lifetime: 3600}
	s := newTestTokenSource(t, clock, src, ex)
	if tok := mustToken(t, s); tok != "tok-1" {
		t.Fatalf("token %q", tok)
	}
	clock.Advance(3590 * time.Second) // 10 s left: nothing better exists
	if tok := mustToken(t, s); tok != "tok-1" {
		t.Fatalf("token %q", tok)
	}
	clock.Advance(time.Minute)
	_, err := s.Token(bg)
	if err == nil || !strings.Contains(err.Error(), "cannot be exchanged again") || strings.Contains(err.Error(), literal) {
		t.Errorf("err = %v", err)
	}
	if n := ex.count(); n != 1 || src.calls.Load() != 1 {
		t.Errorf("%d exchanges of %d assertions, want 1 of 1", n, src.calls.Load())
	}
	// A 401 does not make it re-send either.
	if _, ok := s.AfterUnauthorized(bg, "tok-1"); ok {
		t.Error("a literal token was re-exchanged after a 401")
	}

	// A literal token whose one exchange failed keeps reporting that failure.
	denied := &fakeExchange{lifetime: 3600, fail: errors.New("denied for a reason")}
	s = newTestTokenSource(t, clock, &testIdentity{t: t, token: literal}, denied)
	for range 2 {
		if _, err := s.Token(bg); err == nil || !strings.Contains(err.Error(), "denied for a reason") {
			t.Fatalf("err = %v", err)
		}
		clock.Advance(time.Minute)
	}
	if n := denied.count(); n != 1 {
		t.Errorf("%d exchanges of a literal token, want 1", n)
	}
}

// mintingSource mints a Google ID token of the workload on every call, on
// the emulator's clock: a metadata server whose tokens are always fresh.
type mintingSource struct {
	google *googleemu.Google
}

func (m mintingSource) Token(context.Context) (string, error) {
	return m.google.Mint(googleemu.WorkloadAccount, policy.DefaultAudience, true, nil)
}
func (mintingSource) Renewable() bool  { return true }
func (mintingSource) Describe() string { return "the test metadata server" }

// When the API refuses the cached admin token (here: the service's clock
// ran past its expiry while the provider's did not), the request is sent
// again once with a newly exchanged token, bodies included.
func TestFederationTokenSource_reauthenticatesOn401(t *testing.T) {
	start := time.Now()
	serviceClock := &testClock{now: start}
	providerClock := &testClock{now: start}
	env := newTestEnvWithClock(t, serviceClock)
	env.google = env.emu.Google()
	admin := env.seedAdminRule(t)
	// The service's clock runs hours ahead; the provider's only a minute,
	// so its cached token still looks fresh to it.
	skew := func() {
		serviceClock.Advance(2 * time.Hour)
		providerClock.Advance(time.Minute)
	}

	newClient := func(src identity.Source) *client.Client {
		c, err := newAPIClient(client.Options{BaseURL: env.server.URL, Version: "test", MaxRetries: 0}, &federationSettings{
			target: exchangeTarget{ruleID: admin.rule.ID, organizationID: env.emu.OrganizationID(), serviceAccountID: admin.sa.ID},
			source: src,
		}, providerClock.Now)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newClient(mintingSource{google: env.google})
	if _, err := c.GetServiceAccount(bg, admin.sa.ID); err != nil {
		t.Fatal(err)
	}
	skew()
	if _, err := c.GetServiceAccount(bg, admin.sa.ID); err != nil {
		t.Fatalf("after the token expired on the server: %v", err)
	}
	skew()
	created, err := c.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "after-a-401"})
	if err != nil {
		t.Fatalf("create after a 401: %v", err)
	}
	if created.CreatedByActorID != admin.sa.ID {
		t.Errorf("created by %s, want %s", created.CreatedByActorID, admin.sa.ID)
	}
	if got := outcomes(env.historyFor(admin.rule.ID)); len(got) != 3 {
		t.Errorf("exchanges %v, want 3 successes (one per expiry)", got)
	}

	// A token refused right after it was minted is not replaced again.
	serviceClock.Advance(2 * time.Hour)
	before := len(env.historyFor(admin.rule.ID))
	if _, err := c.GetServiceAccount(bg, admin.sa.ID); !client.IsUnauthorized(err) {
		t.Errorf("err = %v, want the 401", err)
	}
	if n := len(env.historyFor(admin.rule.ID)) - before; n != 0 {
		t.Errorf("%d exchanges for a token refused as soon as it was minted, want 0", n)
	}

	// A literal token is not re-sent: the 401 is returned as is.
	literal := mustMint(t, env.google, googleemu.WorkloadAccount, policy.DefaultAudience, true, nil)
	lc := newClient(identity.Literal(literal))
	if _, err := lc.GetServiceAccount(bg, admin.sa.ID); err != nil {
		t.Fatal(err)
	}
	before = len(env.historyFor(admin.rule.ID))
	skew()
	if _, err := lc.GetServiceAccount(bg, admin.sa.ID); !client.IsUnauthorized(err) {
		t.Errorf("err = %v, want the 401", err)
	}
	if n := len(env.historyFor(admin.rule.ID)) - before; n != 0 {
		t.Errorf("%d exchanges after the 401, want none", n)
	}
}
