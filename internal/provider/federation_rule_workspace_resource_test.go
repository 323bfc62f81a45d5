package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// enablementConfig is a rule that leaves its enablements to
// anthropic_federation_rule_workspace, plus one enablement per workspace.
func enablementConfig(f ruleFixture, workspaceIDs ...string) string {
	cfg := ruleCfg{
		issuerID: f.issuer.ID,
		saID:     f.sa.ID,
		extra: `lifecycle {
    ignore_changes = [workspace_ids]
  }`,
	}.hcl()
	for i, ws := range workspaceIDs {
		cfg += fmt.Sprintf(`
resource "anthropic_federation_rule_workspace" "ws%d" {
  federation_rule_id = anthropic_federation_rule.test.id
  workspace_id       = %q
}
`, i, ws)
	}
	return cfg
}

func TestAccFederationRuleWorkspace_lifecycle(t *testing.T) {
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	prod, staging, research := env.workspaceID(t, "production"), env.workspaceID(t, "staging"), env.workspaceID(t, "research")
	const rule, ws0, ws1 = "anthropic_federation_rule.test", "anthropic_federation_rule_workspace.ws0", "anthropic_federation_rule_workspace.ws1"
	var ruleID string

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkRulesArchived(&ruleID),
		Steps: []resource.TestStep{
			// Enable the rule in two more workspaces with separate resources.
			{
				Config: env.config(enablementConfig(f, prod, staging)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ws0, tfjsonpath.New("workspace_name"), knownvalue.StringExact("production")),
					statecheck.ExpectKnownValue(ws0, tfjsonpath.New("created_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`))),
					statecheck.ExpectKnownValue(ws0, tfjsonpath.New("created_by_actor_id"), knownvalue.StringRegexp(regexp.MustCompile(`^(user|svac)_`))),
					statecheck.ExpectKnownValue(ws1, tfjsonpath.New("workspace_name"), knownvalue.StringExact("staging")),
				},
				Check: resource.ComposeTestCheckFunc(
					captureID(rule, &ruleID),
					env.checkRuleWorkspaces(&ruleID, false, env.emu.DefaultWorkspaceID(), prod, staging),
					func(s *terraform.State) error {
						if got, want := s.RootModule().Resources[ws0].Primary.ID, ruleID+":"+prod; got != want {
							return fmt.Errorf("enablement id = %s, want %s", got, want)
						}
						return nil
					},
				),
			},
			// The rule ignores its workspace_ids, so the two coexist: no diff.
			emptyPlanStep(env.config(enablementConfig(f, prod, staging))),
			// Import by composite ID.
			{
				ResourceName:      ws0,
				ImportState:       true,
				ImportStateVerify: true,
			},
			// Moving an enablement to another workspace replaces it.
			{
				Config: env.config(enablementConfig(f, prod, research)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(ws1, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction(ws0, plancheck.ResourceActionNoop),
				}},
				Check: env.checkRuleWorkspaces(&ruleID, false, env.emu.DefaultWorkspaceID(), prod, research),
			},
			// Drift: disabled behind Terraform's back, the plan enables it again.
			{
				PreConfig: func() {
					if err := env.client.DisableFederationRuleWorkspace(bg, ruleID, research); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(enablementConfig(f, prod, research)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(ws1, plancheck.ResourceActionCreate),
				}},
				Check: env.checkRuleWorkspaces(&ruleID, false, env.emu.DefaultWorkspaceID(), prod, research),
			},
			// Removing the resource disables the rule in that workspace only.
			{
				Config: env.config(enablementConfig(f, prod)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(ws1, plancheck.ResourceActionDestroy),
				}},
				Check: env.checkRuleWorkspaces(&ruleID, false, env.emu.DefaultWorkspaceID(), prod),
			},
			// Import of an enablement made outside Terraform, then no diff.
			{
				PreConfig: func() {
					if _, err := env.client.EnableFederationRuleWorkspace(bg, ruleID, staging); err != nil {
						t.Fatal(err)
					}
				},
				Config:             env.config(enablementConfig(f, prod, staging)),
				ResourceName:       ws1,
				ImportState:        true,
				ImportStateIdFunc:  func(*terraform.State) (string, error) { return ruleID + ":" + staging, nil },
				ImportStatePersist: true,
			},
			emptyPlanStep(env.config(enablementConfig(f, prod, staging))),
			{
				Config:        env.config(enablementConfig(f, prod, staging)),
				ResourceName:  ws1,
				ImportState:   true,
				ImportStateId: "fdrl_01ABCDEFGHIJKLMNOPQRSTUVWX",
				ExpectError:   wrapTolerant(`expected an ID of the form fdrl_\.\.\.:wrkspc_\.\.\.`),
			},
		},
	})
}

func TestAccFederationRuleWorkspace_invalid(t *testing.T) {
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	params := env.googleRuleParams(f, "everywhere")
	all := true
	params.WorkspaceID, params.AppliesToAllWorkspaces = nil, &all
	everywhere, err := env.client.CreateFederationRule(bg, params)
	if err != nil {
		t.Fatal(err)
	}
	enable := func(ruleID, ws string) string {
		return fmt.Sprintf(`
resource "anthropic_federation_rule_workspace" "test" {
  federation_rule_id = %q
  workspace_id       = %q
}
`, ruleID, ws)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(enable("svac_01ABCDEFGHIJKLMNOPQRSTUVWX", "wrkspc_01ABCDEFGHIJKLMNOPQRSTUVWX")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)federation_rule_id.*fdrl_01`),
			},
			{
				Config:      env.config(enable(everywhere.ID, "production")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)workspace_id.*wrkspc_`),
			},
			// A rule that applies everywhere still takes explicit enablements
			// (kept, and ignored at exchange while it applies to all).
			{
				Config: env.config(enable(everywhere.ID, env.workspaceID(t, "staging"))),
				Check: env.checkRuleAPI(&everywhere.ID, func(r *client.FederationRule) error {
					if !r.AppliesToAllWorkspaces || len(r.WorkspaceIDs) != 1 || r.WorkspaceIDs[0] != env.workspaceID(t, "staging") {
						return fmt.Errorf("rule = all %v, workspace_ids %v; want all and the staging enablement", r.AppliesToAllWorkspaces, r.WorkspaceIDs)
					}
					return nil
				}),
			},
		},
	})
}
