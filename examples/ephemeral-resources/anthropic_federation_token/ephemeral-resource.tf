# Terraform running on Google Cloud (Cloud Build, a GCE runner, GKE):
# exchange the attached service account's ID token from the metadata
# server for a short-lived Claude API token. Never stored in plan or state.
ephemeral "anthropic_federation_token" "smoke_test" {
  federation_rule_id = anthropic_federation_rule.agent.id
  service_account_id = anthropic_service_account.agent.id
  gce_metadata       = {} # audience https://api.anthropic.com, format=full
}

# Ephemeral values may be used in provider configuration, write-only
# arguments and provisioners. Here: prove the rule works after each apply.
resource "terraform_data" "smoke_test" {
  triggers_replace = [anthropic_federation_rule.agent.updated_at]

  provisioner "local-exec" {
    command = <<-EOT
      curl -sf https://api.anthropic.com/v1/messages \
        -H "Authorization: Bearer $TOKEN" \
        -H "anthropic-version: 2023-06-01" \
        -H "anthropic-beta: oauth-2025-04-20" \
        -H "content-type: application/json" \
        -d '{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"ping"}]}'
    EOT
    environment = {
      TOKEN = ephemeral.anthropic_federation_token.smoke_test.access_token
    }
  }
}

# Other identity sources (exactly one per token):

# A Google service account's ID token minted with IAM Credentials, using the
# provider's google credentials (roles/iam.serviceAccountOpenIdTokenCreator).
ephemeral "anthropic_federation_token" "impersonated" {
  federation_rule_id = anthropic_federation_rule.agent.id
  service_account_id = anthropic_service_account.agent.id
  google_impersonation = {
    service_account = "agent@my-project.iam.gserviceaccount.com"
  }
}

# A token file kept fresh by the platform (Kubernetes projected service
# account token, a CI runner's OIDC token file); re-read at every exchange.
ephemeral "anthropic_federation_token" "from_file" {
  federation_rule_id  = "fdrl_01ABCDEFabcdef0123456789XY"
  service_account_id  = "svac_01ABCDEFabcdef0123456789XY"
  workspace_id        = "wrkspc_01ABCDEFabcdef0123456789XY"
  identity_token_file = "/var/run/secrets/tokens/anthropic"
}

# A program printing Google's executable-sourced credential JSON; runs only
# with GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1.
ephemeral "anthropic_federation_token" "from_program" {
  federation_rule_id = "fdrl_01ABCDEFabcdef0123456789XY"
  service_account_id = "svac_01ABCDEFabcdef0123456789XY"
  executable = {
    command = ["/usr/local/bin/fetch-oidc-token", "--audience", "https://api.anthropic.com"]
    timeout = "20s"
  }
}
