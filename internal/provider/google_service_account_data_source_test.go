package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
)

func (e *testEnv) withGoogleToken(token, iamEndpoint, extra, body string) string {
	return fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  auth_token      = %q
  organization_id = %q
  max_retries     = 2
  google = {
    access_token                = %q
    iam_custom_endpoint         = %q
    impersonate_service_account = ""
%s
  }
}
`, e.server.URL, e.emu.AdminToken(), e.emu.OrganizationID(), token, iamEndpoint, extra) + body
}

// metadataSub is the sub of an ID token the fake metadata server mints for
// its default account: what a workload's token will carry.
func metadataSub(t *testing.T, env *testEnv) (sub, email string) {
	t.Helper()
	tok, err := identity.Metadata(identity.MetadataOptions{Audience: "https://api.anthropic.com", FormatFull: true, Host: env.server.URL}).Token(bg)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := identity.Inspect(tok)
	if err != nil {
		t.Fatal(err)
	}
	return claims.Subject, claims.Email
}

func TestAccGoogleServiceAccountDataSource_lookups(t *testing.T) {
	env := newTestEnv(t)
	workload := env.google.DefaultServiceAccount()
	sub, tokenEmail := metadataSub(t, env)
	if sub != googleemu.UniqueIDFor(workload.Email) || tokenEmail != workload.Email {
		t.Fatalf("metadata token sub/email = %s/%s, emulator says %s/%s", sub, tokenEmail, googleemu.UniqueIDFor(workload.Email), workload.Email)
	}
	ciRunnerID := googleemu.UniqueIDFor(googleemu.CIRunnerAccount)
	const ds = "data.anthropic_google_service_account."

	expectAccount := func(addr, email, uniqueID string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue(ds+addr, tfjsonpath.New("email"), knownvalue.StringExact(email)),
			statecheck.ExpectKnownValue(ds+addr, tfjsonpath.New("unique_id"), knownvalue.StringExact(uniqueID)),
			statecheck.ExpectKnownValue(ds+addr, tfjsonpath.New("name"), knownvalue.StringExact("projects/"+googleemu.DemoProject+"/serviceAccounts/"+email)),
			statecheck.ExpectKnownValue(ds+addr, tfjsonpath.New("federation_claims"), knownvalue.MapExact(map[string]knownvalue.Check{
				"sub":   knownvalue.StringExact(uniqueID),
				"email": knownvalue.StringExact(email),
			})),
		}
	}
	checks := []statecheck.StateCheck{
		// The unique id is the sub of the workload's own tokens.
		statecheck.ExpectKnownValue(ds+"by_email", tfjsonpath.New("unique_id"), knownvalue.StringExact(sub)),
		statecheck.ExpectKnownValue(ds+"by_email", tfjsonpath.New("unique_id"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{21}$`))),
		statecheck.ExpectKnownValue(ds+"by_email", tfjsonpath.New("display_name"), knownvalue.StringExact(workload.DisplayName)),
		statecheck.ExpectKnownValue(ds+"by_email", tfjsonpath.New("project_id"), knownvalue.StringExact(googleemu.DemoProject)),
		statecheck.ExpectKnownValue(ds+"by_email", tfjsonpath.New("project"), knownvalue.Null()),
		statecheck.ExpectKnownValue(ds+"by_email", tfjsonpath.New("disabled"), knownvalue.Bool(false)),
		statecheck.ExpectKnownValue(ds+"by_email", tfjsonpath.New("oauth2_client_id"), knownvalue.StringExact(workload.OAuth2ClientID)),
		statecheck.ExpectKnownValue(ds+"by_email", tfjsonpath.New("member"), knownvalue.StringExact("serviceAccount:"+workload.Email)),
		statecheck.ExpectKnownValue(ds+"by_short_id", tfjsonpath.New("project"), knownvalue.StringExact(googleemu.DemoProject)),
	}
	checks = append(checks, expectAccount("by_email", workload.Email, sub)...)
	checks = append(checks, expectAccount("by_name", googleemu.CIRunnerAccount, ciRunnerID)...)
	checks = append(checks, expectAccount("by_any_project_name", googleemu.CIRunnerAccount, ciRunnerID)...)
	checks = append(checks, expectAccount("by_short_id", googleemu.CIRunnerAccount, ciRunnerID)...)
	checks = append(checks, expectAccount("by_unique_id", workload.Email, sub)...)
	checks = append(checks, expectAccount("by_email_in_project", workload.Email, sub)...)

	cfg := env.withGoogle("", googleSADataSource("by_email", workload.Email, "")+
		googleSADataSource("by_name", "projects/"+googleemu.DemoProject+"/serviceAccounts/"+googleemu.CIRunnerAccount, "")+
		googleSADataSource("by_any_project_name", "projects/-/serviceAccounts/"+googleemu.CIRunnerAccount, "")+
		googleSADataSource("by_short_id", "ci-runner", googleemu.DemoProject)+
		googleSADataSource("by_unique_id", sub, "")+
		googleSADataSource("by_email_in_project", workload.Email, googleemu.DemoProject))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: checks},
			emptyPlanStep(cfg),
		},
	})
}

