# Apply tests against the local emulator: the provider reads
# ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN, ANTHROPIC_ORGANIZATION_ID and
# the GOOGLE_* endpoint variables it prints.
#
#   go run ./cmd/anthropic-emulator -listen 127.0.0.1:8787 > /tmp/emulator.env &
#   source /tmp/emulator.env
#   terraform test -filter=tests/emulator.tftest.hcl

variables {
  # An account of the emulator's local Google project.
  google_service_account_email = "workload@wif-demo-project.iam.gserviceaccount.com"
}

run "google_issuer" {
  module {
    source = "./tests/setup"
  }
}

# The module finds the issuer by URL and creates the workload's objects.
run "workload" {
  variables {
    name         = "tftest-summarizer"
    workspace_id = run.google_issuer.default_workspace_id
    description  = "Summarizer service on Cloud Run"
  }

  assert {
    condition     = output.issuer_id == run.google_issuer.issuer_id
    error_message = "The module must use the organization's Google issuer."
  }
  assert {
    condition     = startswith(output.service_account_id, "svac_") && startswith(output.federation_rule_id, "fdrl_")
    error_message = "The module must create a service account and a rule."
  }
  assert {
    condition     = output.sdk_environment["ANTHROPIC_FEDERATION_RULE_ID"] == output.federation_rule_id && output.sdk_environment["ANTHROPIC_SERVICE_ACCOUNT_ID"] == output.service_account_id
    error_message = "sdk_environment must name the rule and the service account."
  }
  assert {
    condition     = output.sdk_environment["ANTHROPIC_WORKSPACE_ID"] == run.google_issuer.default_workspace_id
    error_message = "sdk_environment must name the rule's one workspace."
  }
  assert {
    condition     = can(regex("^[0-9]+$", output.google_unique_id)) && anthropic_federation_rule.workload.match.claims["sub"] == output.google_unique_id
    error_message = "The rule must pin the numeric uniqueId the IAM lookup found."
  }
  assert {
    condition     = anthropic_service_account.workload.description == "Summarizer service on Cloud Run" && anthropic_federation_rule.workload.applies_to_all_workspaces == false
    error_message = "The objects must carry the description, and the rule only its one workspace."
  }
}

# Changing the lifetime updates the rule in place.
run "shorter_tokens" {
  variables {
    name                   = "tftest-summarizer"
    workspace_id           = run.google_issuer.default_workspace_id
    description            = "Summarizer service on Cloud Run"
    token_lifetime_seconds = 300
  }

  assert {
    condition     = output.federation_rule_id == run.workload.federation_rule_id && anthropic_federation_rule.workload.token_lifetime_seconds == 300
    error_message = "The lifetime must change in place, on the same rule."
  }
}
