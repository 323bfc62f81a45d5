package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// noDefaultLiteral fails when any attribute in state holds the literal
// "default" as a workspace: the API never answers with it.
func noDefaultLiteral(s *terraform.State) error {
	for addr, rs := range s.RootModule().Resources {
		for k, v := range rs.Primary.Attributes {
			if v == policy.DefaultWorkspaceID && strings.Contains(k, "workspace") {
				return fmt.Errorf("%s.%s = %q in state", addr, k, v)
			}
		}
	}
	return nil
}

// A configuration copied from a real organization: the default workspace is
// looked up, a membership and a rule are made in it, and the next plan is
// empty.
func TestAccDefaultWorkspace_membershipAndRule(t *testing.T) {
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	def := env.emu.DefaultWorkspaceID()
	cfg := env.config(fmt.Sprintf(`
data "anthropic_workspace" "default" {
  default = true
}

resource "anthropic_service_account_workspace" "default" {
  service_account_id = %q
  workspace_id       = data.anthropic_workspace.default.id
  workspace_role     = "workspace_developer"
}
`, f.sa.ID) + ruleCfg{issuerID: f.issuer.ID, saID: f.sa.ID, workspaces: `workspace_ids = [data.anthropic_workspace.default.id]`}.hcl())
	// ruleCfg adds the data block itself when it is referenced; once is enough.
	cfg = strings.Replace(cfg, defaultWorkspaceData, "", 1)
	var ruleID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("anthropic_federation_rule.test", tfjsonpath.New("workspace_ids"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(def)})),
					statecheck.ExpectKnownValue("anthropic_federation_rule.test", tfjsonpath.New("sdk_environment").AtMapKey(envWorkspaceID), knownvalue.StringExact(def)),
					statecheck.ExpectKnownValue("anthropic_service_account_workspace.default", tfjsonpath.New("workspace_id"), knownvalue.StringExact(def)),
					statecheck.ExpectKnownValue("anthropic_service_account_workspace.default", tfjsonpath.New("id"), knownvalue.StringExact(f.sa.ID+":"+def)),
				},
				Check: resource.ComposeTestCheckFunc(
					noDefaultLiteral,
					captureID("anthropic_federation_rule.test", &ruleID),
					env.checkRuleWorkspaces(&ruleID, false, def),
				),
			},
			emptyPlanStep(cfg),
			{
				ResourceName:      "anthropic_service_account_workspace.default",
				ImportState:       true,
				ImportStateId:     f.sa.ID + ":" + def,
				ImportStateVerify: true,
			},
			{
				ResourceName:  "anthropic_service_account_workspace.default",
				ImportState:   true,
				ImportStateId: f.sa.ID + ":default",
				ExpectError:   wrapTolerant(`(?s)default workspace is imported by its own ID`),
			},
		},
	})
}

// A user's OAuth token (the provider's auth_token) creates an admin service
// account and demotes it; the org:admin rule made for it in the Console is
// then refused at exchange, with the reason in the authentication history.
func TestAccServiceAccount_adminCreatedAndDemoted(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_service_account.admin"
	config := func(role string) string {
		return env.config(fmt.Sprintf(`
resource "anthropic_service_account" "admin" {
  name              = "terraform-admin"
  organization_role = %q
}
`, role))
	}
	var saID, ruleID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config("admin"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("organization_role"), knownvalue.StringExact("admin")),
				},
				Check: resource.ComposeTestCheckFunc(
					captureID(addr, &saID),
					func(*terraform.State) error {
						// The Console makes an org:admin rule for it; it mints.
						f := env.googleRuleFixture(t)
						params := env.googleRuleParams(ruleFixture{issuer: f.issuer, sa: &client.ServiceAccount{ID: saID}}, "terraform-admin")
						params.OAuthScope = "org:admin"
						rule, err := env.consoleClient(t).CreateFederationRule(bg, params)
						if err != nil {
							return err
						}
						ruleID = rule.ID
						return env.exchangeGoogleAsTestAccount(ruleID, saID)
					},
				),
			},
			{
				Config: config("developer"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("organization_role"), knownvalue.StringExact("developer")),
				},
				Check: func(*terraform.State) error {
					if err := env.exchangeGoogleAsTestAccount(ruleID, saID); err == nil {
						return fmt.Errorf("the org:admin rule of a demoted service account still mints")
					}
					if hist := env.emu.AuthHistory(); len(hist) == 0 || hist[0].Reason != emulator.ReasonTargetNotAdmin {
						return fmt.Errorf("authentication history %+v, want the reason %s", hist, emulator.ReasonTargetNotAdmin)
					}
					return nil
				},
			},
			emptyPlanStep(config("developer")),
			// The rule blocks archiving the service account; the Console
			// archives the rule so the test can clean up.
			{
				PreConfig: func() {
					if _, err := env.consoleClient(t).ArchiveFederationRule(bg, ruleID); err != nil {
						t.Fatal(err)
					}
				},
				Config: config("developer"),
			},
		},
	})
}

