package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/wiflabs/terraform-provider-anthropic/internal/auth"
	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/exchange"
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
	g := newGoogleConfig(google.Settings{}, "test", 0, nil)

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
			case tc.wantSource != "" && (cred.federation == nil || cred.federation.Source.Describe() != tc.wantSource):
				t.Errorf("federation %+v, want source %s", cred.federation, tc.wantSource)
			case tc.wantSource != "" && (cred.federation.Target.RuleID != rule || cred.federation.Target.OrganizationID != org):
				t.Errorf("target %+v", cred.federation.Target)
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
		c, err := newAPIClient(client.Options{BaseURL: env.server.URL, Version: "test", MaxRetries: 0}, &auth.Federation{
			Target: exchange.Target{RuleID: admin.rule.ID, OrganizationID: env.emu.OrganizationID(), ServiceAccountID: admin.sa.ID},
			Source: src,
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
