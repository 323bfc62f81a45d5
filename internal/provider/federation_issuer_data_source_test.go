package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
)

func (e *testEnv) createIssuer(t *testing.T, p client.FederationIssuerCreateParams) *client.FederationIssuer {
	t.Helper()
	iss, err := e.client.CreateFederationIssuer(bg, p)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func TestAccFederationIssuerDataSource_lookup(t *testing.T) {
	env := newTestEnv(t)
	google := env.createIssuer(t, client.FederationIssuerCreateParams{Name: "google", IssuerURL: "https://accounts.google.com"})
	keys, err := jwksKeysToAPI("[" + testPublicJWK(t, 0, "ci-1") + "]")
	if err != nil {
		t.Fatal(err)
	}
	noJTI, lifetime := false, int64(600)
	corp := env.createIssuer(t, client.FederationIssuerCreateParams{
		Name: "corp-ci", IssuerURL: "https://ci.example.com", JWKS: &client.JWKS{Type: "inline", Keys: keys},
		CheckJTI: &noJTI, MaxJWTLifetimeSeconds: &lifetime,
	})
	wantKeys, err := jwksKeysFromAPI(keys)
	if err != nil {
		t.Fatal(err)
	}
	old := env.createIssuer(t, client.FederationIssuerCreateParams{Name: "old", IssuerURL: "https://old.example.com"})
	if _, err := env.client.ArchiveFederationIssuer(bg, old.ID); err != nil {
		t.Fatal(err)
	}
	env.createIssuer(t, client.FederationIssuerCreateParams{Name: "dup-a", IssuerURL: "https://dup.example.com"})
	env.createIssuer(t, client.FederationIssuerCreateParams{Name: "dup-b", IssuerURL: "https://dup.example.com"})

	lookup := func(key, value string) string {
		return env.config(fmt.Sprintf(`
data "anthropic_federation_issuer" "test" {
  %s = %q
}
`, key, value))
	}
	const byID, byName, byURL = "data.anthropic_federation_issuer.by_id", "data.anthropic_federation_issuer.by_name", "data.anthropic_federation_issuer.by_url"

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(fmt.Sprintf(`
data "anthropic_federation_issuer" "by_id" {
  id = %q
}
data "anthropic_federation_issuer" "by_name" {
  name = "google"
}
data "anthropic_federation_issuer" "by_url" {
  issuer_url = "https://accounts.google.com"
}
`, corp.ID)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("name"), knownvalue.StringExact("corp-ci")),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("issuer_url"), knownvalue.StringExact("https://ci.example.com")),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("jwks"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"type":           knownvalue.StringExact("inline"),
						"discovery_base": knownvalue.Null(),
						"url":            knownvalue.Null(),
						"ca_cert_pem":    knownvalue.Null(),
						"keys":           knownvalue.StringExact(wantKeys),
					})),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("check_jti"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("max_jwt_lifetime_seconds"), knownvalue.Int64Exact(600)),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("jwks_polling_disabled_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("created_at"), knownvalue.StringRegexp(timestampRegexp)),
					statecheck.ExpectKnownValue(byName, tfjsonpath.New("id"), knownvalue.StringExact(google.ID)),
					statecheck.ExpectKnownValue(byName, tfjsonpath.New("issuer_url"), knownvalue.StringExact("https://accounts.google.com")),
					statecheck.ExpectKnownValue(byName, tfjsonpath.New("jwks"), defaultJWKS),
					statecheck.ExpectKnownValue(byName, tfjsonpath.New("check_jti"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(byName, tfjsonpath.New("poll_status").AtMapKey("last_fetched_at"), knownvalue.StringRegexp(timestampRegexp)),
					statecheck.ExpectKnownValue(byURL, tfjsonpath.New("id"), knownvalue.StringExact(google.ID)),
					statecheck.ExpectKnownValue(byURL, tfjsonpath.New("name"), knownvalue.StringExact("google")),
					statecheck.CompareValuePairs(byName, tfjsonpath.New("updated_at"), byURL, tfjsonpath.New("updated_at"), compare.ValuesSame()),
				},
			},
			{Config: lookup("name", "nope"), ExpectError: regexp.MustCompile(`(?s)Federation issuer not found.*No live federation issuer has name\s+"nope"`)},
			{Config: lookup("id", "fdis_01AAAAAAAAAAAAAAAAAAAAAAAA"), ExpectError: regexp.MustCompile(`(?s)No federation issuer has id\s+"fdis_01AAAAAAAAAAAAAAAAAAAAAAAA"`)},
			{Config: lookup("issuer_url", "https://nowhere.example.com"), ExpectError: regexp.MustCompile(`(?s)No live federation issuer has issuer_url\s+"https://nowhere.example.com"`)},
			// Archived issuers verify nothing: not found by name, refused by id.
			{Config: lookup("name", "old"), ExpectError: regexp.MustCompile(`(?s)No live federation issuer has name\s+"old"`)},
			{Config: lookup("id", old.ID), ExpectError: regexp.MustCompile(`(?s)Federation issuer is archived.*` + old.ID + `.*was\s+archived`)},
			// Two issuers for one URL: refuse to guess.
			{Config: lookup("issuer_url", "https://dup.example.com"), ExpectError: regexp.MustCompile(`(?s)Several federation issuers match.*2 live federation issuers.*dup-a.*dup-b`)},
		},
	})
}

