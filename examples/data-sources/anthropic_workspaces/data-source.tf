# Every workspace, the default one included (as in the API, it is listed
# only when asked for).
data "anthropic_workspaces" "all" {
  include_default = true
}

output "workspace_ids_by_name" {
  value = { for w in data.anthropic_workspaces.all.workspaces : w.name => w.id }
}

output "default_workspace_id" {
  value = one([for w in data.anthropic_workspaces.all.workspaces : w.id if w.default])
}
