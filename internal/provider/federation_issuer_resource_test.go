package provider

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"regexp"
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
)

func issuerConfig(name, issuerURL, extra string) string {
	return fmt.Sprintf(`
resource "anthropic_federation_issuer" "test" {
  name       = %q
  issuer_url = %q
%s
}
`, name, issuerURL, extra)
}

// defaultJWKS is the planned and stored value when jwks is omitted.
var defaultJWKS = knownvalue.ObjectExact(map[string]knownvalue.Check{
	"type":           knownvalue.StringExact("discovery"),
	"discovery_base": knownvalue.Null(),
	"url":            knownvalue.Null(),
	"ca_cert_pem":    knownvalue.Null(),
	"keys":           knownvalue.Null(),
})

func TestAccFederationIssuer_lifecycle(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_federation_issuer.test"
	var firstID, secondID, ruleID string

	k1, k2 := testPublicJWK(t, 0, "key-1"), testPublicJWK(t, 1, "key-2")
	caPEM := testCACertPEM(t)
	updated := `
  check_jti                = false
  max_jwt_lifetime_seconds = 7200
`
	inlinePretty := updated + fmt.Sprintf(`
  jwks = {
    type = "inline"
    keys = <<-EOT
%s
    EOT
  }
`, prettyJWKS(t, k1, k2))
	// The same keys, other order, other formatting.
	inlineReordered := updated + fmt.Sprintf(`
  jwks = {
    type = "inline"
    keys = jsonencode([jsondecode(%q), jsondecode(%q)])
  }
`, k2, k1)
	explicit := updated + fmt.Sprintf(`
  jwks = {
    type        = "explicit_url"
    url         = "https://login.example.com/oauth2/keys"
    ca_cert_pem = %q
  }
`, caPEM)
	// Polling must run: a pause by Anthropic shows as drift.
	explicitResume := explicit + "  jwks_polling_disabled = false\n"
	pause := func() {
		if err := env.emu.DisableJWKSPolling(firstID); err != nil {
			t.Fatal(err)
		}
	}
	var updatesBeforeCreate int

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkIssuersArchived(&firstID, &secondID),
		Steps: []resource.TestStep{
			// Create with the server defaults, planned as known values.
			{
				Config: env.config(issuerConfig("corp-idp", "https://idp.example.com", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("jwks"), defaultJWKS),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("check_jti"), knownvalue.Bool(true)),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("max_jwt_lifetime_seconds"), knownvalue.Int64Exact(3600)),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringRegexp(fdisIDPattern)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("corp-idp")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("issuer_url"), knownvalue.StringExact("https://idp.example.com")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks"), defaultJWKS),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("check_jti"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("max_jwt_lifetime_seconds"), knownvalue.Int64Exact(3600)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("consecutive_failures"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("last_fetched_at"), knownvalue.StringRegexp(timestampRegexp)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_at"), knownvalue.StringRegexp(timestampRegexp)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_by_actor_id"), knownvalue.StringRegexp(regexp.MustCompile(`^(user|svac)_`))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("updated_by_actor_id"), knownvalue.StringRegexp(regexp.MustCompile(`^(user|svac)_`))),
				},
				Check: resource.ComposeTestCheckFunc(
					captureID(addr, &firstID),
					env.checkIssuerAPI(&firstID, func(iss *client.FederationIssuer) error {
						if iss.JWKS.Type != "discovery" || iss.JWKS.DiscoveryBase != nil || !iss.CheckJTI || iss.MaxJWTLifetimeSeconds != 3600 {
							return fmt.Errorf("API issuer = %+v", iss)
						}
						return nil
					}),
				),
			},
			// Re-apply of the same configuration plans nothing.
			emptyPlanStep(env.config(issuerConfig("corp-idp", "https://idp.example.com", ""))),
			// Name, issuer URL, check_jti and lifetime change in place.
			{
				Config: env.config(issuerConfig("corp-idp-v2", "https://login.example.com", updated)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						expectChangedAttributes(addr, "name", "issuer_url", "check_jti", "max_jwt_lifetime_seconds"),
					},
				},
				Check: resource.ComposeTestCheckFunc(
					sameID(addr, &firstID),
					env.checkIssuerAPI(&firstID, func(iss *client.FederationIssuer) error {
						if iss.Name != "corp-idp-v2" || iss.IssuerURL != "https://login.example.com" || iss.CheckJTI || iss.MaxJWTLifetimeSeconds != 7200 {
							return fmt.Errorf("API issuer not updated: %+v", iss)
						}
						return nil
					}),
				),
			},
			// discovery -> inline, in place; the heredoc's formatting stays in state.
			{
				Config: env.config(issuerConfig("corp-idp-v2", "https://login.example.com", inlinePretty)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						expectChangedAttributes(addr, "jwks"),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks").AtMapKey("type"), knownvalue.StringExact("inline")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks").AtMapKey("keys"), knownvalue.StringExact(prettyJWKS(t, k1, k2)+"\n")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks").AtMapKey("discovery_base"), knownvalue.Null()),
					// Inline keys are never polled: the API answers poll_status null.
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(
					sameID(addr, &firstID),
					env.checkIssuerAPI(&firstID, func(iss *client.FederationIssuer) error {
						if iss.JWKS.Type != "inline" || len(iss.JWKS.Keys) != 2 {
							return fmt.Errorf("API jwks = %+v", iss.JWKS)
						}
						return nil
					}),
				),
			},
			// Reordered and reformatted keys are the same keys: nothing to do.
			emptyPlanStep(env.config(issuerConfig("corp-idp-v2", "https://login.example.com", inlineReordered))),
			// inline -> explicit_url with a private CA, in place.
			{
				Config: env.config(issuerConfig("corp-idp-v2", "https://login.example.com", explicit)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						expectChangedAttributes(addr, "jwks"),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"type":           knownvalue.StringExact("explicit_url"),
						"discovery_base": knownvalue.Null(),
						"url":            knownvalue.StringExact("https://login.example.com/oauth2/keys"),
						"ca_cert_pem":    knownvalue.StringExact(caPEM),
						"keys":           knownvalue.Null(),
					})),
				},
				Check: resource.ComposeTestCheckFunc(
					sameID(addr, &firstID),
					env.checkIssuerAPI(&firstID, func(iss *client.FederationIssuer) error {
						if iss.JWKS.Type != "explicit_url" || iss.JWKS.URL != "https://login.example.com/oauth2/keys" || iss.JWKS.CACertPEM == nil || len(iss.JWKS.Keys) != 0 {
							return fmt.Errorf("API jwks = %+v", iss.JWKS)
						}
						return nil
					}),
				),
			},
			// Import by ID reproduces the state, except the write-only
			// jwks_polling_disabled, which an import leaves unset (null)
			// so that generated configuration does not set it.
			{
				ResourceName:            addr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"jwks_polling_disabled"},
			},
			// Anthropic paused polling (after repeated fetch failures); with
			// jwks_polling_disabled omitted, that is no change to make.
			{
				PreConfig: pause,
				Config:    env.config(issuerConfig("corp-idp-v2", "https://login.example.com", explicit)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled_at"), knownvalue.StringRegexp(timestampRegexp)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("next_poll_at"), knownvalue.Null()),
				},
			},
			// Other updates leave a pause alone while the attribute is omitted.
			{
				Config: env.config(issuerConfig("corp-idp-v3", "https://login.example.com", explicit)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						expectChangedAttributes(addr, "name"),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled"), knownvalue.Bool(true)),
				},
				Check: env.checkIssuerAPI(&firstID, func(iss *client.FederationIssuer) error {
					if iss.Name != "corp-idp-v3" || iss.JWKSPollingDisabledAt == nil {
						return fmt.Errorf("API issuer = %+v, want renamed and still paused", iss)
					}
					return nil
				}),
			},
			// jwks_polling_disabled = false resumes: the pause is the change.
			{
				Config: env.config(issuerConfig("corp-idp-v3", "https://login.example.com", explicitResume)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						expectChangedAttributes(addr, "jwks_polling_disabled"),
						expectBeforeAfter(addr, "jwks_polling_disabled", true, false),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("next_poll_at"), knownvalue.StringRegexp(timestampRegexp)),
				},
				Check: env.checkIssuerAPI(&firstID, func(iss *client.FederationIssuer) error {
					if iss.JWKSPollingDisabledAt != nil {
						return fmt.Errorf("API still paused since %s", iss.JWKSPollingDisabledAt)
					}
					return nil
				}),
			},
			// Drift by change: the plan repairs exactly the edited attribute.
			{
				PreConfig: func() {
					if _, err := env.client.UpdateFederationIssuer(bg, firstID, client.FederationIssuerUpdateParams{
						MaxJWTLifetimeSeconds: client.Set[int64](600),
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(issuerConfig("corp-idp-v3", "https://login.example.com", explicitResume)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						expectChangedAttributes(addr, "max_jwt_lifetime_seconds"),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("max_jwt_lifetime_seconds"), knownvalue.Int64Exact(7200)),
					},
				},
				Check: env.checkIssuerAPI(&firstID, func(iss *client.FederationIssuer) error {
					if iss.MaxJWTLifetimeSeconds != 7200 {
						return fmt.Errorf("drift not repaired: API max_jwt_lifetime_seconds = %d", iss.MaxJWTLifetimeSeconds)
					}
					return nil
				}),
			},
			// Paused again by Anthropic: drift the plan repairs by resuming.
			{
				PreConfig: pause,
				Config:    env.config(issuerConfig("corp-idp-v3", "https://login.example.com", explicitResume)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						expectChangedAttributes(addr, "jwks_polling_disabled"),
						expectBeforeAfter(addr, "jwks_polling_disabled", true, false),
					},
				},
				Check: env.checkIssuerAPI(&firstID, func(iss *client.FederationIssuer) error {
					if iss.JWKSPollingDisabledAt != nil {
						return fmt.Errorf("API still paused since %s", iss.JWKSPollingDisabledAt)
					}
					return nil
				}),
			},
			// Drift by archive: the plan re-creates it; nothing about polling
			// is sent (a new issuer polls).
			{
				PreConfig: func() {
					if _, err := env.client.ArchiveFederationIssuer(bg, firstID); err != nil {
						t.Fatal(err)
					}
					updatesBeforeCreate = env.emu.RequestCount(emulator.RouteUpdateIssuer)
				},
				Config: env.config(issuerConfig("corp-idp-v3", "https://login.example.com", explicitResume)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("jwks_polling_disabled_at"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(
					captureID(addr, &secondID),
					func(*terraform.State) error {
						if secondID == firstID {
							return fmt.Errorf("expected a new issuer, got the archived one back")
						}
						if n := env.emu.RequestCount(emulator.RouteUpdateIssuer) - updatesBeforeCreate; n != 0 {
							return fmt.Errorf("creating the issuer sent %d updates, want none", n)
						}
						return nil
					},
				),
			},
			// A live rule blocks destroy; the error names it.
			{
				PreConfig: func() {
					ruleID = env.createRuleOnIssuer(t, secondID, "blocking-rule")
				},
				Config:      env.config(""),
				ExpectError: regexp.MustCompile(`(?s)Unable to archive federation issuer.*fdrl_01[0-9A-Za-z]{24} \(blocking-rule\)`),
			},
			// With the rule archived, destroy archives the issuer.
			{
				PreConfig: func() {
					if _, err := env.client.ArchiveFederationRule(bg, ruleID); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroy)},
				},
			},
		},
	})
}