func TestAccGoogleServiceAccountDataSource_errors(t *testing.T) {
	env := newTestEnv(t)
	step := func(cfg, want string) resource.TestStep {
		return resource.TestStep{Config: cfg, ExpectError: regexp.MustCompile(want)}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(env.withGoogle("", googleSADataSource("x", "nobody@"+googleemu.DemoProject+".iam.gserviceaccount.com", "")),
				`(?s)Google service account not found.*nobody@wif-demo-project\.iam\.gserviceaccount\.com.*project`),
			step(env.withGoogle("", googleSADataSource("x", "nobody", googleemu.DemoProject)),
				`(?s)Google service account not found.*projects/wif-demo-project/serviceAccounts/nobody@wif-demo-project`),
			// The default caller may read the demo project only.
			step(env.withGoogle("", googleSADataSource("x", googleemu.SecretAccount, "")),
				`(?s)Permission denied reading Google service account.*iam\.serviceAccounts\.get.*roles/iam\.serviceAccountViewer`),
			step(env.withGoogle("", googleSADataSource("x", "secret", googleemu.ForbiddenProject)),
				`(?s)Permission denied.*roles/iam\.serviceAccountViewer`),
			step(env.withGoogleToken("ya29.not-a-live-token", env.server.URL+googleemu.IAMPathPrefix, "", googleSADataSource("x", googleemu.WorkloadAccount, "")),
				`(?s)Google credentials rejected.*google\.access_token`),
		},
	})
}

// A disabled account is returned, with a warning, so that plans still work
// while someone re-enables it.
func TestAccGoogleServiceAccountDataSource_disabled(t *testing.T) {
	env := newTestEnv(t)
	const addr = "data.anthropic_google_service_account.x"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.withGoogle("", googleSADataSource("x", googleemu.DisabledAccount, "")),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("disabled"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("unique_id"), knownvalue.StringExact(googleemu.UniqueIDFor(googleemu.DisabledAccount))),
			},
		}},
	})
}

// readGoogleServiceAccount runs the data source's Read directly, for the
// diagnostics terraform-plugin-testing does not expose (warnings).
func readGoogleServiceAccount(t *testing.T, pd *providerData, accountID string) (googleServiceAccountModel, diag.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	d := &googleServiceAccountDataSource{}
	d.data = pd
	var sresp datasource.SchemaResponse
	d.Schema(ctx, datasource.SchemaRequest{}, &sresp)
	typ, ok := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("data source schema is not an object")
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	vals["account_id"] = tftypes.NewValue(tftypes.String, accountID)
	req := datasource.ReadRequest{Config: tfsdk.Config{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, vals)}}
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, nil)}}
	d.Read(ctx, req, &resp)
	var m googleServiceAccountModel
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Get(ctx, &m)...)
	}
	return m, resp.Diagnostics
}

