package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// googleMatch is a well-pinned match for a Google service account.
func googleMatch(email string) string {
	return fmt.Sprintf(`{
    audience = %q
    claims = {
      sub   = %q
      email = %q
    }
  }`, testAudience, testGoogleSub, email)
}

// defaultWorkspaceRef is the default workspace's ID as configurations get
// it: from the workspace data source.
const defaultWorkspaceRef = "data.anthropic_workspace.default.id"

func TestAccFederationRule_lifecycle(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_federation_rule.test"
	f := env.googleRuleFixture(t)
	otherIssuer := env.issuer(t, "google-other-org", policy.GoogleIssuer)
	prod, staging, research := env.workspaceID(t, "production"), env.workspaceID(t, "staging"), env.workspaceID(t, "research")
	sa2 := env.serviceAccount(t, "cloud-run-agent-2")
	var firstID, secondID, thirdID string

	base := ruleCfg{issuerID: f.issuer.ID, saID: f.sa.ID, workspaces: fmt.Sprintf(`workspace_ids = [%q]`, prod)}
	updated := base
	updated.name = "cloud-run-agent-v2"
	updated.match = `{
    audience  = "` + testAudience + `"
    claims = {
      sub   = "` + testGoogleSub + `"
      email = "` + testGoogleEmail + `"
    }
    condition = "claims.email_verified == true"
  }`
	updated.scope = "workspace:inference"
	updated.saID = sa2.ID
	updated.extra = `token_lifetime_seconds = 900
  description = "Cloud Run agent"`
	twoWorkspaces := updated
	twoWorkspaces.workspaces = fmt.Sprintf(`workspace_ids = [%q, %q]`, prod, staging)
	stagingOnly := updated
	stagingOnly.workspaces = fmt.Sprintf(`workspace_ids = [%q]`, staging)
	allWorkspaces := updated
	allWorkspaces.workspaces = `applies_to_all_workspaces = true`
	backToList := updated
	backToList.workspaces = fmt.Sprintf(`workspace_ids = [%s, %q]`, defaultWorkspaceRef, prod)
	renamed := backToList
	renamed.name = "cloud-run-agent-v3"
	newIssuer := renamed
	newIssuer.issuerID = otherIssuer.ID

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkRulesArchived(&firstID, &secondID, &thirdID),
		Steps: []resource.TestStep{
			// Create, enabled in one workspace.
			{
				Config: env.config(base.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
						// The target was read at plan time: its name is known.
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("target").AtMapKey("service_account_name"), knownvalue.StringExact("cloud-run-agent")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringRegexp(fdrlIDPattern)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("issuer_name"), knownvalue.StringExact("google")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("description"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("match"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"audience":       knownvalue.StringExact(testAudience),
						"claims":         knownvalue.MapExact(map[string]knownvalue.Check{"sub": knownvalue.StringExact(testGoogleSub), "email": knownvalue.StringExact(testGoogleEmail)}),
						"subject_prefix": knownvalue.Null(),
						"condition":      knownvalue.Null(),
					})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("target"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"service_account_id":   knownvalue.StringExact(f.sa.ID),
						"service_account_name": knownvalue.StringExact("cloud-run-agent"),
					})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("workspace_ids"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(prod)})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("applies_to_all_workspaces"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_lifetime_seconds"), knownvalue.Int64Exact(3600)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("allow_google_subject_prefix"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_by_actor_id"), knownvalue.StringRegexp(regexp.MustCompile(`^(user|svac)_`))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sdk_environment"), knownvalue.MapExact(map[string]knownvalue.Check{
						"ANTHROPIC_FEDERATION_RULE_ID": knownvalue.StringRegexp(fdrlIDPattern),
						"ANTHROPIC_ORGANIZATION_ID":    knownvalue.StringExact(env.emu.OrganizationID()),
						"ANTHROPIC_SERVICE_ACCOUNT_ID": knownvalue.StringExact(f.sa.ID),
						"ANTHROPIC_WORKSPACE_ID":       knownvalue.StringExact(prod),
					})),
				},
				Check: resource.ComposeTestCheckFunc(captureID(addr, &firstID), env.checkRuleWorkspaces(&firstID, false, prod)),
			},
			// Re-apply plans nothing.
			emptyPlanStep(env.config(base.hcl())),
			// name, match, target, oauth_scope, token lifetime and description
			// change in place.
			{
				Config: env.config(updated.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					expectChangedAttributes(addr, "name", "match", "target", "oauth_scope", "token_lifetime_seconds", "description", "sdk_environment"),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("target").AtMapKey("service_account_name"), knownvalue.StringExact("cloud-run-agent-2")),
				}},
				Check: resource.ComposeTestCheckFunc(
					sameID(addr, &firstID),
					env.checkRuleAPI(&firstID, func(r *client.FederationRule) error {
						switch {
						case r.Name != "cloud-run-agent-v2", r.OAuthScope != "workspace:inference", r.TokenLifetimeSeconds != 900:
							return fmt.Errorf("API rule not updated: %+v", r)
						case r.Match.Condition == nil || *r.Match.Condition != "claims.email_verified == true":
							return fmt.Errorf("API condition = %v", r.Match.Condition)
						case r.Description == nil || *r.Description != "Cloud Run agent":
							return fmt.Errorf("API description = %v", r.Description)
						case r.Target.ServiceAccountID != sa2.ID:
							return fmt.Errorf("API target = %+v", r.Target)
						}
						return nil
					}),
					env.checkRuleWorkspaces(&firstID, false, prod),
				),
			},
			// Adding a workspace enables it in place; with two workspaces the
			// workload must choose, so ANTHROPIC_WORKSPACE_ID is left out.
			{
				Config: env.config(twoWorkspaces.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sdk_environment"), knownvalue.MapSizeExact(3)),
				},
				Check: resource.ComposeTestCheckFunc(sameID(addr, &firstID), env.checkRuleWorkspaces(&firstID, false, prod, staging)),
			},
			// Removing the first workspace disables it in place.
			{
				Config: env.config(stagingOnly.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(sameID(addr, &firstID), env.checkRuleWorkspaces(&firstID, false, staging)),
			},
			// Switching to every workspace drops the explicit enablements.
			{
				Config: env.config(allWorkspaces.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("applies_to_all_workspaces"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("workspace_ids"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(sameID(addr, &firstID), env.checkRuleWorkspaces(&firstID, true)),
			},
			// And back to a list.
			{
				Config: env.config(backToList.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(sameID(addr, &firstID), env.checkRuleWorkspaces(&firstID, false, env.emu.DefaultWorkspaceID(), prod)),
			},
			// Import by ID reproduces the state.
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			// Drift: match.claims edited by hand; the plan puts back exactly that.
			{
				PreConfig: func() {
					rule, err := env.client.GetFederationRule(bg, firstID)
					if err != nil {
						t.Fatal(err)
					}
					m := rule.Match
					m.Claims = map[string]string{"sub": testGoogleSub, "email": "intruder@my-project.iam.gserviceaccount.com"}
					if _, err := env.client.UpdateFederationRule(bg, firstID, client.FederationRuleUpdateParams{Match: client.Set(m)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(backToList.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("match").AtMapKey("claims"), knownvalue.MapExact(map[string]knownvalue.Check{
						"sub": knownvalue.StringExact(testGoogleSub), "email": knownvalue.StringExact(testGoogleEmail),
					})),
					expectChangedAttributes(addr, "match"),
				}},
				Check: env.checkRuleAPI(&firstID, func(r *client.FederationRule) error {
					if r.Match.Claims["email"] != testGoogleEmail {
						return fmt.Errorf("drift not repaired: API claims = %v", r.Match.Claims)
					}
					return nil
				}),
			},
			// Drift: an enablement added behind Terraform's back is removed.
			{
				PreConfig: func() {
					if _, err := env.client.EnableFederationRuleWorkspace(bg, firstID, research); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(backToList.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("workspace_ids"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact(env.emu.DefaultWorkspaceID()), knownvalue.StringExact(prod),
					})),
					expectChangedAttributes(addr, "workspace_ids"),
				}},
				Check: env.checkRuleWorkspaces(&firstID, false, env.emu.DefaultWorkspaceID(), prod),
			},
			// Read-your-writes: reads lag writes by 2 s, yet the plan after an
			// update is empty because the apply waited for its write.
			{
				PreConfig: func() { env.emu.SetStaleReads(2 * time.Second) },
				Config:    env.config(renamed.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				// Right after the apply, reads already show the write: the
				// apply returned only once it was visible.
				Check: resource.ComposeTestCheckFunc(
					sameID(addr, &firstID),
					env.checkRuleAPI(&firstID, func(r *client.FederationRule) error {
						if r.Name != "cloud-run-agent-v3" {
							return fmt.Errorf("apply returned before its write was readable: API still shows name %q", r.Name)
						}
						return nil
					}),
				),
			},
			emptyPlanStep(env.config(renamed.hcl())),
			// Drift: archived behind Terraform's back, the plan re-creates it.
			{
				PreConfig: func() {
					env.emu.SetStaleReads(0)
					if _, err := env.client.ArchiveFederationRule(bg, firstID); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(renamed.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(
					captureID(addr, &secondID),
					func(*terraform.State) error {
						if secondID == firstID {
							return fmt.Errorf("expected a new rule, got the archived one back")
						}
						return nil
					},
					env.checkRuleWorkspaces(&secondID, false, env.emu.DefaultWorkspaceID(), prod),
				),
			},
			// A new issuer replaces the rule: the old one is archived first
			// (names are unique among live rules).
			{
				Config: env.config(newIssuer.hcl()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(
					env.checkRuleAPI(&secondID, func(r *client.FederationRule) error {
						if !r.IsArchived() {
							return fmt.Errorf("replaced rule %s is not archived", r.ID)
						}
						return nil
					}),
					captureID(addr, &thirdID),
					resource.TestCheckResourceAttr(addr, "issuer_id", otherIssuer.ID),
					resource.TestCheckResourceAttr(addr, "issuer_name", "google-other-org"),
				),
			},
		},
	})
}

func TestAccFederationRule_importUnmanaged(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_federation_rule.test"
	f := env.googleRuleFixture(t)
	params := env.googleRuleParams(f, "hand-made")
	desc := "made in the console"
	params.Description = &desc
	rule, err := env.client.CreateFederationRule(bg, params)
	if err != nil {
		t.Fatal(err)
	}
	cfg := env.config(ruleCfg{name: "hand-made", issuerID: f.issuer.ID, saID: f.sa.ID, extra: `description = "made in the console"`}.hcl())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: importUnmanagedSteps(cfg, addr, rule.ID, func(a map[string]string) error {
			if a["name"] != "hand-made" || a["match.claims.sub"] != testGoogleSub {
				return fmt.Errorf("unexpected import result: %+v", a)
			}
			return nil
		}, "svac_01ABCDEFGHIJKLMNOPQRSTUVWX", regexp.MustCompile(`Import a federation rule by its ID \(fdrl_`)),
	})
}

// The provider's OAuth credential may not create rules with privileged
// scopes; the diagnostic must say why and what to do.
func TestAccFederationRule_privilegedScopeRefused(t *testing.T) {
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	admin, err := env.consoleClient(t).CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "org-admin-robot", OrganizationRole: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(ruleCfg{issuerID: f.issuer.ID, saID: admin.ID, scope: "org:admin"}.hcl()),
				ExpectError: wrapTolerant(`(?s)oauth_scope org:admin needs a Console session.*OAuth access token.*workspace:developer and/or workspace:inference.*import`),
			},
			{
				Config:      env.config(ruleCfg{issuerID: f.issuer.ID, saID: f.sa.ID, scope: "workspace:manage_tunnels"}.hcl()),
				ExpectError: wrapTolerant(`(?s)oauth_scope workspace:manage_tunnels needs a Console session.*403`),
			},
		},
	})
	if n := env.emu.RequestCount(emulator.RouteCreateRule); n != 2 {
		t.Errorf("create attempts = %d, want 2 (one per refused rule)", n)
	}
}