func TestAccFederationIssuer_importUnmanaged(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_federation_issuer.test"
	k1, k2 := testPublicJWK(t, 0, "k1"), testPublicJWK(t, 1, "k2")
	keys, err := jwksKeysToAPI("[" + k1 + "," + k2 + "]")
	if err != nil {
		t.Fatal(err)
	}
	maxLifetime := int64(900)
	iss, err := env.client.CreateFederationIssuer(bg, client.FederationIssuerCreateParams{
		Name:                  "hand-made",
		IssuerURL:             "https://ci.internal.example.com",
		JWKS:                  &client.JWKS{Type: "inline", Keys: keys},
		MaxJWTLifetimeSeconds: &maxLifetime,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The configuration lists the keys in another order and format than the API returns them.
	cfg := env.config(issuerConfig("hand-made", "https://ci.internal.example.com", fmt.Sprintf(`
  max_jwt_lifetime_seconds = 900
  jwks = {
    type = "inline"
    keys = <<-EOT
%s
    EOT
  }
`, prettyJWKS(t, k2, k1))))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: importUnmanagedSteps(cfg, addr, iss.ID, func(a map[string]string) error {
			if a["name"] != "hand-made" || a["jwks.type"] != "inline" || a["max_jwt_lifetime_seconds"] != "900" || a["check_jti"] != "true" {
				return fmt.Errorf("unexpected import result: %v", a)
			}
			return nil
		}, "svac_01ABCDEFGHIJKLMNOPQRSTUVWX", regexp.MustCompile(`Import a federation issuer by its ID`)),
	})
}