func TestGoogleServiceAccountDataSource_disabledWarning(t *testing.T) {
	env := newGoogleOnlyEnv(t)
	pd := &providerData{google: newGoogleConfig(google.Settings{
		AccessToken: env.google.AccessToken(), AccessTokenFrom: "google.access_token",
		IAMEndpoint: env.server.URL + googleemu.IAMPathPrefix,
	}, "test", 0, nil)}

	m, diags := readGoogleServiceAccount(t, pd, googleemu.DisabledAccount)
	if diags.HasError() || len(diags.Warnings()) != 1 {
		t.Fatalf("diagnostics = %v, want exactly one warning", diags)
	}
	w := diags.Warnings()[0]
	if w.Summary() != "Google service account is disabled" || !strings.Contains(w.Detail(), googleemu.DisabledAccount) ||
		!strings.Contains(w.Detail(), "refused") || !strings.Contains(w.Detail(), "gcloud iam service-accounts enable") {
		t.Errorf("warning = %q: %q", w.Summary(), w.Detail())
	}
	if !m.Disabled.ValueBool() || m.Email.ValueString() != googleemu.DisabledAccount {
		t.Errorf("model = %+v", m)
	}

	_, diags = readGoogleServiceAccount(t, pd, googleemu.WorkloadAccount)
	if len(diags) != 0 {
		t.Errorf("enabled account: diagnostics = %v", diags)
	}
	_, diags = readGoogleServiceAccount(t, &providerData{}, googleemu.WorkloadAccount)
	if !diags.HasError() || diags.Errors()[0].Summary() != "Provider not configured" {
		t.Errorf("unconfigured provider: diagnostics = %v", diags)
	}
}

// countingGoogle serves the Google emulator on its own listener and counts
// requests, for tests that must prove nothing was sent.
func countingGoogle(t *testing.T, g *googleemu.Google) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	h := g.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// Bad input is refused at plan time, naming the attribute, before any request.
func TestAccGoogleServiceAccountDataSource_invalidInput(t *testing.T) {
	env := newTestEnv(t)
	google, requests := countingGoogle(t, env.google)
	cfg := func(body string) string {
		return env.withGoogleToken(env.google.AccessToken(), google.URL+googleemu.IAMPathPrefix, "", body)
	}
	withBlock := func(block string) string {
		return fmt.Sprintf(`
provider "anthropic" {
  base_url   = %q
  auth_token = %q
  google = {
%s
  }
}
`, env.server.URL, env.emu.AdminToken(), block) + googleSADataSource("x", googleemu.WorkloadAccount, "")
	}
	steps := []resource.TestStep{
		{Config: cfg(googleSADataSource("x", "ci-runner", "")), ExpectError: regexp.MustCompile(`(?s)Missing project for a short\s+account_id.*set\s+project`)},
		{Config: cfg(googleSADataSource("x", "ci-runner@", "")), ExpectError: regexp.MustCompile(`(?s)Invalid Google service account email.*account_id`)},
		{Config: cfg(googleSADataSource("x", "a b@example.iam.gserviceaccount.com", "")), ExpectError: regexp.MustCompile(`Invalid Google service account email`)},
		{Config: cfg(googleSADataSource("x", "ci", googleemu.DemoProject)), ExpectError: regexp.MustCompile(`(?s)account_id.*"ci" is neither an email`)},
		{Config: cfg(googleSADataSource("x", "projects/p/serviceAccounts", "")), ExpectError: regexp.MustCompile(`(?s)Invalid Google service account name.*projects/PROJECT/serviceAccounts/EMAIL`)},
		{Config: cfg(googleSADataSource("x", "projects/wif-demo-project/serviceAccounts/not-an-email", "")), ExpectError: regexp.MustCompile(`Invalid Google service account name`)},
		{
			Config:      cfg(googleSADataSource("x", "projects/wif-demo-project/serviceAccounts/"+googleemu.WorkloadAccount, "other-project")),
			ExpectError: regexp.MustCompile(`(?s)Conflicting Google project.*remove\s+project`),
		},
		{Config: cfg(googleSADataSource("x", googleemu.WorkloadAccount, "Not_A_Project")), ExpectError: regexp.MustCompile(`(?s)Invalid Google project ID.*project`)},
		// The provider's google block.
		{Config: withBlock(`credentials = "/tmp/key.json"` + "\n" + `access_token = "ya29.x"`), ExpectError: regexp.MustCompile(`(?s)google\.access_token.*cannot be\s+specified`)},
		{Config: withBlock(`iam_custom_endpoint = "http://iam.example.com/v1/"`), ExpectError: regexp.MustCompile(`(?s)iam_custom_endpoint.*plain http`)},
		{Config: withBlock(`iam_credentials_custom_endpoint = "iamcredentials.googleapis.com"`), ExpectError: regexp.MustCompile(`(?s)iam_credentials_custom_endpoint.*absolute`)},
		{Config: withBlock(`impersonate_service_account = "terraform"`), ExpectError: regexp.MustCompile(`(?s)impersonate_service_account.*not a service\s+account\s+email`)},
		{
			Config:      withBlock(`impersonate_service_account_delegates = ["a@p-123456.iam.gserviceaccount.com"]`),
			ExpectError: regexp.MustCompile(`(?s)google\.impersonate_service_account.*must be specified`),
		},
	}
	for i := range steps {
		steps[i].PlanOnly = true
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
	if n := requests.Load(); n != 0 {
		t.Errorf("invalid input reached Google: %d requests", n)
	}
	if n := env.emu.TotalRequests(); n != 0 {
		t.Errorf("invalid input reached the Anthropic API: %d requests", n)
	}
}

// Configurations that never use Google need no Google Credentials: with
// Application Default Credentials pointing at a file that does not exist,
// they plan and apply; the first Google lookup then fails naming the file.
func TestAccGoogleConfig_lazyCredentials(t *testing.T) {
	env := newTestEnv(t)
	missing := filepath.Join(t.TempDir(), "does-not-exist.json")
	clearGoogleEnv(t)
	t.Setenv(google.EnvApplicationCredentials, missing)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(serviceAccountConfig("no-google-needed", "")),
				Check:  resource.TestCheckResourceAttr("anthropic_service_account.test", "name", "no-google-needed"),
			},
			{
				Config: env.config(serviceAccountConfig("no-google-needed", "") + googleSADataSource("x", googleemu.WorkloadAccount, "")),
				ExpectError: regexp.MustCompile(`(?s)Google credentials unavailable.*Application Default\s+Credentials.*` +
					regexp.QuoteMeta(google.EnvApplicationCredentials)),
			},
		},
	})
}

