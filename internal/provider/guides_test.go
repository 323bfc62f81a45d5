package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// The guides' configurations (examples/guides/<guide>/) applied against
// the emulator, so what docs/guides tells a new user is what the provider
// does.

// guideDir is examples/guides/<name>, found from this file's location.
func guideDir(t *testing.T, name string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate guides_test.go")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "guides", name)
}

// guideFiles concatenates some of a guide's files: the ones that need only
// the anthropic provider (the Google-provider parts are format-checked by
// make test, never applied: that provider cannot be fetched offline).
func guideFiles(t *testing.T, name string, files ...string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(guideDir(t, name), f))
		if err != nil {
			t.Fatalf("guide %s: %v", name, err)
		}
		fmt.Fprintf(&b, "\n# --- %s/%s\n%s", name, f, data)
	}
	return b.String()
}

// Federate a Cloud Run service with Google: per-environment rules on the
// organization's one Google issuer, looked up; each environment's Google
// account gets a token through its own rule only, and only with the email
// claim (format=full).
func guideGoogleCloudRun(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.moduleTestCase(t)
	body := guideFiles(t, "google-cloud-run", "anthropic.tf", "variables.tf", "outputs.tf")
	production, staging := env.workspaceID(t, "production"), env.workspaceID(t, "staging")
	// The platform team's Google issuer exists already.
	issuer := env.issuer(t, "google", policy.GoogleIssuer)

	vars := config.Variables{
		"environments": config.MapVariable(map[string]config.Variable{
			"production": config.ObjectVariable(map[string]config.Variable{
				"google_service_account_email": config.StringVariable(googleemu.WorkloadAccount),
				"workspace_id":                 config.StringVariable(production),
			}),
			"staging": config.ObjectVariable(map[string]config.Variable{
				"google_service_account_email": config.StringVariable(googleemu.CIRunnerAccount),
				"workspace_id":                 config.StringVariable(staging),
			}),
		}),
	}
	applied := cfg(body)
	envs := map[string]struct{ account, workspace string }{
		"production": {googleemu.WorkloadAccount, production},
		"staging":    {googleemu.CIRunnerAccount, staging},
	}
	var sdkEnv map[string]map[string]string

	resource.Test(t, resource.TestCase{
		Steps: withModuleInit([]resource.TestStep{
			{
				ConfigFile:      applied,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(`anthropic_federation_rule.workload["production"]`, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(`anthropic_federation_rule.workload["staging"]`, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("google_issuer_id", knownvalue.StringExact(issuer.ID)),
					statecheck.ExpectKnownOutputValueAtPath("sdk_environment", tfjsonpath.New("production").AtMapKey("ANTHROPIC_WORKSPACE_ID"), knownvalue.StringExact(production)),
					statecheck.ExpectKnownOutputValueAtPath("sdk_environment", tfjsonpath.New("staging").AtMapKey("ANTHROPIC_WORKSPACE_ID"), knownvalue.StringExact(staging)),
					statecheck.ExpectKnownOutputValueAtPath("sdk_environment", tfjsonpath.New("production").AtMapKey("ANTHROPIC_ORGANIZATION_ID"), knownvalue.StringExact(env.emu.OrganizationID())),
					captureSDKEnvironment(&sdkEnv),
					checkFunc(func() error {
						if n := env.emu.RequestCount(emulator.RouteCreateIssuer); n != 1 {
							return fmt.Errorf("%d issuer creates, want only the platform team's: the guide looks the issuer up", n)
						}
						for name, e := range envs {
							if err := env.expectGuideExchange(sdkEnv[name], e.account, e.workspace); err != nil {
								return fmt.Errorf("%s: %w", name, err)
							}
						}
						// Production's rule refuses staging's Google account.
						prod := sdkEnv["production"]
						_, err := env.exchangeGoogle(prod, googleemu.CIRunnerAccount, true)
						return expectDenied(env, err, prod["ANTHROPIC_FEDERATION_RULE_ID"], emulator.ReasonMatchClaims)
					}),
				},
			},
			{
				ConfigFile:      applied,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{ConfigFile: applied, ConfigVariables: vars, Destroy: true},
		}),
	})
	if is, err := env.client.GetFederationIssuer(bg, issuer.ID); err != nil || is.IsArchived() {
		t.Errorf("the looked-up Google issuer must outlive the configuration (err %v)", err)
	}
}

// The one configuration that owns the Google issuer creates it
// (create_google_issuer = true) and archives it on destroy.
func guideGoogleCloudRunOwnsIssuer(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.moduleTestCase(t)
	applied := cfg(guideFiles(t, "google-cloud-run", "anthropic.tf", "variables.tf", "outputs.tf"))
	vars := config.Variables{
		"create_google_issuer": config.BoolVariable(true),
		"environments": config.MapVariable(map[string]config.Variable{
			"production": config.ObjectVariable(map[string]config.Variable{
				"google_service_account_email": config.StringVariable(googleemu.WorkloadAccount),
				"workspace_id":                 config.StringVariable(env.emu.DefaultWorkspaceID()),
			}),
		}),
	}
	var issuerID string
	resource.Test(t, resource.TestCase{
		Steps: withModuleInit([]resource.TestStep{
			{
				ConfigFile:      applied,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("google_issuer_id", capture{fdisIDPattern, &issuerID}),
					statecheck.ExpectKnownOutputValueAtPath("sdk_environment", tfjsonpath.New("production").AtMapKey("ANTHROPIC_WORKSPACE_ID"), knownvalue.StringExact(env.emu.DefaultWorkspaceID())),
					checkFunc(func() error {
						if ids, err := env.liveIssuersFor(policy.GoogleIssuer); err != nil || len(ids) != 1 || ids[0] != issuerID {
							return fmt.Errorf("live Google issuers %v (%v), want only the one the configuration made, %s", ids, err, issuerID)
						}
						return nil
					}),
				},
			},
			{
				ConfigFile:       applied,
				ConfigVariables:  vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{ConfigFile: applied, ConfigVariables: vars, Destroy: true},
		}),
	})
	env.expectArchived(t, []string{issuerID}, nil, nil)
}

// captureSDKEnvironment keeps the sdk_environment output (environment ->
// variable -> value) for Go-side checks.
func captureSDKEnvironment(dst *map[string]map[string]string) statecheck.StateCheck {
	return statecheck.ExpectKnownOutputValue("sdk_environment", knownvalue.MapPartial(map[string]knownvalue.Check{
		"production": sdkEnvCapture{dst: dst, env: "production"},
		"staging":    sdkEnvCapture{dst: dst, env: "staging"},
	}))
}

type sdkEnvCapture struct {
	dst *map[string]map[string]string
	env string
}

func (c sdkEnvCapture) CheckValue(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("sdk_environment[%s] is %T, want a map", c.env, v)
	}
	if *c.dst == nil {
		*c.dst = map[string]map[string]string{}
	}
	out := map[string]string{}
	for k, val := range m {
		s, ok := val.(string)
		if !ok {
			return fmt.Errorf("sdk_environment[%s][%s] is %T", c.env, k, val)
		}
		out[k] = s
	}
	(*c.dst)[c.env] = out
	return nil
}

func (c sdkEnvCapture) String() string { return "sdk_environment of " + c.env }

// exchangeGoogle does what the workload's SDK does with sdk_environment:
// a Google ID token of account for the default audience (with the email
// claim when formatFull, as the metadata server's format=full adds it),
// exchanged through the rule.
func (e *testEnv) exchangeGoogle(sdkEnv map[string]string, account string, formatFull bool) (*client.TokenExchangeResponse, error) {
	assertion, err := e.google.Mint(account, policy.DefaultAudience, formatFull, nil)
	if err != nil {
		return nil, err
	}
	return e.client.ExchangeToken(bg, client.TokenExchangeParams{
		Assertion:        assertion,
		FederationRuleID: sdkEnv["ANTHROPIC_FEDERATION_RULE_ID"],
		OrganizationID:   sdkEnv["ANTHROPIC_ORGANIZATION_ID"],
		ServiceAccountID: sdkEnv["ANTHROPIC_SERVICE_ACCOUNT_ID"],
		WorkspaceID:      sdkEnv["ANTHROPIC_WORKSPACE_ID"],
	})
}

// expectGuideExchange: the account's full ID token gets a token for the
// workspace, usable on the Messages API; the same token without email is
// refused.
func (e *testEnv) expectGuideExchange(sdkEnv map[string]string, account, workspace string) error {
	ruleID := sdkEnv["ANTHROPIC_FEDERATION_RULE_ID"]
	minted, err := e.exchangeGoogle(sdkEnv, account, true)
	if err != nil {
		return fmt.Errorf("exchange as %s: %w (history %v)", account, err, outcomes(e.historyFor(ruleID)))
	}
	reply, err := messagesCall(e.server.URL, minted.AccessToken)
	if err != nil {
		return err
	}
	if !strings.Contains(reply, sdkEnv["ANTHROPIC_SERVICE_ACCOUNT_ID"]) || !strings.Contains(reply, workspace) {
		return fmt.Errorf("Messages API answered %q, want it to name %s in %s", reply, sdkEnv["ANTHROPIC_SERVICE_ACCOUNT_ID"], workspace)
	}
	_, err = e.exchangeGoogle(sdkEnv, account, false)
	return expectDenied(e, err, ruleID, emulator.ReasonMatchClaims)
}

// expectDenied checks an exchange failed with the opaque 401 and that the
// authentication history's latest entry for the rule gives the reason.
func expectDenied(e *testEnv, err error, ruleID, reason string) error {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		return fmt.Errorf("exchange through %s: err = %v, want the opaque 401", ruleID, err)
	}
	h := e.historyFor(ruleID) // oldest first
	if len(h) == 0 || h[len(h)-1].Outcome != emulator.AuthOutcomeDenied || !strings.HasPrefix(h[len(h)-1].Reason, reason) {
		return fmt.Errorf("authentication history of %s: %v, want the latest denied for %s", ruleID, outcomes(h), reason)
	}
	return nil
}