// The API may serve the previous version for a moment after a write; the
// resource waits for its own write, so the refresh right after apply (and
// the plan that follows) sees it and plans nothing.
func TestAccFederationIssuer_readYourWrites(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_federation_issuer.test"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: env.config(issuerConfig("lagging", "https://idp.example.com", ""))},
			{
				PreConfig: func() { env.emu.SetStaleReads(500 * time.Millisecond) },
				Config:    env.config(issuerConfig("lagging-renamed", "https://idp.example.com", "  max_jwt_lifetime_seconds = 120\n")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("lagging-renamed")),
				},
			},
		},
	})
}

// newTestEnvWithClock is newTestEnv with an emulator on a test clock.
func newTestEnvWithClock(t *testing.T, clock *testClock) *testEnv {
	t.Helper()
	emu := emulator.New(emulator.Options{Now: clock.Now})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{BaseURL: srv.URL, AuthToken: emu.AdminToken(), Version: "test", MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{emu: emu, server: srv, client: c}
}

// poll_status moves on its own: a refresh picks it up without planning a
// change, and an update while it moves is no inconsistent result.
func TestAccFederationIssuer_pollStatusMovesOnItsOwn(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := &testClock{now: start}
	env := newTestEnvWithClock(t, clock)
	const addr = "anthropic_federation_issuer.test"
	at := func(d time.Duration) knownvalue.Check {
		return knownvalue.StringExact(start.Add(d).Format(time.RFC3339))
	}
	cfg := env.config(issuerConfig("polled", "https://idp.example.com", ""))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("last_fetched_at"), at(0)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("next_poll_at"), at(time.Hour)),
				},
			},
			{
				PreConfig: func() { clock.Advance(2*time.Hour + time.Minute) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("last_fetched_at"), at(2*time.Hour)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("next_poll_at"), at(3*time.Hour)),
				},
			},
			{
				PreConfig: func() { clock.Advance(time.Hour) },
				Config:    env.config(issuerConfig("polled", "https://idp.example.com", "  check_jti = false\n")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(addr, tfjsonpath.New("poll_status")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("poll_status").AtMapKey("last_fetched_at"), at(3*time.Hour)),
				},
			},
		},
	})
}

