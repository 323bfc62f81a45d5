# Claude for a Cloud Run service, per environment, with no API key: each
# environment's Google service account gets its own Anthropic service
# account, workspace membership and federation rule.

locals {
  google_issuer_url = "https://accounts.google.com"
}

# The organization keeps ONE issuer for https://accounts.google.com and tells
# workloads apart with rules. Look it up; only the configuration that owns it
# creates it (create_google_issuer = true there, once).
resource "anthropic_federation_issuer" "google" {
  count = var.create_google_issuer ? 1 : 0

  name       = "google"
  issuer_url = local.google_issuer_url
}

data "anthropic_federation_issuer" "google" {
  count = var.create_google_issuer ? 0 : 1

  issuer_url = local.google_issuer_url
}

locals {
  google_issuer_id = var.create_google_issuer ? anthropic_federation_issuer.google[0].id : data.anthropic_federation_issuer.google[0].id
}

# The Google service account's numeric uniqueId: the `sub` of its ID tokens.
data "anthropic_google_service_account" "workload" {
  for_each = var.environments

  account_id = each.value.google_service_account_email
}

resource "anthropic_service_account" "workload" {
  for_each = var.environments

  name        = "summarizer-${each.key}"
  description = "Summarizer on Cloud Run (${each.key})"
}

# A token for a workspace needs an explicit membership of it.
resource "anthropic_service_account_workspace" "workload" {
  for_each = var.environments

  service_account_id = anthropic_service_account.workload[each.key].id
  workspace_id       = each.value.workspace_id
  workspace_role     = "workspace_developer"
}

# Google's issuer is shared by every Google account in the world: pin the
# account by sub (uniqueId) AND email, and the audience. Never
# subject_prefix: Google sub values have no stable prefix.
resource "anthropic_federation_rule" "workload" {
  for_each = var.environments

  name      = "summarizer-${each.key}"
  issuer_id = local.google_issuer_id

  match = {
    audience = var.audience
    claims   = data.anthropic_google_service_account.workload[each.key].federation_claims # { sub, email }
  }

  target = {
    service_account_id = anthropic_service_account.workload[each.key].id
  }

  oauth_scope            = "workspace:developer"
  workspace_ids          = [each.value.workspace_id]
  token_lifetime_seconds = 900

  depends_on = [anthropic_service_account_workspace.workload]
}
