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

func membershipConfig(workspaceID, role string) string {
	return fmt.Sprintf(`
resource "anthropic_service_account" "sa" {
  name = "inference-worker"
}

resource "anthropic_service_account_workspace" "test" {
  service_account_id = anthropic_service_account.sa.id
  workspace_id       = %q
  workspace_role     = %q
}
`, workspaceID, role)
}

func TestAccServiceAccountWorkspace_lifecycle(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_service_account_workspace.test"
	prod := env.workspaceID(t, "production")
	staging := env.workspaceID(t, "staging")
	var saID string

	membership := func(wsID string) (*client.ServiceAccountWorkspaceMember, error) {
		members, err := env.client.ListServiceAccountWorkspaces(bg, saID)
		if err != nil {
			return nil, err
		}
		for i := range members {
			if members[i].WorkspaceID == wsID && !members[i].Implicit {
				return &members[i], nil
			}
		}
		return nil, nil
	}
	expectRole := func(wsID, role string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			m, err := membership(wsID)
			if err != nil {
				return err
			}
			switch {
			case m == nil && role != "":
				return fmt.Errorf("no membership in %s", wsID)
			case m != nil && role == "":
				return fmt.Errorf("membership in %s still present", wsID)
			case m != nil && m.WorkspaceRole != role:
				return fmt.Errorf("role in %s = %s, want %s", wsID, m.WorkspaceRole, role)
			}
			return nil
		}
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             expectRole(staging, ""),
		Steps: []resource.TestStep{
			{
				Config: env.config(membershipConfig(prod, "workspace_developer")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("workspace_role"), knownvalue.StringExact("workspace_developer")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^svac_\w+:`+prod+`$`))),
				},
				Check: resource.ComposeTestCheckFunc(
					captureID("anthropic_service_account.sa", &saID),
					expectRole(prod, "workspace_developer"),
				),
			},
			{
				Config:            env.config(membershipConfig(prod, "workspace_developer")),
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			// A role change is an update in place (the workspace side's role update).
			{
				Config: env.config(membershipConfig(prod, "workspace_user")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: expectRole(prod, "workspace_user"),
			},
			// Moving to another workspace replaces too.
			{
				Config: env.config(membershipConfig(staging, "workspace_user")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				Check: resource.ComposeTestCheckFunc(expectRole(staging, "workspace_user"), expectRole(prod, "")),
			},
			// Drift: removed behind Terraform's back, the plan adds it again.
			{
				PreConfig: func() {
					if err := env.client.RemoveServiceAccountWorkspace(bg, saID, staging); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(membershipConfig(staging, "workspace_user")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
				Check: expectRole(staging, "workspace_user"),
			},
			// Drift: role changed behind Terraform's back, the plan sets it back in place.
			{
				PreConfig: func() {
					if _, err := env.client.UpdateWorkspaceServiceAccount(bg, staging, saID, "workspace_admin"); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.config(membershipConfig(staging, "workspace_user")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: expectRole(staging, "workspace_user"),
			},
			emptyPlanStep(env.config(membershipConfig(staging, "workspace_user"))),
			{
				Config:        env.config(membershipConfig(staging, "workspace_user")),
				ResourceName:  addr,
				ImportState:   true,
				ImportStateId: "svac_01ABCDEFGHIJKLMNOPQRSTUVWX",
				ExpectError:   regexp.MustCompile(`svac_\.\.\.:wrkspc_\.\.\.`),
			},
		},
	})
}

// Creating a membership that already exists fails instead of silently
// taking it over (the API would replace its role).
func TestAccServiceAccountWorkspace_existingMembership(t *testing.T) {
	env := newTestEnv(t)
	prod := env.workspaceID(t, "production")
	sa, err := env.client.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "already-member"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.AddServiceAccountWorkspace(bg, sa.ID, prod, "workspace_admin"); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.config(fmt.Sprintf(`
resource "anthropic_service_account_workspace" "test" {
  service_account_id = %q
  workspace_id       = %q
  workspace_role     = "workspace_user"
}
`, sa.ID, prod)),
			ExpectError: regexp.MustCompile(`(?s)already a member of this workspace \(role\s+workspace_admin\).*terraform import`),
		}},
	})
	members, err := env.client.ListServiceAccountWorkspaces(bg, sa.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.WorkspaceID == prod && m.WorkspaceRole != "workspace_admin" {
			t.Fatalf("existing membership was changed to %s", m.WorkspaceRole)
		}
	}
}

// An explicit membership of the default workspace, found with the workspace
// data source: it changes role in place, re-plans empty, and destroying it
// reverts the service account to the implicit membership without error.
func TestAccServiceAccountWorkspace_defaultWorkspace(t *testing.T) {
	env := newTestEnv(t)
	const addr = "anthropic_service_account_workspace.test"
	def := env.emu.DefaultWorkspaceID()
	var saID string
	config := func(role string) string {
		return env.config(fmt.Sprintf(`
data "anthropic_workspace" "default" {
  default = true
}

resource "anthropic_service_account" "sa" {
  name = "default-member"
}

resource "anthropic_service_account_workspace" "test" {
  service_account_id = anthropic_service_account.sa.id
  workspace_id       = data.anthropic_workspace.default.id
  workspace_role     = %q
}
`, role))
	}
	defaultMembership := func(wantImplicit bool, wantRole string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			m, err := env.client.GetWorkspaceServiceAccount(bg, def, saID)
			if err != nil {
				return err
			}
			if m.Implicit != wantImplicit || m.WorkspaceRole != wantRole || m.WorkspaceID != def {
				return fmt.Errorf("default-workspace membership = %+v, want implicit=%v role %s in %s", m, wantImplicit, wantRole, def)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config("workspace_developer"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("workspace_id"), knownvalue.StringExact(def)),
					statecheck.ExpectKnownValue("data.anthropic_workspace.default", tfjsonpath.New("name"), knownvalue.StringExact("Default")),
				},
				Check: resource.ComposeTestCheckFunc(captureID("anthropic_service_account.sa", &saID), defaultMembership(false, "workspace_developer")),
			},
			{
				Config: config("workspace_admin"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: defaultMembership(false, "workspace_admin"),
			},
			emptyPlanStep(config("workspace_admin")),
			// Destroying only the membership: the implicit one is back.
			{
				Config: env.config(`
resource "anthropic_service_account" "sa" {
  name = "default-member"
}
`),
				Check: defaultMembership(true, "workspace_user"),
			},
		},
	})
}
