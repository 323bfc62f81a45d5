package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// The acceptance tests of examples/modules/claude-workload-identity apply
// the module's own files, as a platform team's consumers would, against the
// emulator.
//
// The module requires wiflabs/anthropic, its registry address, while
// terraform-plugin-testing reattaches the in-process provider as
// hashicorp/anthropic unless TF_ACC_PROVIDER_NAMESPACE says otherwise; a
// mismatch makes `terraform init` look for wiflabs/anthropic in the
// registry, which fails offline. That variable is read from the process
// environment at every terraform command, so TestAccModules sets it with
// t.Setenv, as a sequential top-level test: those run before any parallel
// test resumes, so no other test's terraform sees the namespace. Its
// subtests, which all want that namespace, run in parallel with each
// other.

const (
	moduleProviderNamespace = "wiflabs"
	summarizerName          = "cloud-run-summarizer"
	reviewerName            = "ci-reviewer"
)

// workloadModuleDir is the module's absolute path, found from this file's
// location: terraform runs in a temporary directory, and a local module
// source must not depend on the test's working directory.
func workloadModuleDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate module_test.go")
	}
	dir, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", "examples", "modules", "claude-workload-identity"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.tf", "variables.tf", "outputs.tf", "versions.tf"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("the module is incomplete: %v", err)
		}
	}
	return dir
}

// moduleTestCase prepares the process for a module test (see above) and
// returns a function that writes a step's configuration to its own file:
// the required_providers block the module's source address needs, the
// provider block reaching this test's Anthropic and Google emulators, then
// body.
//
// The configuration goes through a file, not TestStep.Config: for a
// Config string terraform-plugin-testing runs `terraform init` with the
// provider blocks alone, and the module is never installed ("Module not
// installed"); file and directory configurations are initialised whole.
func (e *testEnv) moduleTestCase(t *testing.T) func(body string) config.TestStepConfigFunc {
	t.Helper()
	if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") != moduleProviderNamespace {
		t.Fatal("a module test runs as a subtest of TestAccModules, which sets TF_ACC_PROVIDER_NAMESPACE")
	}
	dir := t.TempDir()
	files := 0
	return func(body string) config.TestStepConfigFunc {
		files++
		file := filepath.Join(dir, fmt.Sprintf("step%d.tf", files))
		hcl := `
terraform {
  required_providers {
    anthropic = {
      source = "` + moduleProviderNamespace + `/anthropic"
    }
  }
}
` + e.withGoogle("", body)
		if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		return config.StaticFile(file)
	}
}

// TestAccModules runs the tests whose configurations require the provider
// by its registry address (see above), in parallel with each other.
func TestAccModules(t *testing.T) {
	requireAcc(t)
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", moduleProviderNamespace)
	for name, run := range map[string]func(*testing.T){
		"twoWorkloadsShareOneIssuer":    moduleTwoWorkloadsShareOneIssuer,
		"issuerLookup":                  moduleIssuerLookup,
		"guideGoogleCloudRun":           guideGoogleCloudRun,
		"guideGoogleCloudRunOwnsIssuer": guideGoogleCloudRunOwnsIssuer,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t)
		})
	}
}

// withModuleInit gives every step the provider factories itself, instead
// of the TestCase: terraform-plugin-testing counts a configuration with a
// required_providers block (which the wiflabs source address needs) as
// step-level providers and refuses providers on both levels. Step-level
// providers are also what makes it run `terraform init` with each step's
// own files.
func withModuleInit(steps []resource.TestStep) []resource.TestStep {
	for i := range steps {
		steps[i].ProtoV6ProviderFactories = testAccProtoV6ProviderFactories
	}
	return steps
}

// destroyStep destroys inside the test case: terraform-plugin-testing's
// own destroy at the end of a test, and any TestStep.Check or
// TestCase.CheckDestroy, read the state through a shim that refuses child
// modules ("Modules are not supported"). After a destroy step the state is
// empty and that final destroy has nothing to do; expectArchived then
// plays CheckDestroy, through the API.
func destroyStep(cfg config.TestStepConfigFunc) resource.TestStep {
	return resource.TestStep{ConfigFile: cfg, Destroy: true}
}