func TestAccFederationIssuersDataSource_paging(t *testing.T) {
	env := newTestEnv(t)
	const total, archived = 130, 10
	firstArchivedID := seedArchived(t, total, archived, func(i int) (string, error) {
		return env.createIssuer(t, client.FederationIssuerCreateParams{
			Name: fmt.Sprintf("idp-%03d", i), IssuerURL: fmt.Sprintf("https://idp-%03d.example.com", i),
		}).ID, nil
	}, func(id string) error {
		_, err := env.client.ArchiveFederationIssuer(bg, id)
		return err
	})
	const live, all = "data.anthropic_federation_issuers.live", "data.anthropic_federation_issuers.all"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: env.emu.ResetCounters,
			Config: env.config(`
data "anthropic_federation_issuers" "live" {}
data "anthropic_federation_issuers" "all" {
  include_archived = true
}
`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(live, tfjsonpath.New("issuers"), knownvalue.ListSizeExact(total-archived)),
				statecheck.ExpectKnownValue(live, tfjsonpath.New("issuers").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact(fmt.Sprintf("idp-%03d", archived))),
				statecheck.ExpectKnownValue(live, tfjsonpath.New("issuers").AtSliceIndex(total-archived-1).AtMapKey("name"), knownvalue.StringExact(fmt.Sprintf("idp-%03d", total-1))),
				statecheck.ExpectKnownValue(live, tfjsonpath.New("issuers").AtSliceIndex(total-archived-1).AtMapKey("jwks"), defaultJWKS),
				statecheck.ExpectKnownValue(live, tfjsonpath.New("issuers").AtSliceIndex(0).AtMapKey("archived_at"), knownvalue.Null()),
				statecheck.ExpectKnownValue(all, tfjsonpath.New("issuers"), knownvalue.ListSizeExact(total)),
				statecheck.ExpectKnownValue(all, tfjsonpath.New("issuers").AtSliceIndex(0).AtMapKey("id"), knownvalue.StringExact(firstArchivedID)),
				statecheck.ExpectKnownValue(all, tfjsonpath.New("issuers").AtSliceIndex(0).AtMapKey("archived_at"), knownvalue.StringRegexp(timestampRegexp)),
			},
			Check: func(*terraform.State) error {
				// Each read of each data source walks two pages of 100.
				if n := env.emu.RequestCount(emulator.RouteListIssuers); n < 4 || n%2 != 0 {
					return fmt.Errorf("list requests = %d, want two pages per read", n)
				}
				return nil
			},
		}},
	})
}
