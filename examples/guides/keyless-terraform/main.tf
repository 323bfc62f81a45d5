# What the platform team's configuration manages once Terraform runs
# keyless: the organization's one Google issuer, and a CI workload on the
# GitHub Actions issuer that the bootstrap made in the Console.

# The one configuration that owns the Google issuer (everyone else looks it
# up, see the Cloud Run guide).
resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}

# Made in the Console at bootstrap, together with the org:admin rule.
data "anthropic_federation_issuer" "github_actions" {
  issuer_url = "https://token.actions.githubusercontent.com"
}

resource "anthropic_service_account" "release_notes" {
  name        = "release-notes-bot"
  description = "Drafts release notes from the main branch"
}

resource "anthropic_service_account_workspace" "release_notes" {
  service_account_id = anthropic_service_account.release_notes.id
  workspace_id       = var.workspace_id
  workspace_role     = "workspace_user"
}

# GitHub's issuer is shared by every repository: the subject pins the
# repository (tenant) and the branch.
resource "anthropic_federation_rule" "release_notes" {
  name      = "release-notes-bot"
  issuer_id = data.anthropic_federation_issuer.github_actions.id

  match = {
    subject_prefix = "repo:${var.github_repository}:ref:refs/heads/main"
    audience       = "https://api.anthropic.com"
  }

  target = {
    service_account_id = anthropic_service_account.release_notes.id
  }

  oauth_scope            = "workspace:inference"
  workspace_ids          = [var.workspace_id]
  token_lifetime_seconds = 600

  depends_on = [anthropic_service_account_workspace.release_notes]
}

output "release_notes_sdk_environment" {
  description = "For the release-notes job's Anthropic SDK."
  value       = anthropic_federation_rule.release_notes.sdk_environment
}
