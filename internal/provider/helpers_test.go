package provider

// Test fixtures shared by several test files: the in-process provider and
// emulators (testEnv), their seeding and API checks, ID patterns, keys,
// tokens and configuration builders.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// testAccProtoV6ProviderFactories reattach the provider in-process: no
// registry, no download.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"anthropic": ProtocolServer("test"),
}

// TestMain makes acceptance tests run whenever a terraform binary is there,
// and fail loudly (never skip silently, never download) when it is not.
// `go test -short` is the quick loop without terraform.
func TestMain(m *testing.M) {
	testingShort := false
	for _, a := range os.Args[1:] {
		if a == "-test.short" || a == "-test.short=true" {
			testingShort = true
		}
	}
	mustSetenv("CHECKPOINT_DISABLE", "1")
	// The variables the provider reads go before any test runs: a
	// developer's credentials never reach a test, and tests that need them
	// unset can run in parallel instead of clearing them with t.Setenv.
	// Tests that set them (the environment tests) are sequential, and run
	// before any parallel test resumes.
	for _, k := range providerEnvironment {
		if err := os.Unsetenv(k); err != nil {
			panic(err)
		}
	}
	if !testingShort && os.Getenv("TF_ACC") != "0" {
		if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
			tf, err := exec.LookPath("terraform")
			if err != nil {
				fmt.Fprintln(os.Stderr, "acceptance tests need a terraform >= 1.10 binary: put it on PATH or set TF_ACC_TERRAFORM_PATH "+
					"(run `go test -short` for the unit tests only). Nothing is downloaded.")
				os.Exit(1)
			}
			mustSetenv("TF_ACC_TERRAFORM_PATH", tf)
		}
		// A version pin would make terraform-plugin-testing download a release.
		if err := os.Unsetenv("TF_ACC_TERRAFORM_VERSION"); err != nil {
			panic(err)
		}
		mustSetenv("TF_ACC", "1")
	}
	os.Exit(m.Run())
}

// providerEnvironment is every variable the provider, and the Google and
// identity libraries it calls, read.
var providerEnvironment = []string{
	envBaseURL, envAuthToken, envOrganizationID, "ANTHROPIC_API_KEY", "ANTHROPIC_ADMIN_KEY",
	envFederationRuleID, envServiceAccountID, envWorkspaceID, envIdentityTokenFile, envIdentityToken, envTFCWorkloadIdentityToken,
	google.EnvCredentials, google.EnvAccessToken, google.EnvImpersonate, google.EnvIAMEndpoint, google.EnvIAMCredentialsEndpoint,
	google.EnvApplicationCredentials, "GOOGLE_CLOUD_PROJECT", identity.MetadataHostEnv, identity.AllowExecutablesEnv,
}

func mustSetenv(key, value string) {
	if err := os.Setenv(key, value); err != nil {
		panic(err)
	}
}

