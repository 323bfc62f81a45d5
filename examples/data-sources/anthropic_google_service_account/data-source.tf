# The lookup uses the provider's Google credentials: Application Default
# Credentials unless the provider's google block sets credentials,
# access_token or impersonate_service_account. That identity needs
# roles/iam.serviceAccountViewer on the account's project.

# The Google service account a Cloud Run service (or GKE workload, or VM)
# runs as. Also accepted: the full name
# "projects/my-project/serviceAccounts/agent@my-project.iam.gserviceaccount.com",
# the numeric unique ID, or the short ID with project:
#   account_id = "agent"
#   project    = "my-project"
data "anthropic_google_service_account" "agent" {
  account_id = "agent@my-project.iam.gserviceaccount.com"
}

resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}

resource "anthropic_service_account" "agent" {
  name = "cloud-run-agent"
}

# Accept Google ID tokens of exactly that account: federation_claims is
# { sub = unique_id, email = email }. Pinning sub too means an account
# deleted and re-created under the same email does not inherit the rule.
resource "anthropic_federation_rule" "agent" {
  name      = "cloud-run-agent"
  issuer_id = anthropic_federation_issuer.google.id
  match = {
    audience = "https://api.anthropic.com"
    claims   = data.anthropic_google_service_account.agent.federation_claims
  }
  target = {
    service_account_id = anthropic_service_account.agent.id
  }
  oauth_scope   = "workspace:inference"
  workspace_ids = [data.anthropic_workspace.default.id]
}

data "anthropic_workspace" "default" {
  default = true
}

output "agent_unique_id" {
  value = data.anthropic_google_service_account.agent.unique_id
}
