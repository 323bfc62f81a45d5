package provider

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
func TestAccGuide_googleCloudRun(t *testing.T) {
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