// testEnv is one emulator of the Anthropic API and of the Google pieces,
// served in-process on one loopback listener, and a client of it that acts
// behind Terraform's back.
type testEnv struct {
	emu    *emulator.Emulator
	google *googleemu.Google
	server *httptest.Server
	client *client.Client
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	// The emulator serves its own local Google on the same listener.
	emu := emulator.New(emulator.Options{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{BaseURL: srv.URL, AuthToken: emu.AdminToken(), Version: "test", MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{emu: emu, google: emu.Google(), server: srv, client: c}
}

// providerConfig is the provider block pointing at this test's emulator.
func (e *testEnv) providerConfig() string {
	return fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  auth_token      = %q
  organization_id = %q
  max_retries     = 2
}
`, e.server.URL, e.emu.AdminToken(), e.emu.OrganizationID())
}

func (e *testEnv) config(body string) string { return e.providerConfig() + body }

func (e *testEnv) workspaceID(t *testing.T, name string) string {
	t.Helper()
	ws, ok := e.emu.WorkspaceByName(name)
	if !ok {
		t.Fatalf("emulator has no workspace %q", name)
	}
	return ws.ID
}

var bg = context.Background()

var (
	fdisIDPattern   = regexp.MustCompile(`^fdis_01[0-9A-Za-z]{24}$`)
	timestampRegexp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

// testClock is the emulator's clock, moved by the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Test keys are generated once per test binary: RSA generation is the
// slow part of these tests.
var testKeys struct {
	once sync.Once
	rsa  []*rsa.PrivateKey
}

func testRSAKey(t *testing.T, i int) *rsa.PrivateKey {
	t.Helper()
	testKeys.once.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys.rsa = append(testKeys.rsa, k)
		}
	})
	return testKeys.rsa[i]
}

// testPublicJWK is the public JWK of test key i, as compact JSON.
func testPublicJWK(t *testing.T, i int, kid string) string {
	t.Helper()
	b, err := jose.JSONWebKey{Key: &testRSAKey(t, i).PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testCACertPEM is a self-signed CA certificate.
func testCACertPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test Private CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

const (
	testGoogleSub   = "112233445566778899001"
	testGoogleEmail = "agent@my-project.iam.gserviceaccount.com"
	testAudience    = "https://api.anthropic.com/wif/cloud-run"
)

var fdrlIDPattern = regexp.MustCompile(`^fdrl_01[0-9A-Za-z]{24}$`)

// ruleCfg renders an anthropic_federation_rule.test block; empty fields
// take working defaults.
type ruleCfg struct {
	name, issuerID, saID, scope string
	match                       string // HCL object
	workspaces                  string // HCL attribute line(s)
	extra                       string
}

const defaultWorkspaceData = `
data "anthropic_workspace" "default" {
  default = true
}
`

func (c ruleCfg) hcl() string {
	if c.name == "" {
		c.name = "cloud-run-agent"
	}
	if c.scope == "" {
		c.scope = "workspace:developer"
	}
	if c.match == "" {
		c.match = googleMatch(testGoogleEmail)
	}
	if c.workspaces == "" {
		c.workspaces = `workspace_ids = [` + defaultWorkspaceRef + `]`
	}
	// The default workspace is looked up, never hard-coded: its ID differs
	// per organization.
	lookup := ""
	if strings.Contains(c.workspaces+c.extra, defaultWorkspaceRef) {
		lookup = defaultWorkspaceData
	}
	return lookup + fmt.Sprintf(`
resource "anthropic_federation_rule" "test" {
  name      = %q
  issuer_id = %q
  match     = %s
  target = {
    service_account_id = %q
  }
  oauth_scope = %q
  %s
  %s
}
`, c.name, c.issuerID, c.match, c.saID, c.scope, c.workspaces, c.extra)
}

// ruleFixture is what a rule needs to exist: an issuer and a service account.
type ruleFixture struct {
	issuer *client.FederationIssuer
	sa     *client.ServiceAccount
}

func (e *testEnv) issuer(t *testing.T, name, url string) *client.FederationIssuer {
	t.Helper()
	is, err := e.client.CreateFederationIssuer(bg, client.FederationIssuerCreateParams{Name: name, IssuerURL: url})
	if err != nil {
		t.Fatalf("creating issuer %s: %v", name, err)
	}
	return is
}

func (e *testEnv) serviceAccount(t *testing.T, name string) *client.ServiceAccount {
	t.Helper()
	sa, err := e.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: name})
	if err != nil {
		t.Fatalf("creating service account %s: %v", name, err)
	}
	return sa
}

// consoleClient acts as an interactive Console session, which may do what
// the provider's OAuth credential may not (admin service accounts).
func (e *testEnv) consoleClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{BaseURL: e.server.URL, AuthToken: e.emu.ConsoleToken(), Version: "test", MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *testEnv) googleRuleFixture(t *testing.T) ruleFixture {
	t.Helper()
	return ruleFixture{
		issuer: e.issuer(t, "google", policy.GoogleIssuer),
		sa:     e.serviceAccount(t, "cloud-run-agent"),
	}
}

func (e *testEnv) googleRuleParams(f ruleFixture, name string) client.FederationRuleCreateParams {
	aud, ws := testAudience, e.emu.DefaultWorkspaceID()
	return client.FederationRuleCreateParams{
		Name:     name,
		IssuerID: f.issuer.ID,
		Match: client.RuleMatch{
			Audience: &aud,
			Claims:   map[string]string{"sub": testGoogleSub, "email": testGoogleEmail},
		},
		Target:      client.RuleTarget{Type: "service_account", ServiceAccountID: f.sa.ID},
		OAuthScope:  "workspace:developer",
		WorkspaceID: &ws,
	}
}

// checkRuleWorkspaces compares the rule's enablements on the API, as the
// sub-resource lists them, with want.
func (e *testEnv) checkRuleWorkspaces(id *string, all bool, want ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		rule, err := e.client.GetFederationRule(bg, *id)
		if err != nil {
			return err
		}
		if rule.AppliesToAllWorkspaces != all {
			return fmt.Errorf("API applies_to_all_workspaces = %v, want %v", rule.AppliesToAllWorkspaces, all)
		}
		list, err := e.client.ListFederationRuleWorkspaces(bg, *id)
		if err != nil {
			return err
		}
		var got []string
		for _, en := range list {
			got = append(got, en.WorkspaceID)
		}
		sort.Strings(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			return fmt.Errorf("API enablements = %v, want %v", got, want)
		}
		return nil
	}
}

// wrapTolerant compiles want so that its spaces also match the line breaks
// Terraform inserts when it wraps long diagnostics.
func wrapTolerant(want string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(want, " ", `\s+`))
}

// tokenRule is a Google issuer, a developer service account and a rule
// that accepts the emulator's workload account (the metadata server's
// default), pinned as a real Google rule is.
type tokenRule struct {
	issuer *client.FederationIssuer
	sa     *client.ServiceAccount
	rule   *client.FederationRule
}

func (e *testEnv) workloadRule(t *testing.T, name string, edit func(*client.FederationRuleCreateParams)) tokenRule {
	t.Helper()
	is := e.googleIssuerOnce(t)
	sa := e.serviceAccount(t, name)
	workload := googleemu.WorkloadAccount
	aud, ws := policy.DefaultAudience, "default"
	p := client.FederationRuleCreateParams{
		Name:        name,
		IssuerID:    is.ID,
		Match:       client.RuleMatch{Audience: &aud, Claims: map[string]string{"sub": googleemu.UniqueIDFor(workload), "email": workload}},
		Target:      client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID},
		OAuthScope:  "workspace:developer",
		WorkspaceID: &ws,
	}
	if edit != nil {
		edit(&p)
	}
	rule, err := e.client.CreateFederationRule(bg, p)
	if err != nil {
		t.Fatalf("creating rule %s: %v", name, err)
	}
	return tokenRule{issuer: is, sa: sa, rule: rule}
}

// historyFor returns the exchange attempts through rule, oldest first.
func (e *testEnv) historyFor(ruleID string) []emulator.AuthEvent {
	var out []emulator.AuthEvent
	for _, ev := range e.emu.AuthHistory() {
		if ev.RuleID == ruleID {
			out = append(out, ev)
		}
	}
	slices.Reverse(out)
	return out
}

func outcomes(events []emulator.AuthEvent) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Outcome
		if ev.Reason != "" {
			out[i] += ":" + ev.Reason
		}
	}
	return out
}

// expectHistory checks the rule saw at least one exchange, all with want
// ("success" or "denied:<reason>").
func (e *testEnv) expectHistory(t *testing.T, ruleID, want string) {
	t.Helper()
	got := outcomes(e.historyFor(ruleID))
	if len(got) == 0 {
		t.Errorf("rule %s: no exchange reached the service, want %s", ruleID, want)
		return
	}
	for _, o := range got {
		if o != want {
			t.Errorf("rule %s: exchanges %v, want all %s", ruleID, got, want)
			return
		}
	}
}

func mustMint(t *testing.T, g *googleemu.Google, account, audience string, email bool, extra map[string]any) string {
	t.Helper()
	tok, err := g.Mint(account, audience, email, extra)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func messagesCall(baseURL, token string) (string, error) {
	body := strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello"}]}`)
	req, err := http.NewRequestWithContext(bg, http.MethodPost, baseURL+"/v1/messages", body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("anthropic-version", client.APIVersion)
	req.Header.Set("anthropic-beta", "oauth-2025-04-20")
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("Messages API: HTTP %d", resp.StatusCode)
	}
	var out struct {
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Content) == 0 {
		return "", fmt.Errorf("Messages API: unreadable answer: %v", err)
	}
	return out.Content[0].Text, nil
}

func signCIToken(t *testing.T, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: testRSAKey(t, 0)},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "ci-key"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// withGoogle is the provider block with a google block that reaches this
// test's Google emulator as its default caller, then body. extra adds lines
// to the google block. impersonate_service_account = "" keeps a developer's
// GOOGLE_IMPERSONATE_SERVICE_ACCOUNT out of the tests.
func (e *testEnv) withGoogle(extra, body string) string {
	return e.withGoogleToken(e.google.AccessToken(), e.server.URL+googleemu.IAMPathPrefix, extra, body)
}

func googleSADataSource(name, accountID, project string) string {
	p := ""
	if project != "" {
		p = fmt.Sprintf("  project    = %q\n", project)
	}
	return fmt.Sprintf(`
data "anthropic_google_service_account" %q {
  account_id = %q
%s}
`, name, accountID, p)
}

func newGoogleOnlyEnv(t *testing.T) *googleOnlyEnv {
	t.Helper()
	g := googleemu.New(googleemu.Options{})
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return &googleOnlyEnv{google: g, server: srv}
}

var svacIDPattern = regexp.MustCompile(`^svac_01[0-9A-Za-z]{24}$`)

func serviceAccountConfig(name, extra string) string {
	return fmt.Sprintf(`
resource "anthropic_service_account" "test" {
  name = %q
%s
}
`, name, extra)
}

// captureID stores the resource's id for later steps.
func captureID(addr string, dst *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		*dst = rs.Primary.ID
		return nil
	}
}

func sameID(addr string, want *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		if rs.Primary.ID != *want {
			return fmt.Errorf("%s was replaced: id %s, want %s", addr, rs.Primary.ID, *want)
		}
		return nil
	}
}

// requireAcc skips outside acceptance runs (make test sets TF_ACC=1).
func requireAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
}

// importUnmanagedSteps imports the object id, made behind Terraform's back,
// into addr and checks the imported attributes with check; the
// configuration then plans nothing; an import by badID is refused with
// wantErr.
func importUnmanagedSteps(cfg, addr, id string, check func(attrs map[string]string) error, badID string, wantErr *regexp.Regexp) []resource.TestStep {
	return []resource.TestStep{
		{
			Config:             cfg,
			ResourceName:       addr,
			ImportState:        true,
			ImportStateId:      id,
			ImportStatePersist: true,
			ImportStateCheck: func(states []*terraform.InstanceState) error {
				if len(states) != 1 {
					return fmt.Errorf("imported %d objects: %+v", len(states), states)
				}
				return check(states[0].Attributes)
			},
		},
		emptyPlanStep(cfg),
		{
			Config:        cfg,
			ResourceName:  addr,
			ImportState:   true,
			ImportStateId: badID,
			ExpectError:   wantErr,
		},
	}
}

// seedArchived makes total objects with create (given their index) and
// archives the first archived of them with archive, for the list data
// sources; it returns the first archived object's id.
func seedArchived(t *testing.T, total, archived int, create func(i int) (string, error), archive func(id string) error) string {
	t.Helper()
	var firstArchivedID string
	for i := range total {
		id, err := create(i)
		if err != nil {
			t.Fatal(err)
		}
		if i < archived {
			if err := archive(id); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				firstArchivedID = id
			}
		}
	}
	return firstArchivedID
}

