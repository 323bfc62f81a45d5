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

func TestAccServiceAccount_lifecycle(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_service_account.test"
	var firstID, secondID string

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkServiceAccountsArchived(&firstID, &secondID),
		Steps: []resource.TestStep{
			// Create.
			{
				Config: env.config(serviceAccountConfig("ci-deployer", `  description = "Deploys from CI"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringRegexp(svacIDPattern)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("ci-deployer")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("description"), knownvalue.StringExact("Deploys from CI")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("organization_role"), knownvalue.StringExact("developer")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_by_actor_id"), knownvalue.StringRegexp(regexp.MustCompile(`^(user|svac)_`))),
				},
				Check: captureID(addr, &firstID),
			},
			// Re-apply of the same configuration plans nothing.
			emptyPlanStep(env.config(serviceAccountConfig("ci-deployer", `  description = "Deploys from CI"`))),
			// Update in place.
			{
				Config: env.config(serviceAccountConfig("ci-deployer", `  description = "Deploys from CI, v2"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "description", "Deploys from CI, v2"),
					sameID(addr, &firstID),
					env.checkServiceAccountAPI(&firstID, func(sa *client.ServiceAccount) error {
						if sa.Description != "Deploys from CI, v2" {
							return fmt.Errorf("API description = %q", sa.Description)
						}
						return nil
					}),
				),
			},
			// Removing the description clears it (explicit null on the wire).
			{
				Config: env.config(serviceAccountConfig("ci-deployer", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("description"), knownvalue.Null()),
				},
				Check: env.checkServiceAccountAPI(&firstID, func(sa *client.ServiceAccount) error {
					if sa.Description != "" {
						return fmt.Errorf("API description = %q, want cleared", sa.Description)
					}
					return nil
				}),
			},
			// Import by ID reproduces the state.
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			// Drift: changed behind Terraform's back, the plan puts it back.
			{
				PreConfig: func() {
					_, err := env.client.UpdateServiceAccount(bg, firstID, client.ServiceAccountUpdateParams{
						Description: client.Set("edited in the console"),
					})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(serviceAccountConfig("ci-deployer", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("description"), knownvalue.Null()),
					},
				},
				Check: env.checkServiceAccountAPI(&firstID, func(sa *client.ServiceAccount) error {
					if sa.Description != "" {
						return fmt.Errorf("drift not repaired: API description = %q", sa.Description)
					}
					return nil
				}),
			},
			// Drift: archived behind Terraform's back, the plan re-creates it.
			{
				PreConfig: func() {
					if _, err := env.client.ArchiveServiceAccount(bg, firstID); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(serviceAccountConfig("ci-deployer", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
				Check: resource.ComposeTestCheckFunc(
					captureID(addr, &secondID),
					func(*terraform.State) error {
						if secondID == firstID {
							return fmt.Errorf("expected a new service account, got the archived one back")
						}
						firstID = secondID
						return nil
					},
				),
			},
			// Renaming replaces: the old one is archived, a new one created.
			{
				Config: env.config(serviceAccountConfig("ci-deployer-renamed", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: resource.ComposeTestCheckFunc(
					env.checkServiceAccountAPI(&firstID, func(sa *client.ServiceAccount) error {
						if !sa.IsArchived() {
							return fmt.Errorf("replaced service account %s is not archived", sa.ID)
						}
						return nil
					}),
					captureID(addr, &secondID),
					resource.TestCheckResourceAttr(addr, "name", "ci-deployer-renamed"),
				),
			},
		},
	})
}

func TestAccServiceAccount_importUnmanaged(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_service_account.test"
	desc := "made by hand"
	sa, err := env.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "hand-made", Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	cfg := env.config(serviceAccountConfig("hand-made", `  description = "made by hand"`))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: importUnmanagedSteps(cfg, addr, sa.ID, func(a map[string]string) error {
			if a["name"] != "hand-made" || a["description"] != desc {
				return fmt.Errorf("unexpected import result: %+v", a)
			}
			return nil
		}, "not-an-id", regexp.MustCompile(`Import a service account by its ID`)),
	})
}

func TestAccServiceAccount_conflictingName(t *testing.T) {
	env := newTestEnv(t)
	if _, err := env.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "taken"}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      env.config(serviceAccountConfig("taken", "")),
			ExpectError: regexp.MustCompile(`(?s)A service account named "taken" already exists.*terraform import`),
		}},
	})
}

// Destroying a service account a live rule targets fails with a diagnostic
// that names the rule, and succeeds once the rule is gone.
func TestAccServiceAccount_destroyBlockedByRule(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_service_account.test"
	var saID, ruleID string
	cfg := env.config(serviceAccountConfig("blocked", ""))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkServiceAccountsArchived(&saID),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(captureID(addr, &saID), func(*terraform.State) error {
					iss, err := env.client.CreateFederationIssuer(bg, client.FederationIssuerCreateParams{Name: "ci", IssuerURL: "https://issuer.example.com"})
					if err != nil {
						return err
					}
					ws := env.workspaceID(t, "production")
					prefix := "ci:deployer"
					rule, err := env.client.CreateFederationRule(bg, client.FederationRuleCreateParams{
						Name: "ci-deployer-rule", IssuerID: iss.ID, Match: client.RuleMatch{SubjectPrefix: &prefix},
						Target: client.RuleTarget{Type: "service_account", ServiceAccountID: saID}, OAuthScope: "workspace:developer", WorkspaceID: &ws,
					})
					if err != nil {
						return err
					}
					ruleID = rule.ID
					return nil
				}),
			},
			{
				Config:      env.config(""),
				ExpectError: regexp.MustCompile(`Live federation rules still target this service\s+account:\s+fdrl_\w+\s+\(ci-deployer-rule\)`),
			},
			{
				PreConfig: func() {
					if _, err := env.client.ArchiveFederationRule(bg, ruleID); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(""),
			},
		},
	})
}