// expectArchived checks, after the test case, that destroy archived every
// object (the API never deletes).
func (e *testEnv) expectArchived(t *testing.T, issuers, serviceAccounts, rules []string) {
	t.Helper()
	for _, id := range rules {
		if r, err := e.client.GetFederationRule(bg, id); err != nil || !r.IsArchived() {
			t.Errorf("federation rule %s not archived after destroy (err %v)", id, err)
		}
	}
	for _, id := range serviceAccounts {
		if sa, err := e.client.GetServiceAccount(bg, id); err != nil || !sa.IsArchived() {
			t.Errorf("service account %s not archived after destroy (err %v)", id, err)
		}
	}
	for _, id := range issuers {
		if is, err := e.client.GetFederationIssuer(bg, id); err != nil || !is.IsArchived() {
			t.Errorf("federation issuer %s not archived after destroy (err %v)", id, err)
		}
	}
}

// equalTo checks a string equals one captured earlier.
func equalTo(want *string) knownvalue.Check {
	return knownvalue.StringFunc(func(v string) error {
		if v != *want {
			return fmt.Errorf("%s, want %s", v, *want)
		}
		return nil
	})
}

// workloadModule is one call of the module; its outputs are exported as
// one root output of the same name, since state checks only see the root
// module.
type workloadModule struct {
	name, email, workspaceID string
	// lines are extra arguments, verbatim (issuer_id, depends_on, ...).
	lines []string
}

func (m workloadModule) hcl(source string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nmodule %q {\n  source = %q\n\n", m.key(), source)
	fmt.Fprintf(&b, "  name                         = %q\n", m.name)
	fmt.Fprintf(&b, "  google_service_account_email = %q\n", m.email)
	fmt.Fprintf(&b, "  workspace_id                 = %q\n", m.workspaceID)
	for _, l := range m.lines {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	fmt.Fprintf(&b, "}\n\noutput %q {\n  value = module.%s\n}\n", m.key(), m.key())
	return b.String()
}

// key is the module call's name: the workload name with underscores.
func (m workloadModule) key() string { return strings.ReplaceAll(m.name, "-", "_") }

const googleIssuerResource = `
resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}
`

// moduleOutputs checks a module's outputs and captures its ids.
func (e *testEnv) moduleOutputs(m workloadModule, audience string, issuerID, saID, ruleID *string) statecheck.StateCheck {
	return statecheck.ExpectKnownOutputValue(m.key(), knownvalue.ObjectExact(map[string]knownvalue.Check{
		"service_account_id": capture{svacIDPattern, saID},
		"federation_rule_id": capture{fdrlIDPattern, ruleID},
		"issuer_id":          capture{fdisIDPattern, issuerID},
		"google_unique_id":   knownvalue.StringExact(googleemu.UniqueIDFor(m.email)),
		"audience":           knownvalue.StringExact(audience),
		"sdk_environment": knownvalue.MapExact(map[string]knownvalue.Check{
			"ANTHROPIC_FEDERATION_RULE_ID": knownvalue.StringRegexp(fdrlIDPattern),
			"ANTHROPIC_ORGANIZATION_ID":    knownvalue.StringExact(e.emu.OrganizationID()),
			"ANTHROPIC_SERVICE_ACCOUNT_ID": knownvalue.StringRegexp(svacIDPattern),
			"ANTHROPIC_WORKSPACE_ID":       knownvalue.StringExact(m.workspaceID),
		}),
	}))
}

// capture is a knownvalue check that matches a string and keeps it for
// later steps and Go-side checks.
type capture struct {
	pattern *regexp.Regexp
	dst     *string
}

func (c capture) CheckValue(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("expected a string, got %T", v)
	}
	if !c.pattern.MatchString(s) {
		return fmt.Errorf("%q does not match %s", s, c.pattern)
	}
	*c.dst = s
	return nil
}

func (c capture) String() string { return "a string matching " + c.pattern.String() }

// checkFunc runs Go-side checks as the last state check of a step, after
// the output checks above captured the ids it needs (a step's Check runs
// before its state checks).
type checkFunc func() error

func (f checkFunc) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f()
}

// wantWorkload is what the API must hold for one module call.
type wantWorkload struct {
	m                    workloadModule
	issuerID, saID       *string
	ruleID               *string
	scope, role          string
	tokenLifetimeSeconds int64
	description          string
}