// adminRule is what an organization sets up once in the Console for
// keyless Terraform: an admin service account and an org:admin rule that
// accepts the workload's Google identity.
type adminRule struct {
	sa   *client.ServiceAccount
	rule *client.FederationRule
}

func (e *testEnv) seedAdminRule(t *testing.T) adminRule {
	t.Helper()
	console := e.consoleClient(t)
	sa, err := console.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "terraform-admin", OrganizationRole: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	is := e.googleIssuerOnce(t)
	workload := googleemu.WorkloadAccount
	aud, ws := policy.DefaultAudience, e.emu.DefaultWorkspaceID()
	rule, err := console.CreateFederationRule(bg, client.FederationRuleCreateParams{
		Name:        "terraform-admin",
		IssuerID:    is.ID,
		Match:       client.RuleMatch{Audience: &aud, Claims: map[string]string{"sub": googleemu.UniqueIDFor(workload), "email": workload}},
		Target:      client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID},
		OAuthScope:  policy.ScopeOrgAdmin,
		WorkspaceID: &ws,
	})
	if err != nil {
		t.Fatal(err)
	}
	return adminRule{sa: sa, rule: rule}
}

// workloadTokenFile writes a Google ID token of the workload account, as a
// platform would mount it.
func (e *testEnv) workloadTokenFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(mustMint(t, e.emu.Google(), googleemu.WorkloadAccount, policy.DefaultAudience, true, nil)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// keylessProvider is the provider block that authenticates only through
// its federation attribute, with admin's rule and the workload's token
// file: no static token anywhere.
func (e *testEnv) keylessProvider(t *testing.T, admin adminRule) string {
	t.Helper()
	return fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  organization_id = %q
  max_retries     = 0
  federation = {
    rule_id             = %q
    service_account_id  = %q
    identity_token_file = %q
  }
}
`, e.server.URL, e.emu.OrganizationID(), admin.rule.ID, admin.sa.ID, e.workloadTokenFile(t))
}

// expectChangedAttributes asserts which top-level attributes a plan changes
// to known values: drift repair and updates should touch exactly the ones
// that differ. Attributes planned unknown (computed, known after apply,
// such as updated_at) are not counted.
func expectChangedAttributes(addr string, want ...string) plancheck.PlanCheck {
	return changedAttributesCheck{addr: addr, want: want}
}

type changedAttributesCheck struct {
	addr string
	want []string
}

func (c changedAttributesCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	before, after, unknown, err := plannedChange(req, c.addr)
	if err != nil {
		resp.Error = err
		return
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var got []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if u, ok := unknown[k].(bool); ok && u {
			continue
		}
		if !reflect.DeepEqual(before[k], after[k]) {
			got = append(got, k)
		}
	}
	if want := slices.Sorted(slices.Values(c.want)); !slices.Equal(got, want) {
		resp.Error = fmt.Errorf("%s: plan changes %v, want exactly %v", c.addr, got, want)
	}
}

// plannedChange is the top-level attributes of addr in the plan, before and
// after, and which of them are unknown after.
func plannedChange(req plancheck.CheckPlanRequest, addr string) (before, after, unknown map[string]any, err error) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == addr {
			before, _ = rc.Change.Before.(map[string]any)
			after, _ = rc.Change.After.(map[string]any)
			unknown, _ = rc.Change.AfterUnknown.(map[string]any)
			return before, after, unknown, nil
		}
	}
	return nil, nil, nil, fmt.Errorf("%s: not in the plan", addr)
}

// checkArchived proves destroy archives (the API never deletes): every
// object the test made, read with get, is archived at the end. Empty ids
// (objects never made) are skipped.
func checkArchived[T interface{ IsArchived() bool }](what string, get func(context.Context, string) (T, error), ids ...*string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var live []string
		for _, id := range ids {
			if *id == "" {
				continue
			}
			obj, err := get(bg, *id)
			if err != nil {
				return err
			}
			if !obj.IsArchived() {
				live = append(live, *id)
			}
		}
		if len(live) > 0 {
			return fmt.Errorf("%s still live after destroy: %s", what, strings.Join(live, ", "))
		}
		return nil
	}
}

func (e *testEnv) checkIssuersArchived(ids ...*string) resource.TestCheckFunc {
	return checkArchived("federation issuers", e.client.GetFederationIssuer, ids...)
}

func (e *testEnv) checkRulesArchived(ids ...*string) resource.TestCheckFunc {
	return checkArchived("federation rules", e.client.GetFederationRule, ids...)
}

func (e *testEnv) checkServiceAccountsArchived(ids ...*string) resource.TestCheckFunc {
	return checkArchived("service accounts", e.client.GetServiceAccount, ids...)
}

// emptyPlanStep plans cfg, already applied, and expects nothing to do.
func emptyPlanStep(cfg string) resource.TestStep {
	return resource.TestStep{
		Config:           cfg,
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
	}
}

// checkAPI reads the object *id from the API with get (behind Terraform's
// back) and hands it to check.
func checkAPI[T any](get func(context.Context, string) (T, error), id *string, check func(T) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		obj, err := get(bg, *id)
		if err != nil {
			return err
		}
		return check(obj)
	}
}

func (e *testEnv) checkIssuerAPI(id *string, check func(*client.FederationIssuer) error) resource.TestCheckFunc {
	return checkAPI(e.client.GetFederationIssuer, id, check)
}

func (e *testEnv) checkRuleAPI(id *string, check func(*client.FederationRule) error) resource.TestCheckFunc {
	return checkAPI(e.client.GetFederationRule, id, check)
}

func (e *testEnv) checkServiceAccountAPI(id *string, check func(*client.ServiceAccount) error) resource.TestCheckFunc {
	return checkAPI(e.client.GetServiceAccount, id, check)
}