// The google block can come entirely from the environment, and the block
// beats the environment.
func TestAccGoogleConfig_environment(t *testing.T) {
	env := newTestEnv(t)
	clearGoogleEnv(t)
	t.Setenv(google.EnvAccessToken, env.google.AccessToken())
	// The documented form with v1 is accepted: the client adds v1 itself.
	t.Setenv(google.EnvIAMEndpoint, env.server.URL+googleemu.IAMPathPrefix+"v1")
	const addr = "data.anthropic_google_service_account.x"

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(googleSADataSource("x", googleemu.CIRunnerAccount, "")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("unique_id"), knownvalue.StringExact(googleemu.UniqueIDFor(googleemu.CIRunnerAccount))),
				},
			},
			{
				Config: env.providerConfig() + `
provider "anthropic" {
  alias = "stale"
  base_url   = "` + env.server.URL + `"
  auth_token = "` + env.emu.AdminToken() + `"
  google = {
    access_token = "ya29.stale"
  }
}
data "anthropic_google_service_account" "x" {
  provider   = anthropic.stale
  account_id = "` + googleemu.CIRunnerAccount + `"
}
`,
				ExpectError: regexp.MustCompile(`(?s)Google credentials rejected.*google\.access_token`),
			},
		},
	})
}

func clearGoogleEnv(t *testing.T) {
	for _, v := range []string{google.EnvCredentials, google.EnvAccessToken, google.EnvImpersonate, google.EnvIAMEndpoint,
		google.EnvIAMCredentialsEndpoint, google.EnvApplicationCredentials, "GOOGLE_CLOUD_PROJECT", identity.MetadataHostEnv} {
		t.Setenv(v, "")
	}
}

