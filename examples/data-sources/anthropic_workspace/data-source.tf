# The default workspace has its own wrkspc_ ID, different in every
# organization: look it up rather than hard-coding it.
data "anthropic_workspace" "default" {
  default = true
}

data "anthropic_workspace" "production" {
  name = "production"
}

resource "anthropic_service_account" "agent" {
  name = "cloud-run-agent"
}

# Every service account is implicitly a workspace_user of the default
# workspace; this gives it the developer role there.
resource "anthropic_service_account_workspace" "agent_default" {
  service_account_id = anthropic_service_account.agent.id
  workspace_id       = data.anthropic_workspace.default.id
  workspace_role     = "workspace_developer"
}

output "production_workspace_id" {
  value = data.anthropic_workspace.production.id
}