// checkWorkloadOnAPI compares the service account, its membership and its
// rule, as the API has them, with what the module was asked for.
func (e *testEnv) checkWorkloadOnAPI(w wantWorkload) error {
	sa, err := e.client.GetServiceAccount(bg, *w.saID)
	if err != nil {
		return err
	}
	if sa.Name != w.m.name || sa.Description != w.description || sa.IsArchived() {
		return fmt.Errorf("service account %s: name %q description %q archived %v", sa.ID, sa.Name, sa.Description, sa.IsArchived())
	}
	members, err := e.client.ListServiceAccountWorkspaces(bg, sa.ID)
	if err != nil {
		return err
	}
	var member *client.ServiceAccountWorkspaceMember
	for i := range members {
		if members[i].WorkspaceID == w.m.workspaceID && !members[i].Implicit {
			member = &members[i]
		}
	}
	if member == nil || member.WorkspaceRole != w.role {
		return fmt.Errorf("service account %s: membership of %s = %+v, want role %s", sa.ID, w.m.workspaceID, member, w.role)
	}

	rule, err := e.client.GetFederationRule(bg, *w.ruleID)
	if err != nil {
		return err
	}
	wantClaims := map[string]string{"sub": googleemu.UniqueIDFor(w.m.email), "email": w.m.email}
	switch {
	case rule.IsArchived():
		return fmt.Errorf("rule %s is archived", rule.ID)
	case rule.Name != w.m.name:
		return fmt.Errorf("rule %s: name %q, want %q", rule.ID, rule.Name, w.m.name)
	case rule.IssuerID != *w.issuerID:
		return fmt.Errorf("rule %s: issuer %s, want %s", rule.ID, rule.IssuerID, *w.issuerID)
	case rule.Target.ServiceAccountID != sa.ID:
		return fmt.Errorf("rule %s: targets %s, want %s", rule.ID, rule.Target.ServiceAccountID, sa.ID)
	case rule.Match.Audience == nil || *rule.Match.Audience != policy.DefaultAudience:
		return fmt.Errorf("rule %s: audience %v, want %s", rule.ID, rule.Match.Audience, policy.DefaultAudience)
	case rule.Match.SubjectPrefix != nil || rule.Match.Condition != nil:
		return fmt.Errorf("rule %s: unexpected matchers %+v", rule.ID, rule.Match)
	case len(rule.Match.Claims) != len(wantClaims) || rule.Match.Claims["sub"] != wantClaims["sub"] || rule.Match.Claims["email"] != wantClaims["email"]:
		return fmt.Errorf("rule %s: claims %v, want %v", rule.ID, rule.Match.Claims, wantClaims)
	case rule.OAuthScope != w.scope:
		return fmt.Errorf("rule %s: scope %s, want %s", rule.ID, rule.OAuthScope, w.scope)
	case rule.TokenLifetimeSeconds != w.tokenLifetimeSeconds:
		return fmt.Errorf("rule %s: token lifetime %d, want %d", rule.ID, rule.TokenLifetimeSeconds, w.tokenLifetimeSeconds)
	case rule.AppliesToAllWorkspaces || len(rule.WorkspaceIDs) != 1 || rule.WorkspaceIDs[0] != w.m.workspaceID:
		return fmt.Errorf("rule %s: workspaces all=%v %v, want only %s", rule.ID, rule.AppliesToAllWorkspaces, rule.WorkspaceIDs, w.m.workspaceID)
	case ptrValue(rule.Description) != w.description:
		// The API reports no description as null or "".
		return fmt.Errorf("rule %s: description %q, want %q", rule.ID, ptrValue(rule.Description), w.description)
	}
	return nil
}

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// exchangeAsWorkload does what the workload does at run time: a Google ID
// token of its account, for the module's audience with the email claim
// (format=full), traded through the module's rule; then the access token
// is used on the Messages API, which names the service account and
// workspace it acted as.
func (e *testEnv) exchangeAsWorkload(w wantWorkload, googleAccount string) (*client.TokenExchangeResponse, error) {
	assertion, err := e.google.Mint(googleAccount, policy.DefaultAudience, true, nil)
	if err != nil {
		return nil, err
	}
	minted, err := e.client.ExchangeToken(bg, client.TokenExchangeParams{
		Assertion:        assertion,
		FederationRuleID: *w.ruleID,
		OrganizationID:   e.emu.OrganizationID(),
		ServiceAccountID: *w.saID,
		WorkspaceID:      w.m.workspaceID,
	})
	if err != nil {
		return nil, err
	}
	if minted.Scope != w.scope || minted.ExpiresIn != w.tokenLifetimeSeconds || minted.TokenType != "Bearer" {
		return nil, fmt.Errorf("minted %s, want scope %s for %d s", minted, w.scope, w.tokenLifetimeSeconds)
	}
	reply, err := messagesCall(e.server.URL, minted.AccessToken)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(reply, *w.saID) || !strings.Contains(reply, w.m.workspaceID) {
		return nil, fmt.Errorf("Messages API answered %q, want it to name %s in %s", reply, *w.saID, w.m.workspaceID)
	}
	return minted, nil
}