// An issuer created in the same apply is unknown at plan time: the tenant
// checks then run in Create, before the rule is written.
func TestAccFederationRule_issuerUnknownAtPlan(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_federation_rule.test"
	sa := env.serviceAccount(t, "cloud-run-agent")
	// Each step adds a new issuer, so its ID is unknown at every plan.
	rule := func(issuer, match string) string {
		return fmt.Sprintf(`
resource "anthropic_federation_issuer" %[1]q {
  name       = %[1]q
  issuer_url = "https://accounts.google.com"
}
`, issuer) + strings.Replace(ruleCfg{issuerID: "ISSUER", saID: sa.ID, match: match}.hcl(),
			`"ISSUER"`, "anthropic_federation_issuer."+issuer+".id", 1)
	}
	var ruleID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkRulesArchived(&ruleID),
		Steps: []resource.TestStep{
			{
				Config: env.config(rule("google-a", `{
    audience = "`+testAudience+`"
    claims   = { sub = "`+testGoogleEmail+`", email = "`+testGoogleEmail+`" }
  }`)),
				ExpectError: wrapTolerant(`(?s)match\.claims\.sub: Google's sub is the account's numeric uniqueId, not its email`),
			},
			{
				PreConfig: func() {
					if n := env.emu.RequestCount(emulator.RouteCreateRule); n != 0 {
						t.Fatalf("the refused rule reached the API: %d create requests", n)
					}
				},
				Config: env.config(rule("google-b", googleMatch(testGoogleEmail))),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("issuer_id")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("issuer_name"), knownvalue.StringExact("google-b")),
				},
				Check: captureID(addr, &ruleID),
			},
		},
	})
}

