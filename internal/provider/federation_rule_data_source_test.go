package provider

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

func TestAccFederationRuleDataSources(t *testing.T) {
	env := newTestEnv(t)
	f := env.googleRuleFixture(t)
	github := env.issuer(t, "github", policy.GitHubActionsIssuer)

	// More rules than one page of 100, so the list data source must follow
	// next_page.
	const bulk = 101
	for i := range bulk {
		if _, err := env.client.CreateFederationRule(bg, env.googleRuleParams(f, fmt.Sprintf("bulk-%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	repo := "my-org/deploy"
	gh := client.FederationRuleCreateParams{
		Name:       "github-deploy",
		IssuerID:   github.ID,
		Match:      client.RuleMatch{Claims: map[string]string{"repository": repo}},
		Target:     client.RuleTarget{Type: "service_account", ServiceAccountID: f.sa.ID},
		OAuthScope: "workspace:inference",
	}
	lifetime := int64(600)
	gh.TokenLifetimeSeconds = &lifetime
	prod := env.workspaceID(t, "production")
	gh.WorkspaceID = &prod
	ghRule, err := env.client.CreateFederationRule(bg, gh)
	if err != nil {
		t.Fatal(err)
	}
	archived, err := env.client.CreateFederationRule(bg, env.googleRuleParams(f, "retired"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.ArchiveFederationRule(bg, archived.ID); err != nil {
		t.Fatal(err)
	}

	config := env.config(fmt.Sprintf(`
data "anthropic_federation_rule" "by_id" {
  id = %q
}

data "anthropic_federation_rule" "by_name" {
  name = "github-deploy"
}

data "anthropic_federation_rules" "all" {}

data "anthropic_federation_rules" "github" {
  issuer_id = %q
}
`, ghRule.ID, github.ID))

	wantRule := map[string]knownvalue.Check{
		"id":          knownvalue.StringExact(ghRule.ID),
		"name":        knownvalue.StringExact("github-deploy"),
		"description": knownvalue.Null(),
		"issuer_id":   knownvalue.StringExact(github.ID),
		"issuer_name": knownvalue.StringExact("github"),
		"match": knownvalue.ObjectExact(map[string]knownvalue.Check{
			"audience":       knownvalue.Null(),
			"claims":         knownvalue.MapExact(map[string]knownvalue.Check{"repository": knownvalue.StringExact(repo)}),
			"subject_prefix": knownvalue.Null(),
			"condition":      knownvalue.Null(),
		}),
		"target": knownvalue.ObjectExact(map[string]knownvalue.Check{
			"service_account_id":   knownvalue.StringExact(f.sa.ID),
			"service_account_name": knownvalue.StringExact("cloud-run-agent"),
		}),
		"oauth_scope":               knownvalue.StringExact("workspace:inference"),
		"workspace_ids":             knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(prod)}),
		"applies_to_all_workspaces": knownvalue.Bool(false),
		"token_lifetime_seconds":    knownvalue.Int64Exact(600),
		"sdk_environment": knownvalue.MapExact(map[string]knownvalue.Check{
			"ANTHROPIC_FEDERATION_RULE_ID": knownvalue.StringExact(ghRule.ID),
			"ANTHROPIC_ORGANIZATION_ID":    knownvalue.StringExact(env.emu.OrganizationID()),
			"ANTHROPIC_SERVICE_ACCOUNT_ID": knownvalue.StringExact(f.sa.ID),
			"ANTHROPIC_WORKSPACE_ID":       knownvalue.StringExact(prod),
		}),
		"created_at":          knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)),
		"created_by_actor_id": knownvalue.StringRegexp(regexp.MustCompile(`^user_`)),
		"updated_at":          knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)),
		"updated_by_actor_id": knownvalue.StringRegexp(regexp.MustCompile(`^user_`)),
	}
	var ruleChecks []statecheck.StateCheck
	for _, addr := range []string{"data.anthropic_federation_rule.by_id", "data.anthropic_federation_rule.by_name"} {
		for attr, check := range wantRule {
			ruleChecks = append(ruleChecks, statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), check))
		}
	}
	env.emu.ResetCounters()

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(`data "anthropic_federation_rule" "x" { name = "no-such-rule" }`),
				ExpectError: wrapTolerant(`(?s)Federation rule not found.*name: no live federation rule named "no-such-rule"`),
			},
			{
				Config:      env.config(`data "anthropic_federation_rule" "x" { id = "fdrl_01ABCDEFGHIJKLMNOPQRSTUVWX" }`),
				ExpectError: wrapTolerant(`(?s)Federation rule not found.*id: no federation rule fdrl_01ABCDEFGHIJKLMNOPQRSTUVWX`),
			},
			{
				Config:      env.config(fmt.Sprintf(`data "anthropic_federation_rule" "x" { id = %q }`, archived.ID)),
				ExpectError: wrapTolerant(`(?s)Federation rule is archived.*` + archived.ID),
			},
			{
				Config:      env.config(`data "anthropic_federation_rule" "x" {}`),
				ExpectError: wrapTolerant(`(?s)Invalid Attribute Combination.*one \(and only one\) of \[id,name\] is required`),
			},
			{
				Config:      env.config(`data "anthropic_federation_rule" "x" { name = "retired" }`),
				ExpectError: wrapTolerant(`(?s)no live federation rule named "retired"`),
			},
			// Valid lookups last: the post-test destroy uses the last configuration.
			{
				Config: config,
				ConfigStateChecks: append(ruleChecks,
					// Every live rule, across pages; the archived one is left out.
					statecheck.ExpectKnownValue("data.anthropic_federation_rules.all", tfjsonpath.New("rules"), knownvalue.ListSizeExact(bulk+1)),
					statecheck.ExpectKnownValue("data.anthropic_federation_rules.github", tfjsonpath.New("rules"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(wantRule)})),
				),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("data.anthropic_federation_rules.all", "rules.0.name", "bulk-000"),
					resource.TestCheckResourceAttr("data.anthropic_federation_rules.all", "rules."+strconv.Itoa(bulk)+".name", "github-deploy"),
				),
			},
		},
	})
	// 102 live rules at 100 per page: two list requests per listing data
	// source read, which proves next_page was followed.
	if n := env.emu.RequestCount(emulator.RouteListRules); n < 2 {
		t.Errorf("list requests = %d; the data sources did not page", n)
	}
}