// With impersonate_service_account, IAM is called as the impersonated
// account: the default caller cannot read the forbidden project, and
// neither can the workload account, while the workload account can read
// the demo project.
func TestAccGoogleConfig_impersonation(t *testing.T) {
	env := newTestEnv(t)
	fake := newFakeAccessTokenImpersonation(t, env.google)
	impersonating := fmt.Sprintf("    iam_credentials_custom_endpoint = %q\n", fake.server.URL+"/v1/")
	cfg := func(body string) string {
		return strings.Replace(env.withGoogle(impersonating, body), `impersonate_service_account = ""`,
			fmt.Sprintf("impersonate_service_account = %q", googleemu.WorkloadAccount), 1)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg(googleSADataSource("x", googleemu.CIRunnerAccount, "")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.anthropic_google_service_account.x", tfjsonpath.New("email"), knownvalue.StringExact(googleemu.CIRunnerAccount)),
				},
				Check: func(*terraform.State) error {
					if fake.callCount() == 0 {
						return fmt.Errorf("generateAccessToken was never called: the lookup did not impersonate")
					}
					return nil
				},
			},
			{
				Config:      cfg(googleSADataSource("x", googleemu.SecretAccount, "")),
				ExpectError: regexp.MustCompile(`(?s)Permission denied.*impersonating\s+workload@wif-demo-project`),
			},
		},
	})
}

// The point of the data source: its federation_claims pin a Google service
// account in a federation rule, and the rule applies cleanly.
func TestAccGoogleServiceAccountDataSource_federationRule(t *testing.T) {
	env := newTestEnv(t)
	sub, email := metadataSub(t, env)
	const rule = "anthropic_federation_rule.x"
	cfg := env.withGoogle("", googleSADataSource("x", email, "")+`
resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}

resource "anthropic_service_account" "agent" {
  name = "cloud-run-agent"
}

resource "anthropic_federation_rule" "x" {
  name      = "cloud-run-agent"
  issuer_id = anthropic_federation_issuer.google.id
  match = {
    audience = "https://api.anthropic.com"
    claims   = data.anthropic_google_service_account.x.federation_claims
  }
  target = {
    service_account_id = anthropic_service_account.agent.id
  }
  oauth_scope   = "workspace:inference"
  workspace_ids = [data.anthropic_workspace.default.id]
}
`+defaultWorkspaceData)
	var ruleID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(rule, tfjsonpath.New("match").AtMapKey("claims"), knownvalue.MapExact(map[string]knownvalue.Check{
						"sub":   knownvalue.StringExact(sub),
						"email": knownvalue.StringExact(email),
					})),
				},
				Check: resource.ComposeTestCheckFunc(
					captureID(rule, &ruleID),
					func(*terraform.State) error {
						r, err := env.client.GetFederationRule(bg, ruleID)
						if err != nil {
							return err
						}
						if r.Match.Claims["sub"] != sub || r.Match.Claims["email"] != email || len(r.Match.Claims) != 2 {
							return fmt.Errorf("API rule claims = %v, want sub=%s email=%s", r.Match.Claims, sub, email)
						}
						return nil
					},
				),
			},
			emptyPlanStep(cfg),
		},
	})
}

// A google block whose values come from a resource not yet created is
// unknown at plan time; the Anthropic side of the provider works anyway,
// and Google works once the values are known.
func TestAccGoogleConfig_unknownUntilApply(t *testing.T) {
	env := newTestEnv(t)
	provider := fmt.Sprintf(`
resource "terraform_data" "google_token" {
  input = %q
}

provider "anthropic" {
  base_url        = %q
  auth_token      = %q
  organization_id = %q
  google = {
    access_token                = terraform_data.google_token.output
    iam_custom_endpoint         = %q
    impersonate_service_account = ""
  }
}
`, env.google.AccessToken(), env.server.URL, env.emu.AdminToken(), env.emu.OrganizationID(), env.server.URL+googleemu.IAMPathPrefix)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: provider + serviceAccountConfig("unknown-google", ""),
				Check:  resource.TestCheckResourceAttr("anthropic_service_account.test", "name", "unknown-google"),
			},
			{
				Config: provider + serviceAccountConfig("unknown-google", "") + googleSADataSource("x", googleemu.WorkloadAccount, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.anthropic_google_service_account.x", tfjsonpath.New("unique_id"),
						knownvalue.StringExact(googleemu.UniqueIDFor(googleemu.WorkloadAccount))),
				},
			},
		},
	})
}