// allow_google_subject_prefix turns the provider's error into a warning;
// the service keeps its own guard.
func TestAccFederationRule_googleSubjectPrefixOptOut(t *testing.T) {
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	cfg := ruleCfg{issuerID: f.issuer.ID, saID: f.sa.ID, extra: "allow_google_subject_prefix = true", match: `{
    audience       = "` + testAudience + `"
    subject_prefix = "` + testGoogleSub + `"
    claims         = { email = "` + testGoogleEmail + `" }
  }`}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:             env.config(cfg.hcl()),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config:      env.config(cfg.hcl()),
				ExpectError: wrapTolerant(`(?s)Unable to create federation rule.*400.*match\.subject_prefix`),
			},
		},
	})
}

// A rule whose issuer is created in the same run passes plan with a
// warning, fails its check at apply before any write, and never traps the
// configuration: `terraform destroy` (whose pre-destroy refresh plans the
// configuration again, now with the issuer known) still succeeds.
func TestAccFederationRule_guardNeverTrapsDestroy(t *testing.T) {
	env := newTestEnv(t)
	sa := env.serviceAccount(t, "cloud-run-agent")
	cfg := env.config(`
resource "anthropic_federation_issuer" "google" {
  name       = "google-same-run"
  issuer_url = "https://accounts.google.com"
}
` + strings.Replace(ruleCfg{issuerID: "ISSUER", saID: sa.ID, match: `{
    audience = "` + testAudience + `"
    claims   = { sub = "` + testGoogleEmail + `", email = "` + testGoogleEmail + `" }
  }`}.hcl(), `"ISSUER"`, "anthropic_federation_issuer.google.id", 1))
	var issuerID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			// Plan: the issuer is unknown, so the tenant check is announced.
			{
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config:      cfg,
				ExpectError: wrapTolerant(`(?s)match\.claims\.sub: Google's sub is the account's numeric uniqueId, not its email`),
			},
			// The issuer was created; the rule was not.
			{
				PreConfig: func() {
					for is, err := range env.client.ListFederationIssuers(bg, client.ListParams{}) {
						if err != nil {
							t.Fatal(err)
						}
						if is.Name == "google-same-run" {
							issuerID = is.ID
						}
					}
					if issuerID == "" {
						t.Fatal("the issuer was not created")
					}
					if n := env.emu.RequestCount(emulator.RouteCreateRule); n != 0 {
						t.Fatalf("the refused rule reached the API: %d create requests", n)
					}
				},
				Config:  cfg,
				Destroy: true,
			},
		},
	})
	is, err := env.client.GetFederationIssuer(bg, issuerID)
	if err != nil || !is.IsArchived() {
		t.Errorf("destroy did not archive the issuer: %+v, %v", is, err)
	}
}