func TestAccFederationIssuer_conflictingName(t *testing.T) {
	env := newTestEnv(t)
	if _, err := env.client.CreateFederationIssuer(bg, client.FederationIssuerCreateParams{Name: "taken", IssuerURL: "https://a.example.com"}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      env.config(issuerConfig("taken", "https://b.example.com", "")),
			ExpectError: regexp.MustCompile(`(?s)A federation issuer named "taken" already exists.*anthropic_federation_issuer`),
		}},
	})
}

// createRuleOnIssuer makes a live rule reference the issuer, behind
// Terraform's back.
func (e *testEnv) createRuleOnIssuer(t *testing.T, issuerID, name string) string {
	t.Helper()
	sa, err := e.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: name + "-sa"})
	if err != nil {
		t.Fatal(err)
	}
	prefix, all := "repo:corp/*", true
	rule, err := e.client.CreateFederationRule(bg, client.FederationRuleCreateParams{
		Name:                   name,
		IssuerID:               issuerID,
		Match:                  client.RuleMatch{SubjectPrefix: &prefix},
		Target:                 client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID},
		OAuthScope:             "workspace:developer",
		AppliesToAllWorkspaces: &all,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rule.ID
}

// expectBeforeAfter checks one attribute's value before and after a planned
// change, e.g. a drifted value the plan puts back.
func expectBeforeAfter(addr, attr string, before, after any) plancheck.PlanCheck {
	return beforeAfterCheck{addr: addr, attr: attr, before: before, after: after}
}

type beforeAfterCheck struct {
	addr, attr    string
	before, after any
}

func (c beforeAfterCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	before, after, _, err := plannedChange(req, c.addr)
	switch {
	case err != nil:
		resp.Error = err
	case !reflect.DeepEqual(before[c.attr], c.before) || !reflect.DeepEqual(after[c.attr], c.after):
		resp.Error = fmt.Errorf("%s: plan changes %s from %v to %v, want %v to %v", c.addr, c.attr, before[c.attr], after[c.attr], c.before, c.after)
	}
}

// Planning a second issuer for a URL the organization already has looks
// the existing ones up (the warning itself is TestWarnSharedIssuerURL's)
// and still plans: it is advice, and it writes nothing.
func TestAccFederationIssuer_secondIssuerForURLPlans(t *testing.T) {
	env := newTestEnv(t)
	env.issuer(t, "google", "https://accounts.google.com")
	env.emu.ResetCounters()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:             env.config(issuerConfig("google-again", "https://accounts.google.com", "")),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
	if env.emu.RequestCount(emulator.RouteListIssuers) == 0 {
		t.Error("the plan did not look for issuers with the same issuer_url")
	}
	if n := env.emu.RequestCount(emulator.RouteCreateIssuer); n != 0 {
		t.Errorf("a plan created %d issuers", n)
	}
}
