# Claude API access for one Google Cloud workload through workload identity
# federation: an Anthropic service account, its workspace membership, and a
# federation rule that accepts the Google ID tokens of exactly one Google
# service account on the organization's one Google issuer.

locals {
  google_issuer_url = "https://accounts.google.com"
}

# The organization's Google issuer: by ID when the caller passes one, else
# by its URL. The module never creates an issuer: an organization keeps one
# issuer per issuer URL and tells workloads apart with rules.
data "anthropic_federation_issuer" "google" {
  id         = var.issuer_id
  issuer_url = var.issuer_id == null ? local.google_issuer_url : null

  lifecycle {
    postcondition {
      condition     = self.issuer_url == local.google_issuer_url
      error_message = "Federation issuer ${self.id} (${self.name}) has issuer_url ${self.issuer_url}; this module pins Google ID token claims and needs the issuer for ${local.google_issuer_url}."
    }
  }
}

# The Google account's numeric uniqueId: the `sub` of its ID tokens. Pinning
# it as well as the email means an account deleted and re-created under the
# same email does not inherit the rule.
data "anthropic_google_service_account" "workload" {
  account_id = var.google_service_account_email
}

resource "anthropic_service_account" "workload" {
  name        = var.name
  description = var.description
}

# A token for a workspace needs the service account to be a member of it
# (the default workspace's implicit membership has the workspace_user role
# only).
resource "anthropic_service_account_workspace" "workload" {
  service_account_id = anthropic_service_account.workload.id
  workspace_id       = var.workspace_id
  workspace_role     = var.workspace_role
}

resource "anthropic_federation_rule" "workload" {
  name        = var.name
  description = var.description
  issuer_id   = data.anthropic_federation_issuer.google.id

  match = {
    audience = var.audience
    claims   = data.anthropic_google_service_account.workload.federation_claims # { sub = uniqueId, email = email }
  }

  target = {
    service_account_id = anthropic_service_account.workload.id
  }

  oauth_scope            = var.oauth_scope
  workspace_ids          = [var.workspace_id]
  token_lifetime_seconds = var.token_lifetime_seconds

  # No token can be minted before the membership exists; the rule must not
  # be usable before then, and must go first on destroy.
  depends_on = [anthropic_service_account_workspace.workload]
}