// expectWorkloadWorks proves the module's rule end to end: the pinned
// Google account gets a token; another account of the same project, with
// an equally valid Google token, is refused by the rule's claims.
func (e *testEnv) expectWorkloadWorks(w wantWorkload, otherAccount string) error {
	if _, err := e.exchangeAsWorkload(w, w.m.email); err != nil {
		return fmt.Errorf("%s: exchange as %s: %w (history %v)", w.m.name, w.m.email, err, outcomes(e.historyFor(*w.ruleID)))
	}
	_, err := e.exchangeAsWorkload(w, otherAccount)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		return fmt.Errorf("%s: exchange as %s through its rule: err = %v, want a 401", w.m.name, otherAccount, err)
	}
	// The denial names the first pinned claim that differs.
	got := outcomes(e.historyFor(*w.ruleID))
	denied := emulator.AuthOutcomeDenied + ":" + emulator.ReasonMatchClaims
	if len(got) < 2 || got[len(got)-2] != emulator.AuthOutcomeSuccess || !strings.HasPrefix(got[len(got)-1], denied) {
		return fmt.Errorf("%s: authentication history %v, want it to end with %s, %s", w.m.name, got, emulator.AuthOutcomeSuccess, denied)
	}
	return nil
}

// liveIssuersFor lists the live issuers with the given URL.
func (e *testEnv) liveIssuersFor(issuerURL string) ([]string, error) {
	var ids []string
	for is, err := range e.client.ListFederationIssuers(bg, client.ListParams{}) {
		if err != nil {
			return nil, err
		}
		if is.IssuerURL == issuerURL && !is.IsArchived() {
			ids = append(ids, is.ID)
		}
	}
	return ids, nil
}

