package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
)

func TestAccServiceAccountsDataSource_paging(t *testing.T) {
	env := newTestEnv(t)
	const total, archived = 130, 10
	firstArchivedID := seedArchived(t, total, archived, func(i int) (string, error) {
		sa, err := env.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: fmt.Sprintf("worker-%03d", i)})
		if err != nil {
			return "", err
		}
		return sa.ID, nil
	}, func(id string) error {
		_, err := env.client.ArchiveServiceAccount(bg, id)
		return err
	})
	const live, all = "data.anthropic_service_accounts.live", "data.anthropic_service_accounts.all"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: env.emu.ResetCounters,
			Config: env.config(`
data "anthropic_service_accounts" "live" {}
data "anthropic_service_accounts" "all" {
  include_archived = true
}
`),
			// The API lists service accounts newest first (the SDK documents it).
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(live, tfjsonpath.New("service_accounts"), knownvalue.ListSizeExact(total-archived)),
				statecheck.ExpectKnownValue(live, tfjsonpath.New("service_accounts").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact(fmt.Sprintf("worker-%03d", total-1))),
				statecheck.ExpectKnownValue(live, tfjsonpath.New("service_accounts").AtSliceIndex(total-archived-1).AtMapKey("name"), knownvalue.StringExact(fmt.Sprintf("worker-%03d", archived))),
				statecheck.ExpectKnownValue(live, tfjsonpath.New("service_accounts").AtSliceIndex(0).AtMapKey("organization_role"), knownvalue.StringExact("developer")),
				statecheck.ExpectKnownValue(live, tfjsonpath.New("service_accounts").AtSliceIndex(0).AtMapKey("archived_at"), knownvalue.Null()),
				statecheck.ExpectKnownValue(all, tfjsonpath.New("service_accounts"), knownvalue.ListSizeExact(total)),
				statecheck.ExpectKnownValue(all, tfjsonpath.New("service_accounts").AtSliceIndex(total-1).AtMapKey("id"), knownvalue.StringExact(firstArchivedID)),
				statecheck.ExpectKnownValue(all, tfjsonpath.New("service_accounts").AtSliceIndex(total-1).AtMapKey("archived_at"), knownvalue.StringRegexp(timestampRegexp)),
				statecheck.ExpectKnownValue(all, tfjsonpath.New("service_accounts").AtSliceIndex(0).AtMapKey("archived_at"), knownvalue.Null()),
			},
			Check: func(*terraform.State) error {
				// Each read of each data source walks two pages of 100.
				if n := env.emu.RequestCount(emulator.RouteListServiceAccounts); n < 4 || n%2 != 0 {
					return fmt.Errorf("list requests = %d, want two pages per read", n)
				}
				return nil
			},
		}},
	})
}
