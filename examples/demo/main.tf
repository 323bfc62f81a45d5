# The demo: a Cloud Run-style workload, running as a Google service account,
# gets Claude API access through workload identity federation.
#
# `make demo` runs it against the local emulator, which also plays Google
# (metadata server, IAM, Google's OIDC keys), so every value below is what
# you would write for production.
terraform {
  required_version = ">= 1.10"
  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
  }
}

# base_url, auth_token and organization_id come from the ANTHROPIC_*
# environment variables; the Google credentials and endpoints from
# GOOGLE_OAUTH_ACCESS_TOKEN and GOOGLE_IAM_CUSTOM_ENDPOINT.
provider "anthropic" {}

variable "workspace_id" {
  description = "Workspace the workload calls Claude in (wrkspc_...)."
  type        = string
}

variable "google_service_account" {
  description = "Email of the Google service account the workload runs as."
  type        = string
  default     = "workload@wif-demo-project.iam.gserviceaccount.com"
}

# The Google service account's numeric uniqueId, the token's `sub`.
data "anthropic_google_service_account" "workload" {
  account_id = var.google_service_account
}

# One issuer per issuer URL per organization.
resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}

resource "anthropic_service_account" "workload" {
  name        = "cloud-run-summarizer"
  description = "Summarizer service on Cloud Run"
}

resource "anthropic_service_account_workspace" "workload" {
  service_account_id = anthropic_service_account.workload.id
  workspace_id       = var.workspace_id
  workspace_role     = "workspace_developer"
}

resource "anthropic_federation_rule" "workload" {
  name      = "cloud-run-summarizer"
  issuer_id = anthropic_federation_issuer.google.id

  # Pin the Google service account by uniqueId and email, and the audience
  # the workload asks the metadata server for.
  match = {
    audience = "https://api.anthropic.com"
    claims   = data.anthropic_google_service_account.workload.federation_claims
  }

  target = {
    service_account_id = anthropic_service_account.workload.id
  }

  oauth_scope            = "workspace:developer"
  workspace_ids          = [var.workspace_id]
  token_lifetime_seconds = 900

  # The service account must be a member of the workspace before a token
  # for it can be minted.
  depends_on = [anthropic_service_account_workspace.workload]
}

# The provider performs an exchange too, as a smoke test of the rule: it
# asks the metadata server for an ID token and trades it for an access token
# that lives only in memory, never in plan or state.
ephemeral "anthropic_federation_token" "smoke_test" {
  federation_rule_id = anthropic_federation_rule.workload.id
  service_account_id = anthropic_service_account.workload.id
  workspace_id       = var.workspace_id
  gce_metadata       = {}
}

output "google_unique_id" {
  value = data.anthropic_google_service_account.workload.unique_id
}

output "service_account_id" {
  value = anthropic_service_account.workload.id
}

output "federation_rule_id" {
  value = anthropic_federation_rule.workload.id
}

# What the Cloud Run service's container gets as environment variables.
output "sdk_environment" {
  value = anthropic_federation_rule.workload.sdk_environment
}

# The same, one NAME=value per line, for `env` in the demo script.
output "workload_env" {
  value = join("\n", [for name, value in anthropic_federation_rule.workload.sdk_environment : "${name}=${value}"])
}