// exchangeGoogleAsTestAccount exchanges a fresh Google ID token of the metadata server's
// default account through the rule.
func (e *testEnv) exchangeGoogleAsTestAccount(ruleID, saID string) error {
	e.google.AddServiceAccount(googleemu.ServiceAccount{Email: testGoogleEmail, UniqueID: testGoogleSub})
	tok, err := e.google.Mint(testGoogleEmail, testAudience, true, nil)
	if err != nil {
		return err
	}
	_, err = e.client.ExchangeToken(bg, client.TokenExchangeParams{
		Assertion: tok, FederationRuleID: ruleID, OrganizationID: e.emu.OrganizationID(), ServiceAccountID: saID,
	})
	return err
}

// oauth_scope is a set written as a string: reordering plans nothing.
func TestAccFederationRule_scopesReordered(t *testing.T) {
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	const addr = "anthropic_federation_rule.test"
	rule := func(scope string) string {
		return env.config(ruleCfg{issuerID: f.issuer.ID, saID: f.sa.ID, scope: scope}.hcl())
	}
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: rule("workspace:developer workspace:inference"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("oauth_scope"), knownvalue.StringExact("workspace:developer workspace:inference")),
				},
				Check: resource.ComposeTestCheckFunc(captureID(addr, &id), env.checkRuleAPI(&id, func(r *client.FederationRule) error {
					if r.OAuthScope != "workspace:developer workspace:inference" {
						return fmt.Errorf("API oauth_scope = %q", r.OAuthScope)
					}
					return nil
				})),
			},
			emptyPlanStep(rule("workspace:inference workspace:developer")),
			// A different set of scopes is a change.
			{
				Config: rule("workspace:inference"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("oauth_scope"), knownvalue.StringExact("workspace:inference")),
				}},
			},
			{
				Config:      rule("workspace:inference org:admin"),
				ExpectError: regexp.MustCompile(`(?s)oauth_scope`),
			},
		},
	})
}

// workspace_ids next to applies_to_all_workspaces = true: the enablements
// are kept (ignored at exchange) and the rule can be narrowed back to them.
func TestAccFederationRule_allWorkspacesKeepsEnablements(t *testing.T) {
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	const addr = "anthropic_federation_rule.test"
	prod := env.workspaceID(t, "production")
	both := ruleCfg{issuerID: f.issuer.ID, saID: f.sa.ID, workspaces: fmt.Sprintf(`workspace_ids = [%q]
  applies_to_all_workspaces = true`, prod)}
	narrowed := both
	narrowed.workspaces = fmt.Sprintf(`workspace_ids = [%q]`, prod)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(both.hcl()),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("applies_to_all_workspaces"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("workspace_ids"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(prod)})),
				},
				Check: resource.ComposeTestCheckFunc(captureID(addr, &id), env.checkRuleWorkspaces(&id, true, prod)),
			},
			emptyPlanStep(env.config(both.hcl())),
			{
				Config: env.config(narrowed.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(sameID(addr, &id), env.checkRuleWorkspaces(&id, false, prod)),
			},
			emptyPlanStep(env.config(narrowed.hcl())),
		},
	})
}

// Without organization_id (attribute or environment) the provider asks
// GET /v1/organizations/me once and uses the answer.
func TestAccProvider_organizationIDUnset(t *testing.T) {
	t.Parallel() // ANTHROPIC_ORGANIZATION_ID is unset too (TestMain)
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	provider := fmt.Sprintf(`
provider "anthropic" {
  base_url    = %q
  auth_token  = %q
  max_retries = 2
}
`, env.server.URL, env.emu.AdminToken())
	cfg := provider + ruleCfg{issuerID: f.issuer.ID, saID: f.sa.ID}.hcl()
	env.emu.ResetCounters()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("anthropic_federation_rule.test", tfjsonpath.New("sdk_environment").AtMapKey(envOrganizationID),
						knownvalue.StringExact(env.emu.OrganizationID())),
				},
				Check: func(*terraform.State) error {
					if n := env.emu.RequestCount(emulator.RouteGetOrganization); n == 0 {
						return fmt.Errorf("GET /v1/organizations/me was never asked")
					}
					return nil
				},
			},
			emptyPlanStep(cfg),
		},
	})
}

// Keyless, the provider acts with a token minted by a federation exchange:
// not an interactive credential, so an admin service account is refused,
// and the diagnostic says so on organization_role.
func TestAccServiceAccount_adminRefusedKeyless(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	admin := env.seedAdminRule(t)
	cfg := env.keylessProvider(t, admin) + serviceAccountConfig("robot-admin", `  organization_role = "admin"`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      cfg,
			ExpectError: wrapTolerant(`(?s)organization_role admin needs an interactive credential.*a user's OAuth token.*a token minted by a federation exchange.*is not one.*403`),
		}},
	})
}