// Two workloads from the same module share the organization's one Google
// issuer, each pinned to its own Google account; re-applying changes
// nothing; the module's own issuer lookup finds the same issuer; destroy
// archives everything.
func moduleTwoWorkloadsShareOneIssuer(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.moduleTestCase(t)
	source := workloadModuleDir(t)
	prod, staging := env.workspaceID(t, "production"), env.workspaceID(t, "staging")

	var issuerID, summarizerIssuer, reviewerIssuer string
	var summarizerSA, summarizerRule, reviewerSA, reviewerRule string

	summarizer := workloadModule{
		name: summarizerName, email: googleemu.WorkloadAccount, workspaceID: prod,
		lines: []string{
			`issuer_id   = anthropic_federation_issuer.google.id`,
			`description = "Summarizer service on Cloud Run"`,
		},
	}
	reviewer := workloadModule{
		name: reviewerName, email: googleemu.CIRunnerAccount, workspaceID: staging,
		lines: []string{
			`issuer_id              = anthropic_federation_issuer.google.id`,
			`oauth_scope            = "workspace:inference"`,
			`token_lifetime_seconds = 600`,
			`workspace_role         = "workspace_user"`,
		},
	}
	// The summarizer's lookup path: no issuer_id; depends_on orders the
	// lookup after the issuer for a configuration that creates both.
	summarizerLookup := summarizer
	summarizerLookup.lines = []string{
		`description = "Summarizer service on Cloud Run"`,
		`depends_on  = [anthropic_federation_issuer.google]`,
	}

	wantSummarizer := wantWorkload{
		m: summarizer, issuerID: &summarizerIssuer, saID: &summarizerSA, ruleID: &summarizerRule,
		scope: "workspace:developer", role: "workspace_developer", tokenLifetimeSeconds: 900,
		description: "Summarizer service on Cloud Run",
	}
	wantReviewer := wantWorkload{
		m: reviewer, issuerID: &reviewerIssuer, saID: &reviewerSA, ruleID: &reviewerRule,
		scope: "workspace:inference", role: "workspace_user", tokenLifetimeSeconds: 600,
	}

	both := cfg(googleIssuerResource + summarizer.hcl(source) + reviewer.hcl(source))
	lookup := cfg(googleIssuerResource + summarizerLookup.hcl(source) + reviewer.hcl(source))
	const (
		summarizerRuleAddr = "module.cloud_run_summarizer.anthropic_federation_rule.workload"
		reviewerRuleAddr   = "module.ci_reviewer.anthropic_federation_rule.workload"
	)

	resource.Test(t, resource.TestCase{
		Steps: withModuleInit([]resource.TestStep{
			{
				ConfigFile: both,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("anthropic_federation_issuer.google", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(summarizerRuleAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(reviewerRuleAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("module.cloud_run_summarizer.anthropic_service_account.workload", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("module.ci_reviewer.anthropic_service_account_workspace.workload", plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("anthropic_federation_issuer.google", tfjsonpath.New("id"), capture{fdisIDPattern, &issuerID}),
					env.moduleOutputs(summarizer, policy.DefaultAudience, &summarizerIssuer, &summarizerSA, &summarizerRule),
					env.moduleOutputs(reviewer, policy.DefaultAudience, &reviewerIssuer, &reviewerSA, &reviewerRule),
					checkFunc(func() error {
						// One issuer for both workloads, the one Terraform created.
						if summarizerIssuer != issuerID || reviewerIssuer != issuerID {
							return fmt.Errorf("module issuers %s and %s, want both %s", summarizerIssuer, reviewerIssuer, issuerID)
						}
						if ids, err := env.liveIssuersFor(policy.GoogleIssuer); err != nil || len(ids) != 1 || ids[0] != issuerID {
							return fmt.Errorf("live Google issuers %v (%v), want only %s", ids, err, issuerID)
						}
						if n := env.emu.RequestCount(emulator.RouteCreateIssuer); n != 1 {
							return fmt.Errorf("%d issuer create requests, want 1: the module must not create issuers", n)
						}
						if summarizerSA == reviewerSA || summarizerRule == reviewerRule {
							return errors.New("the two workloads share a service account or a rule")
						}
						if err := env.checkWorkloadOnAPI(wantSummarizer); err != nil {
							return err
						}
						if err := env.checkWorkloadOnAPI(wantReviewer); err != nil {
							return err
						}
						// Each rule admits its own Google account only.
						if err := env.expectWorkloadWorks(wantSummarizer, googleemu.CIRunnerAccount); err != nil {
							return err
						}
						return env.expectWorkloadWorks(wantReviewer, googleemu.WorkloadAccount)
					}),
				},
			},
			// Re-applying the same configuration changes nothing.
			{
				ConfigFile: both,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			// The module's lookup finds the issuer Terraform created (and no
			// other): switching to it leaves every object as it is.
			{
				ConfigFile: lookup,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("anthropic_federation_issuer.google", tfjsonpath.New("id"), equalTo(&issuerID)),
					statecheck.ExpectKnownOutputValueAtPath(summarizer.key(), tfjsonpath.New("issuer_id"), equalTo(&issuerID)),
					statecheck.ExpectKnownOutputValueAtPath(summarizer.key(), tfjsonpath.New("federation_rule_id"), equalTo(&summarizerRule)),
					checkFunc(func() error { return env.checkWorkloadOnAPI(wantSummarizer) }),
				},
			},
			destroyStep(lookup),
		}),
	})
	env.expectArchived(t, []string{issuerID}, []string{summarizerSA, reviewerSA}, []string{summarizerRule, reviewerRule})
}

// The platform team's Google issuer lives outside the workload's
// configuration: the module finds it by URL, refuses a non-Google issuer
// and bad inputs before creating anything, and leaves the issuer alone on
// destroy.
func moduleIssuerLookup(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.moduleTestCase(t)
	source := workloadModuleDir(t)
	research := env.workspaceID(t, "research")

	// Another identity provider's issuer exists from the start; the Google
	// one is created by the platform team (behind this configuration's
	// back) after the first step.
	githubIssuer := env.issuer(t, "github-actions", "https://token.actions.githubusercontent.com")
	var orgIssuer *client.FederationIssuer
	var issuerID, saID, ruleID string
	workload := workloadModule{name: summarizerName, email: googleemu.WorkloadAccount, workspaceID: research}
	applied := cfg(workload.hcl(source))
	withLines := func(lines ...string) workloadModule {
		m := workload
		m.lines = lines
		return m
	}
	want := wantWorkload{
		m: workload, issuerID: &issuerID, saID: &saID, ruleID: &ruleID,
		scope: "workspace:developer", role: "workspace_developer", tokenLifetimeSeconds: 900,
	}
	// Refused configurations must not create anything; the issuers the
	// test itself creates are counted apart.
	testIssuers := 1
	nothingCreated := func() {
		t.Helper()
		for _, route := range []string{emulator.RouteCreateServiceAccount, emulator.RouteAddServiceAccountWorkspace, emulator.RouteCreateRule} {
			if n := env.emu.RequestCount(route); n != 0 {
				t.Fatalf("a refused configuration reached %s (%d requests)", route, n)
			}
		}
		if n := env.emu.RequestCount(emulator.RouteCreateIssuer); n != testIssuers {
			t.Fatalf("%d issuer create requests, want the test's %d: the module must not create issuers", n, testIssuers)
		}
	}

	resource.Test(t, resource.TestCase{
		Steps: withModuleInit([]resource.TestStep{
			// No Google issuer in the organization: the lookup says so, and
			// nothing is created (the module never creates an issuer).
			{
				ConfigFile:  cfg(workload.hcl(source)),
				ExpectError: wrapTolerant(`(?s)Federation issuer not found.*No live federation issuer has issuer_url "https://accounts\.google\.com"`),
			},
			// An issuer of another identity provider is refused by the
			// module's postcondition, at plan time.
			{
				PreConfig: func() {
					nothingCreated()
					orgIssuer = env.issuer(t, "google", policy.GoogleIssuer)
					testIssuers++
				},
				ConfigFile:  cfg(withLines(fmt.Sprintf("issuer_id = %q", githubIssuer.ID)).hcl(source)),
				ExpectError: wrapTolerant(`(?s)Resource postcondition failed.*\(github-actions\) has issuer_url https://token\.actions\.githubusercontent\.com.*needs the issuer for https://accounts\.google\.com`),
			},
			// Scopes an OAuth credential cannot grant, and lifetimes out of
			// bounds, are refused by the module's validations.
			{
				PreConfig:   nothingCreated,
				ConfigFile:  cfg(withLines(`oauth_scope = "org:admin"`).hcl(source)),
				ExpectError: wrapTolerant(`(?s)Invalid value for variable.*oauth_scope must be "workspace:developer" or "workspace:inference"`),
			},
			{
				PreConfig:   nothingCreated,
				ConfigFile:  cfg(withLines(`token_lifetime_seconds = 30`).hcl(source)),
				ExpectError: wrapTolerant(`(?s)Invalid value for variable.*token_lifetime_seconds must be a whole number of seconds between 60 and 86400`),
			},
			// The lookup finds the organization's issuer and the workload
			// works.
			{
				PreConfig:  nothingCreated,
				ConfigFile: applied,
				ConfigStateChecks: []statecheck.StateCheck{
					env.moduleOutputs(workload, policy.DefaultAudience, &issuerID, &saID, &ruleID),
					checkFunc(func() error {
						if issuerID != orgIssuer.ID {
							return fmt.Errorf("the module used issuer %s, want the organization's %s", issuerID, orgIssuer.ID)
						}
						if n := env.emu.RequestCount(emulator.RouteCreateIssuer); n != testIssuers {
							return fmt.Errorf("%d issuer create requests, want the test's %d: the module must not create issuers", n, testIssuers)
						}
						if err := env.checkWorkloadOnAPI(want); err != nil {
							return err
						}
						return env.expectWorkloadWorks(want, googleemu.CIRunnerAccount)
					}),
				},
			},
			{
				ConfigFile: applied,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			destroyStep(applied),
		}),
	})
	env.expectArchived(t, nil, []string{saID}, []string{ruleID})
	// The module does not own the issuer: it stays live.
	if ids, err := env.liveIssuersFor(policy.GoogleIssuer); err != nil || len(ids) != 1 || ids[0] != orgIssuer.ID {
		t.Errorf("live Google issuers after destroy: %v (%v), want the organization's %s", ids, err, orgIssuer.ID)
	}
}
