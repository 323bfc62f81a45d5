package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

func TestAccServiceAccountDataSource_lookup(t *testing.T) {
	env := newTestEnv(t)
	desc := "Deploys from CI"
	ci, err := env.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "ci-deployer", Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := env.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := env.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.ArchiveServiceAccount(bg, gone.ID); err != nil {
		t.Fatal(err)
	}
	lookup := func(key, value string) string {
		return env.config(fmt.Sprintf(`
data "anthropic_service_account" "test" {
  %s = %q
}
`, key, value))
	}
	const byID, byName = "data.anthropic_service_account.by_id", "data.anthropic_service_account.by_name"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(fmt.Sprintf(`
data "anthropic_service_account" "by_id" {
  id = %q
}
data "anthropic_service_account" "by_name" {
  name = "plain"
}
`, ci.ID)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("name"), knownvalue.StringExact("ci-deployer")),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("description"), knownvalue.StringExact(desc)),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("organization_role"), knownvalue.StringExact("developer")),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("created_at"), knownvalue.StringRegexp(timestampRegexp)),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("created_by_actor_id"), knownvalue.StringRegexp(regexp.MustCompile(`^(user|svac)_`))),
					statecheck.ExpectKnownValue(byName, tfjsonpath.New("id"), knownvalue.StringExact(plain.ID)),
					statecheck.ExpectKnownValue(byName, tfjsonpath.New("description"), knownvalue.Null()),
				},
			},
			{Config: lookup("name", "nope"), ExpectError: regexp.MustCompile(`(?s)Service account not found.*No live service account has name\s+"nope"`)},
			{Config: lookup("id", "svac_01AAAAAAAAAAAAAAAAAAAAAAAA"), ExpectError: regexp.MustCompile(`(?s)No service account has id\s+"svac_01AAAAAAAAAAAAAAAAAAAAAAAA"`)},
			{Config: lookup("name", "gone"), ExpectError: regexp.MustCompile(`(?s)No live service account has name\s+"gone"`)},
			{Config: lookup("id", gone.ID), ExpectError: regexp.MustCompile(`(?s)Service account is archived.*` + gone.ID)},
		},
	})
}
