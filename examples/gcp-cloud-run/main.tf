# A Cloud Run service that calls Claude without an API key: it runs as a
# dedicated Google service account, asks the metadata server for a Google
# ID token, and exchanges it for a short-lived Claude API token through a
# federation rule that accepts exactly that Google account.
#
# Not run by this repository's tests (the Google provider cannot be
# installed offline); the module it uses is, against the local emulator.

provider "google" {
  project = var.project_id
  region  = var.region
}

# The Anthropic provider's admin credential comes from the environment:
# ANTHROPIC_AUTH_TOKEN (an OAuth token with the org:admin scope) and
# ANTHROPIC_ORGANIZATION_ID, or keyless through an org:admin federation
# rule (see the provider documentation). Its google block reuses the
# Google provider's credentials to look up the service account's uniqueId.
data "google_client_config" "current" {}

provider "anthropic" {
  google = {
    access_token = data.google_client_config.current.access_token
  }
}

# The identity the service runs as. A dedicated, user-managed account: the
# Compute Engine default account is shared by everything in the project.
resource "google_service_account" "summarizer" {
  account_id   = "claude-summarizer"
  display_name = "Claude summarizer (Cloud Run)"
  description  = "Runs the summarizer service; federated to the Claude API by the rule cloud-run-summarizer."
}

# The organization's one issuer for Google ID tokens. Create it here only
# if nothing else in the organization manages it (create_google_issuer);
# otherwise the module looks it up by its URL.
resource "anthropic_federation_issuer" "google" {
  count = var.create_google_issuer ? 1 : 0

  name       = "google"
  issuer_url = "https://accounts.google.com"
}

# Anthropic service account, workspace membership and federation rule
# pinned to the Google account's uniqueId (sub) and email, and to the
# audience https://api.anthropic.com.
module "claude_identity" {
  source = "../modules/claude-workload-identity"

  name                         = "cloud-run-summarizer"
  description                  = "Summarizer service on Cloud Run"
  google_service_account_email = google_service_account.summarizer.email
  workspace_id                 = var.anthropic_workspace_id
  oauth_scope                  = "workspace:developer"
  token_lifetime_seconds       = 900
  issuer_id                    = var.create_google_issuer ? anthropic_federation_issuer.google[0].id : null
}

resource "google_cloud_run_v2_service" "summarizer" {
  name                = "summarizer"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    # The metadata server hands out ID tokens of this account only.
    service_account = google_service_account.summarizer.email

    scaling {
      max_instance_count = 3
    }

    containers {
      image = var.image

      # ANTHROPIC_FEDERATION_RULE_ID, ANTHROPIC_ORGANIZATION_ID,
      # ANTHROPIC_SERVICE_ACCOUNT_ID and ANTHROPIC_WORKSPACE_ID: what the
      # SDK's token exchange needs. None of them is a secret.
      dynamic "env" {
        for_each = module.claude_identity.sdk_environment
        content {
          name  = env.key
          value = env.value
        }
      }

      # The audience the workload requests its ID token for, from
      # http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity?audience=AUDIENCE&format=full
      # (format=full adds the email claim the rule pins). Read by the
      # workload's own token callback: the SDKs do not call the metadata
      # server themselves. There is deliberately no
      # ANTHROPIC_IDENTITY_TOKEN_FILE (there is no token file on Cloud Run)
      # and no ANTHROPIC_API_KEY.
      env {
        name  = "IDENTITY_TOKEN_AUDIENCE"
        value = module.claude_identity.audience
      }
    }
  }
}
