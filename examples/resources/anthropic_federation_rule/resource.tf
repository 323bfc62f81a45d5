# A Cloud Run service, running as a Google service account, calls Claude
# with short-lived tokens: no API key is stored anywhere.

resource "google_service_account" "agent" {
  account_id   = "claude-agent"
  display_name = "Claude agent on Cloud Run"
}

resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}

resource "anthropic_service_account" "agent" {
  name = "cloud-run-agent"
}

# Workspace IDs differ per organization: look them up.
data "anthropic_workspace" "production" {
  name = "production"
}

resource "anthropic_federation_rule" "agent" {
  name        = "cloud-run-agent"
  description = "Claude agent on Cloud Run (production)"
  issuer_id   = anthropic_federation_issuer.google.id

  # Google's issuer is shared by every Google account: pin the service
  # account by its numeric uniqueId (sub) and its email, and name the
  # audience the workload requests its ID token for. subject_prefix is
  # refused for Google (sub values have no stable prefix).
  match = {
    audience = "https://api.anthropic.com"
    claims = {
      sub   = google_service_account.agent.unique_id
      email = google_service_account.agent.email
    }
  }

  target = {
    service_account_id = anthropic_service_account.agent.id
  }

  # Space-separated scopes; their order does not matter.
  oauth_scope            = "workspace:developer workspace:inference"
  workspace_ids          = [data.anthropic_workspace.production.id]
  token_lifetime_seconds = 900
}

# sdk_environment carries ANTHROPIC_FEDERATION_RULE_ID,
# ANTHROPIC_ORGANIZATION_ID, ANTHROPIC_SERVICE_ACCOUNT_ID and, for a rule
# enabled in exactly one workspace, ANTHROPIC_WORKSPACE_ID.
resource "google_cloud_run_v2_service" "agent" {
  name     = "claude-agent"
  location = "europe-west1"

  template {
    service_account = google_service_account.agent.email

    containers {
      image = "europe-docker.pkg.dev/my-project/agents/claude-agent:1.4.2"

      dynamic "env" {
        for_each = anthropic_federation_rule.agent.sdk_environment
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }
}

# A rule matched by a CEL condition, enabled in every workspace.
resource "anthropic_federation_rule" "ci" {
  name      = "github-deploy"
  issuer_id = "fdis_01ABCDEFabcdef0123456789XY"

  match = {
    claims = {
      repository = "my-org/deploy"
    }
    condition = "claims.ref == \"refs/heads/main\" && claims.event_name in [\"push\", \"workflow_dispatch\"]"
  }

  target = {
    service_account_id = anthropic_service_account.agent.id
  }

  oauth_scope               = "workspace:inference"
  applies_to_all_workspaces = true
}
