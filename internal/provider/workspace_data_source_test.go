package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccWorkspaceDataSource(t *testing.T) {
	env := newTestEnv(t)
	def := env.emu.DefaultWorkspaceID()
	prod := env.workspaceID(t, "production")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(fmt.Sprintf(`
data "anthropic_workspace" "default" {
  default = true
}

data "anthropic_workspace" "by_name" {
  name = "production"
}

data "anthropic_workspace" "by_id" {
  id = %q
}

data "anthropic_workspace" "default_by_name" {
  name = "Default"
}
`, prod)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.anthropic_workspace.default", tfjsonpath.New("id"), knownvalue.StringExact(def)),
					statecheck.ExpectKnownValue("data.anthropic_workspace.default", tfjsonpath.New("name"), knownvalue.StringExact("Default")),
					statecheck.ExpectKnownValue("data.anthropic_workspace.default", tfjsonpath.New("created_at"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue("data.anthropic_workspace.default", tfjsonpath.New("archived_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.anthropic_workspace.by_name", tfjsonpath.New("id"), knownvalue.StringExact(prod)),
					statecheck.ExpectKnownValue("data.anthropic_workspace.by_name", tfjsonpath.New("default"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("data.anthropic_workspace.by_name", tfjsonpath.New("display_color"), knownvalue.StringRegexp(regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`))),
					statecheck.ExpectKnownValue("data.anthropic_workspace.by_id", tfjsonpath.New("name"), knownvalue.StringExact("production")),
					statecheck.ExpectKnownValue("data.anthropic_workspace.by_id", tfjsonpath.New("default"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("data.anthropic_workspace.default_by_name", tfjsonpath.New("id"), knownvalue.StringExact(def)),
					statecheck.ExpectKnownValue("data.anthropic_workspace.default_by_name", tfjsonpath.New("default"), knownvalue.Bool(true)),
				},
			},
		},
	})
}

func TestAccWorkspaceDataSource_invalid(t *testing.T) {
	env := newTestEnv(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.config(`data "anthropic_workspace" "x" {}`),
				ExpectError: regexp.MustCompile(`(?s)Exactly one of these attributes must be configured: \[id,name,default\]`),
			},
			{
				Config: env.config(`
data "anthropic_workspace" "x" {
  name    = "production"
  default = true
}`),
				ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination`),
			},
			{
				Config:      env.config(`data "anthropic_workspace" "x" { default = false }`),
				ExpectError: regexp.MustCompile(`(?s)default = false selects no workspace`),
			},
			{
				Config:      env.config(`data "anthropic_workspace" "x" { id = "default" }`),
				ExpectError: regexp.MustCompile(`(?s)id.*wrkspc_01`),
			},
			{
				Config:      env.config(`data "anthropic_workspace" "x" { id = "wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA" }`),
				ExpectError: regexp.MustCompile(`(?s)Workspace not found.*no workspace wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA`),
			},
			{
				Config:      env.config(`data "anthropic_workspace" "x" { name = "nope" }`),
				ExpectError: regexp.MustCompile(`(?s)Workspace not found.*no live workspace named "nope"`),
			},
		},
	})
}

func TestAccWorkspacesDataSource(t *testing.T) {
	env := newTestEnv(t)
	all := env.emu.Workspaces()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(`
data "anthropic_workspaces" "named" {}

data "anthropic_workspaces" "all" {
  include_default = true
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.anthropic_workspaces.named", tfjsonpath.New("workspaces"), knownvalue.ListExact([]knownvalue.Check{
						workspaceCheck(all[1].ID, all[1].Name, false), workspaceCheck(all[2].ID, all[2].Name, false), workspaceCheck(all[3].ID, all[3].Name, false),
					})),
					statecheck.ExpectKnownValue("data.anthropic_workspaces.all", tfjsonpath.New("workspaces"), knownvalue.ListExact([]knownvalue.Check{
						workspaceCheck(all[0].ID, "Default", true),
						workspaceCheck(all[1].ID, all[1].Name, false), workspaceCheck(all[2].ID, all[2].Name, false), workspaceCheck(all[3].ID, all[3].Name, false),
					})),
				},
			},
		},
	})
}

func workspaceCheck(id, name string, isDefault bool) knownvalue.Check {
	return knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"id":          knownvalue.StringExact(id),
		"name":        knownvalue.StringExact(name),
		"default":     knownvalue.Bool(isDefault),
		"archived_at": knownvalue.Null(),
	})
}