// githubToken is a GitHub Actions OIDC token as GitHub would sign it (here
// with the test key the Console-made issuer trusts): single-use jti.
func githubToken(t *testing.T, sub, repository string) string {
	t.Helper()
	now := time.Now()
	return signCIToken(t, map[string]any{
		"iss": policy.GitHubActionsIssuer, "aud": policy.DefaultAudience, "sub": sub,
		"repository": repository, "repository_owner": strings.Split(repository, "/")[0],
		"jti": fmt.Sprintf("%s-%d", t.Name(), tokenSeq.Add(1)),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	})
}

var tokenSeq atomic.Int64

// tokenProgram writes an executable that prints a fresh token at each run,
// in Google's executable-sourced credential format, as the guide's
// github-oidc-token.sh does with GitHub's token endpoint.
func tokenProgram(t *testing.T, tokens func() string, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := 1; i <= n; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("token.%d", i)), []byte(tokens()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "count"), []byte("0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`#!/bin/sh
set -eu
d=%q
n=$(($(cat "$d/count") + 1))
echo "$n" > "$d/count"
printf '{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"%%s"}\n' "$(cat "$d/token.$n")"
`, dir)
	p := filepath.Join(dir, "token.sh")
	if err := os.WriteFile(p, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// Bootstrap and keyless Terraform: the org:admin rule made once in the
// Console for a GitHub Actions job, then the guide's configuration applied
// with no admin token, through that rule, a fresh OIDC token per exchange.
// Not parallel: the provider reads its environment from this process.
func TestAccGuide_keylessTerraform(t *testing.T) {
	requireAcc(t)
	env := newTestEnv(t)
	const (
		platformRepo = "my-org/platform"
		adminSubject = "repo:my-org/platform:environment:anthropic-admin"
		botRepo      = "my-org/release-notes"
	)
	// The bootstrap, in the Console: GitHub's issuer (trusting the test
	// key here, where GitHub's discovery cannot be reached), an admin
	// service account, and the org:admin rule pinned to the job.
	console := env.consoleClient(t)
	github, err := console.CreateFederationIssuer(bg, client.FederationIssuerCreateParams{
		Name: "github-actions", IssuerURL: policy.GitHubActionsIssuer,
		JWKS: &client.JWKS{Type: client.JWKSTypeInline, Keys: []json.RawMessage{json.RawMessage(testPublicJWK(t, 0, "ci-key"))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := console.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "terraform-platform", OrganizationRole: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	adminRule, err := console.CreateFederationRule(bg, client.FederationRuleCreateParams{
		Name: "terraform-platform", IssuerID: github.ID,
		Match:      client.RuleMatch{SubjectPrefix: ptr(adminSubject), Audience: ptr(policy.DefaultAudience)},
		Target:     client.RuleTarget{Type: "service_account", ServiceAccountID: admin.ID},
		OAuthScope: policy.ScopeOrgAdmin, WorkspaceID: ptr("default"),
	})
	if err != nil {
		t.Fatal(err)
	}
	program := tokenProgram(t, func() string { return githubToken(t, adminSubject, platformRepo) }, 40)

	// The CI job's environment: no admin token anywhere.
	t.Setenv(envAuthToken, "")
	t.Setenv(envBaseURL, env.server.URL)
	t.Setenv(envOrganizationID, env.emu.OrganizationID())
	t.Setenv("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES", "1")
	for _, k := range []string{envFederationRuleID, envServiceAccountID, envWorkspaceID, envIdentityTokenFile, envIdentityToken, envTFCWorkloadIdentityToken} {
		t.Setenv(k, "")
	}
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", moduleProviderNamespace)

	production := env.workspaceID(t, "production")
	file := filepath.Join(t.TempDir(), "main.tf")
	body := guideFiles(t, "keyless-terraform", "versions.tf", "provider.tf", "variables.tf", "main.tf")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := config.Variables{
		"admin_rule_id":            config.StringVariable(adminRule.ID),
		"admin_service_account_id": config.StringVariable(admin.ID),
		"identity_token_command":   config.ListVariable(config.StringVariable(program)),
		"github_repository":        config.StringVariable(botRepo),
		"workspace_id":             config.StringVariable(production),
	}
	var botSA, botRule, googleIssuer string
	resource.Test(t, resource.TestCase{
		Steps: withModuleInit([]resource.TestStep{
			{
				ConfigFile:      config.StaticFile(file),
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("anthropic_service_account.release_notes", tfjsonpath.New("id"), capture{svacIDPattern, &botSA}),
					statecheck.ExpectKnownValue("anthropic_federation_rule.release_notes", tfjsonpath.New("id"), capture{fdrlIDPattern, &botRule}),
					statecheck.ExpectKnownValue("anthropic_federation_issuer.google", tfjsonpath.New("id"), capture{fdisIDPattern, &googleIssuer}),
					statecheck.ExpectKnownValue("anthropic_federation_rule.release_notes", tfjsonpath.New("issuer_id"), knownvalue.StringExact(github.ID)),
					checkFunc(func() error {
						// Terraform acted as the admin service account.
						for _, id := range []string{botSA} {
							sa, err := env.client.GetServiceAccount(bg, id)
							if err != nil {
								return err
							}
							if sa.CreatedByActorID != admin.ID {
								return fmt.Errorf("service account %s created by %s, want the admin service account %s", id, sa.CreatedByActorID, admin.ID)
							}
						}
						// The release-notes job of the pinned repository gets a
						// token; another repository's does not.
						sdk := map[string]string{
							"ANTHROPIC_FEDERATION_RULE_ID": botRule, "ANTHROPIC_ORGANIZATION_ID": env.emu.OrganizationID(),
							"ANTHROPIC_SERVICE_ACCOUNT_ID": botSA, "ANTHROPIC_WORKSPACE_ID": production,
						}
						if _, err := env.exchangeCI(sdk, githubToken(t, "repo:"+botRepo+":ref:refs/heads/main", botRepo)); err != nil {
							return fmt.Errorf("release-notes exchange: %w (history %v)", err, outcomes(env.historyFor(botRule)))
						}
						_, err := env.exchangeCI(sdk, githubToken(t, "repo:someone-else/release-notes:ref:refs/heads/main", "someone-else/release-notes"))
						return expectDenied(env, err, botRule, emulator.ReasonMatchSubjectPrefix)
					}),
				},
			},
			{
				ConfigFile:       config.StaticFile(file),
				ConfigVariables:  vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{ConfigFile: config.StaticFile(file), ConfigVariables: vars, Destroy: true},
		}),
	})
	// Every command exchanged a fresh token: no replay, no denial.
	env.expectHistory(t, adminRule.ID, emulator.AuthOutcomeSuccess)
	env.expectArchived(t, []string{googleIssuer}, []string{botSA}, []string{botRule})
	if is, err := env.client.GetFederationIssuer(bg, github.ID); err != nil || is.IsArchived() {
		t.Errorf("the Console's GitHub issuer must stay (err %v)", err)
	}
}

// exchangeCI exchanges a CI token through the rule sdkEnv names.
func (e *testEnv) exchangeCI(sdkEnv map[string]string, assertion string) (*client.TokenExchangeResponse, error) {
	return e.client.ExchangeToken(bg, client.TokenExchangeParams{
		Assertion:        assertion,
		FederationRuleID: sdkEnv["ANTHROPIC_FEDERATION_RULE_ID"],
		OrganizationID:   sdkEnv["ANTHROPIC_ORGANIZATION_ID"],
		ServiceAccountID: sdkEnv["ANTHROPIC_SERVICE_ACCOUNT_ID"],
		WorkspaceID:      sdkEnv["ANTHROPIC_WORKSPACE_ID"],
	})
}

// Troubleshooting token exchanges: the guide's configuration tries a rule
// with this machine's metadata-server ID token; success is silent, and each
// common denial comes back with its cause named, matching what the
// authentication history records. Not parallel: the provider reads its
// environment (credential, metadata server) from this process.
func TestAccGuide_troubleshootingExchanges(t *testing.T) {
	requireAcc(t)
	env := newTestEnv(t)
	for _, v := range env.emu.Env(env.server.URL) {
		t.Setenv(v.Name, v.Value)
	}
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", moduleProviderNamespace)
	production, staging := env.workspaceID(t, "production"), env.workspaceID(t, "staging")
	google := env.issuer(t, "google", policy.GoogleIssuer)
	// The metadata server's account is the workload's.
	pinned := func(name, account, workspace string, member bool) (string, string) {
		sa := env.serviceAccount(t, name)
		if member {
			if _, err := env.client.AddServiceAccountWorkspace(bg, sa.ID, workspace, "workspace_developer"); err != nil {
				t.Fatal(err)
			}
		}
		r, err := env.client.CreateFederationRule(bg, client.FederationRuleCreateParams{
			Name: name, IssuerID: google.ID,
			Match: client.RuleMatch{Audience: ptr(policy.DefaultAudience), Claims: map[string]string{
				"sub": googleemu.UniqueIDFor(account), "email": account,
			}},
			Target:     client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID},
			OAuthScope: "workspace:developer", WorkspaceID: ptr(workspace),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID, sa.ID
	}
	goodRule, goodSA := pinned("summarizer", googleemu.WorkloadAccount, production, true)
	otherRule, otherSA := pinned("ci-reviewer", googleemu.CIRunnerAccount, production, true)
	noMemberRule, noMemberSA := pinned("summarizer-staging", googleemu.WorkloadAccount, staging, false)

	file := filepath.Join(t.TempDir(), "main.tf")
	if err := os.WriteFile(file, []byte(guideFiles(t, "troubleshooting-exchanges", "main.tf")), 0o600); err != nil {
		t.Fatal(err)
	}
	try := func(rule, sa string, extra ...string) config.Variables {
		v := config.Variables{"federation_rule_id": config.StringVariable(rule), "service_account_id": config.StringVariable(sa)}
		for i := 0; i+1 < len(extra); i += 2 {
			v[extra[i]] = config.StringVariable(extra[i+1])
		}
		return v
	}
	resource.Test(t, resource.TestCase{
		Steps: withModuleInit([]resource.TestStep{
			// The rule, issuer, membership and token fit: no error.
			{ConfigFile: config.StaticFile(file), ConfigVariables: try(goodRule, goodSA)},
			// Another account's rule: the pinned email is named.
			{
				ConfigFile:      config.StaticFile(file),
				ConfigVariables: try(otherRule, otherSA),
				ExpectError: wrapTolerant(`(?s)Token exchange denied.*` + regexpQuote(`match.claims.email pins "`+googleemu.CIRunnerAccount+`", but the token's email is "`+googleemu.WorkloadAccount+`"`) +
					`.*authentication history`),
			},
			// Everything the provider can read matches: the membership is
			// among the causes listed.
			{
				ConfigFile:      config.StaticFile(file),
				ConfigVariables: try(noMemberRule, noMemberSA),
				ExpectError:     wrapTolerant(`(?s)Token exchange denied.*Everything the provider can check against rule ` + noMemberRule + ` matches.*Workspace membership: service account ` + noMemberSA),
			},
			// A token for another audience: the denial names the audience
			// the rule accepts (the rule is read only after the 401).
			{
				ConfigFile:      config.StaticFile(file),
				ConfigVariables: try(goodRule, goodSA, "audience", "https://example.com"),
				ExpectError:     wrapTolerant(`(?s)Token exchange denied.*match.audience: the rule accepts tokens whose aud contains "https://api.anthropic.com"`),
			},
		}),
	})
	for rule, want := range map[string]string{
		otherRule:    emulator.AuthOutcomeDenied + ":" + emulator.ReasonMatchClaims,
		noMemberRule: emulator.AuthOutcomeDenied + ":" + emulator.ReasonNotWorkspaceMember,
	} {
		for _, o := range outcomes(env.historyFor(rule)) {
			if !strings.HasPrefix(o, want) {
				t.Errorf("rule %s: history %v, want every entry %s", rule, outcomes(env.historyFor(rule)), want)
				break
			}
		}
		if len(env.historyFor(rule)) == 0 {
			t.Errorf("rule %s: no exchange reached the service", rule)
		}
	}
	// The good rule's exchanges succeed; the one with the wrong audience
	// is sent (the rule is read only to explain a denial) and is the last,
	// denied for its audience.
	good := outcomes(env.historyFor(goodRule))
	if len(good) < 2 || good[len(good)-1] != emulator.AuthOutcomeDenied+":"+emulator.ReasonMatchAudience {
		t.Errorf("rule %s: history %v, want successes then one %s denial", goodRule, good, emulator.ReasonMatchAudience)
	}
	for _, o := range good[:max(len(good)-1, 0)] {
		if o != emulator.AuthOutcomeSuccess {
			t.Errorf("rule %s: history %v, want every entry but the last a success", goodRule, good)
			break
		}
	}
}

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }
