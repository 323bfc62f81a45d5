resource "anthropic_service_account" "summarizer" {
  name = "cloud-run-summarizer"
}

data "anthropic_workspace" "production" {
  name = "production"
}

# workspace_role changes in place.
resource "anthropic_service_account_workspace" "summarizer_production" {
  service_account_id = anthropic_service_account.summarizer.id
  workspace_id       = data.anthropic_workspace.production.id
  workspace_role     = "workspace_developer"
}

# The default workspace has its own ID too. Every service account is
# implicitly a workspace_user there; an explicit membership sets another
# role, and destroying it reverts to the implicit one.
data "anthropic_workspace" "default" {
  default = true
}

resource "anthropic_service_account_workspace" "summarizer_default" {
  service_account_id = anthropic_service_account.summarizer.id
  workspace_id       = data.anthropic_workspace.default.id
  workspace_role     = "workspace_developer"
}