// Rules share the reads of their issuer and target service account within
// one Terraform operation: creating six rules on one issuer and service
// account reads each no more often than creating one, so a rule create
// costs its write and its read-back.
func TestAccFederationRule_createsShareGuardReads(t *testing.T) {
	t.Parallel()
	guardReads := func(t *testing.T, rules int) (reads, creates int) {
		env := newTestEnv(t)
		is := env.issuer(t, "google", policy.GoogleIssuer)
		sa := env.serviceAccount(t, "agent")
		var body strings.Builder
		for i := range rules {
			fmt.Fprintf(&body, `
resource "anthropic_federation_rule" "r%d" {
  name          = "rule-%d"
  issuer_id     = %q
  match         = %s
  target        = { service_account_id = %q }
  oauth_scope   = "workspace:developer"
  workspace_ids = [%q]
}
`, i, i, is.ID, googleMatch(testGoogleEmail), sa.ID, env.emu.DefaultWorkspaceID())
		}
		env.emu.ResetCounters()
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps:                    []resource.TestStep{{Config: env.config(body.String())}},
		})
		return env.emu.RequestCount(emulator.RouteGetIssuer) + env.emu.RequestCount(emulator.RouteGetServiceAccount),
			env.emu.RequestCount(emulator.RouteCreateRule)
	}
	oneReads, oneCreates := guardReads(t, 1)
	sixReads, sixCreates := guardReads(t, 6)
	if oneCreates != 1 || sixCreates != 6 {
		t.Fatalf("created %d and %d rules, want 1 and 6", oneCreates, sixCreates)
	}
	if sixReads != oneReads {
		t.Errorf("issuer and service account reads: %d for six rules, %d for one; want the same (each read once per provider instance)", sixReads, oneReads)
	}
}
