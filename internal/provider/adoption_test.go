package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Adopting objects made in the Console: for every resource type, an
// `import {}` block and `terraform plan -generate-config-out` write a
// configuration that imports the object with no change, and plans empty
// afterwards. terraform-plugin-testing cannot generate configuration, so
// these tests drive the terraform binary with terraform-exec against the
// provider served in-process (reattached, as terraform-plugin-testing
// does: nothing is installed or downloaded).

// adoptionCase is one object made behind Terraform's back and the
// resource address it is adopted at.
type adoptionCase struct {
	address, importID string
	// want are fragments the generated configuration must hold.
	want []string
}

func TestAccAdoption_generateConfig(t *testing.T) {
	t.Parallel()
	tf, reattach := reattachedTerraform(t)
	env := newTestEnv(t)
	ctx := t.Context()
	research := env.workspaceID(t, "research")
	staging := env.workspaceID(t, "staging")

	// What a platform team makes in the Console.
	sa, err := env.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "console-agent", Description: ptr("Made in the Console")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.AddServiceAccountWorkspace(bg, sa.ID, research, "workspace_developer"); err != nil {
		t.Fatal(err)
	}
	google, err := env.client.CreateFederationIssuer(bg, client.FederationIssuerCreateParams{Name: "google", IssuerURL: policy.GoogleIssuer})
	if err != nil {
		t.Fatal(err)
	}
	inline, err := env.client.CreateFederationIssuer(bg, client.FederationIssuerCreateParams{
		Name: "internal-ci", IssuerURL: "https://ci.internal.example.com",
		JWKS:     &client.JWKS{Type: client.JWKSTypeInline, Keys: []json.RawMessage{json.RawMessage(testPublicJWK(t, 0, "ci-1"))}},
		CheckJTI: ptr(false), MaxJWTLifetimeSeconds: ptr(int64(600)),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Anthropic paused key polling of this one after fetch failures.
	if err := env.emu.DisableJWKSPolling(google.ID); err != nil {
		t.Fatal(err)
	}
	email := googleemu.WorkloadAccount
	googleRule, err := env.client.CreateFederationRule(bg, client.FederationRuleCreateParams{
		Name: "console-agent", Description: ptr("Cloud Run agent"), IssuerID: google.ID,
		Match: client.RuleMatch{
			Audience: ptr(policy.DefaultAudience),
			Claims:   map[string]string{"sub": googleemu.UniqueIDFor(email), "email": email},
		},
		Target:     client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID},
		OAuthScope: "workspace:developer", WorkspaceID: ptr(research), TokenLifetimeSeconds: ptr(int64(900)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ciRule, err := env.client.CreateFederationRule(bg, client.FederationRuleCreateParams{
		Name: "internal-deploy", IssuerID: inline.ID,
		Match: client.RuleMatch{
			SubjectPrefix: ptr("pipeline:deploy/*"),
			Condition:     ptr(`claims.ref == "refs/heads/main"`),
		},
		Target:     client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID},
		OAuthScope: "workspace:inference", AppliesToAllWorkspaces: ptr(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second workspace enabled on the Google rule, as another team's
	// module would (workspace_ids on the rule then lists both).
	if _, err := env.client.EnableFederationRuleWorkspace(bg, googleRule.ID, staging); err != nil {
		t.Fatal(err)
	}

	env.emu.ResetCounters()

	// The guide's import blocks (examples/guides/adopting-console-objects)
	// adopt one object of each resource type; the test adds two more
	// shapes: inline keys, and a rule matched by subject prefix and CEL in
	// every workspace.
	guideCases := 5
	cases := []adoptionCase{
		{"anthropic_service_account.summarizer", sa.ID, []string{`name = "console-agent"`, `description = "Made in the Console"`, `organization_role = "developer"`}},
		{"anthropic_service_account_workspace.summarizer", sa.ID + ":" + research, []string{`workspace_role = "workspace_developer"`, `service_account_id = "` + sa.ID + `"`}},
		{"anthropic_federation_issuer.google", google.ID, []string{`issuer_url = "https://accounts.google.com"`, `type = "discovery"`}},
		{"anthropic_federation_rule.summarizer", googleRule.ID, []string{`audience = "https://api.anthropic.com"`, `email = "` + email + `"`, `sub = "` + googleemu.UniqueIDFor(email) + `"`, `service_account_id = "` + sa.ID + `"`, `token_lifetime_seconds = 900`, research, staging}},
		{"anthropic_federation_rule_workspace.summarizer_extra", googleRule.ID + ":" + staging, []string{`federation_rule_id = "` + googleRule.ID + `"`, `workspace_id = "` + staging + `"`}},
		{"anthropic_federation_issuer.internal", inline.ID, []string{`type = "inline"`, `kid = "ci-1"`, `check_jti = false`, `max_jwt_lifetime_seconds = 600`}},
		{"anthropic_federation_rule.deploy", ciRule.ID, []string{`subject_prefix = "pipeline:deploy/*"`, `condition = "claims.ref == \"refs/heads/main\""`, `applies_to_all_workspaces = true`}},
	}

	var extra strings.Builder
	for _, c := range cases[guideCases:] {
		fmt.Fprintf(&extra, "\nimport {\n  to = %s\n  id = %q\n}\n", c.address, c.importID)
	}
	tfvars := fmt.Sprintf("service_account_id = %q\nworkspace_id = %q\ngoogle_issuer_id = %q\nfederation_rule_id = %q\nextra_workspace_id = %q\n",
		sa.ID, research, google.ID, googleRule.ID, staging)
	for name, content := range map[string]string{
		"main.tf":          guideFiles(t, "adopting-console-objects", "main.tf"),
		"provider.tf":      env.providerConfig(),
		"more.tf":          extra.String(),
		"terraform.tfvars": tfvars,
	} {
		if err := os.WriteFile(filepath.Join(tf.WorkingDir(), name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if err := tf.Init(ctx, tfexec.Reattach(reattach)); err != nil {
		t.Fatalf("terraform init: %v", err)
	}
	const generated = "generated.tf"
	if _, err := tf.Plan(ctx, tfexec.Reattach(reattach), tfexec.GenerateConfigOut(generated)); err != nil {
		t.Fatalf("terraform plan -generate-config-out: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(tf.WorkingDir(), generated))
	if err != nil {
		t.Fatal(err)
	}
	gen := string(raw)
	spaces := regexp.MustCompile(`[ \t]+`)
	flat := spaces.ReplaceAllString(gen, " ")
	for _, c := range cases {
		block := generatedBlock(t, flat, c.address)
		for _, w := range c.want {
			if !strings.Contains(block, w) {
				t.Errorf("generated configuration of %s lacks %s:\n%s", c.address, w, block)
			}
		}
	}
	// jwks_polling_disabled is write-only in the API (only false, to
	// resume): adoption leaves it out, for the paused issuer too.
	if m := regexp.MustCompile(`jwks_polling_disabled *= *(true|false)`).FindString(gen); m != "" {
		t.Errorf("generated configuration sets %s:\n%s", m, gen)
	}
	if t.Failed() {
		t.FailNow()
	}

	// The generated configuration imports every object and changes none.
	if _, err := tf.Plan(ctx, tfexec.Reattach(reattach), tfexec.Out("adopt.tfplan")); err != nil {
		t.Fatalf("terraform plan with the generated configuration: %v\n%s", err, gen)
	}
	plan, err := tf.ShowPlanFile(ctx, "adopt.tfplan", tfexec.Reattach(reattach))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.ResourceChanges) != len(cases) {
		t.Errorf("%d resource changes, want %d imports", len(plan.ResourceChanges), len(cases))
	}
	for _, rc := range plan.ResourceChanges {
		if rc.Change == nil {
			t.Errorf("%s: no change in the plan, want a bare import", rc.Address)
			continue
		}
		if rc.Change.Importing == nil || !rc.Change.Actions.NoOp() {
			t.Errorf("%s: actions %v importing %v, want a bare import", rc.Address, rc.Change.Actions, rc.Change.Importing)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if err := tf.Apply(ctx, tfexec.Reattach(reattach), tfexec.DirOrPlan("adopt.tfplan")); err != nil {
		t.Fatalf("terraform apply: %v", err)
	}
	changes, err := tf.Plan(ctx, tfexec.Reattach(reattach))
	if err != nil {
		t.Fatal(err)
	}
	if changes {
		t.Errorf("the plan after adoption is not empty; generated configuration:\n%s", gen)
	}
	// Adoption touched nothing on the API: no write reached it.
	for _, route := range writeRoutes {
		if n := env.emu.RequestCount(route); n != 0 {
			t.Errorf("adoption sent %d %s request(s)", n, route)
		}
	}
	// Asking for polling on the adopted, paused issuer resumes it: its
	// jwks_polling_disabled_at says it is paused.
	block := generatedBlock(t, gen, "anthropic_federation_issuer.google")
	unset := regexp.MustCompile(`(jwks_polling_disabled\s*=\s*)null`)
	if !unset.MatchString(block) {
		t.Fatalf("generated configuration of the Google issuer has no jwks_polling_disabled = null:\n%s", block)
	}
	resumed := strings.Replace(gen, block, unset.ReplaceAllString(block, "${1}false"), 1)
	if err := os.WriteFile(filepath.Join(tf.WorkingDir(), generated), []byte(resumed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(ctx, tfexec.Reattach(reattach)); err != nil {
		t.Fatalf("terraform apply with jwks_polling_disabled = false: %v", err)
	}
	if is, err := env.client.GetFederationIssuer(bg, google.ID); err != nil || is.JWKSPollingDisabledAt != nil {
		t.Errorf("issuer %s still paused after apply (%v)", google.ID, err)
	}
	if changes, err := tf.Plan(ctx, tfexec.Reattach(reattach)); err != nil || changes {
		t.Errorf("plan after resuming: changes %v, err %v", changes, err)
	}
}

var writeRoutes = []string{
	emulator.RouteCreateServiceAccount, emulator.RouteUpdateServiceAccount, emulator.RouteArchiveServiceAccount,
	emulator.RouteAddServiceAccountWorkspace, emulator.RouteRemoveServiceAccountWorkspace,
	emulator.RouteCreateIssuer, emulator.RouteUpdateIssuer, emulator.RouteArchiveIssuer,
	emulator.RouteCreateRule, emulator.RouteUpdateRule, emulator.RouteArchiveRule,
	emulator.RouteEnableRuleWorkspace, emulator.RouteDisableRuleWorkspace,
}

// generatedBlock is the resource block terraform generated for address.
func generatedBlock(t *testing.T, gen, address string) string {
	t.Helper()
	typ, name, _ := strings.Cut(address, ".")
	start := strings.Index(gen, fmt.Sprintf("resource %q %q {", typ, name))
	if start < 0 {
		t.Errorf("no generated block for %s in:\n%s", address, gen)
		return ""
	}
	end := strings.Index(gen[start:], "\n}\n")
	if end < 0 {
		return gen[start:]
	}
	return gen[start : start+end]
}
