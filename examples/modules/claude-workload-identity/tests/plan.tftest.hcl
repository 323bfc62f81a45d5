# Plan-only tests with a mocked provider: no credential, no network, no
# emulator. They check the module's input validation and the objects it
# plans for each environment.
#
#   terraform test -filter=tests/plan.tftest.hcl

mock_provider "anthropic" {
  # The organization's Google issuer, as the module's lookup finds it.
  mock_data "anthropic_federation_issuer" {
    defaults = {
      id         = "fdis_01MockGoogleIssuer00000000"
      name       = "google"
      issuer_url = "https://accounts.google.com"
    }
  }

  # The IAM lookup of the Google service account.
  mock_data "anthropic_google_service_account" {
    defaults = {
      unique_id = "112233445566778899001"
      email     = "summarizer@my-project.iam.gserviceaccount.com"
      federation_claims = {
        sub   = "112233445566778899001"
        email = "summarizer@my-project.iam.gserviceaccount.com"
      }
    }
  }
}

variables {
  google_service_account_email = "summarizer@my-project.iam.gserviceaccount.com"
}

# One rule per environment: each call of the module is enabled in its own
# workspace only, pins the same Google identity, and keeps the defaults.
run "production" {
  command = plan

  variables {
    name         = "summarizer-production"
    workspace_id = "wrkspc_01MockProduction0000000000"
  }

  assert {
    condition     = anthropic_federation_rule.workload.workspace_ids == toset(["wrkspc_01MockProduction0000000000"])
    error_message = "The rule must be enabled in the environment's workspace only."
  }
  assert {
    condition     = anthropic_service_account_workspace.workload.workspace_id == "wrkspc_01MockProduction0000000000" && anthropic_service_account_workspace.workload.workspace_role == "workspace_developer"
    error_message = "The service account must be a workspace_developer of the environment's workspace."
  }
  assert {
    condition     = anthropic_federation_rule.workload.name == "summarizer-production" && anthropic_service_account.workload.name == "summarizer-production"
    error_message = "The service account and the rule are named after the workload."
  }
  assert {
    condition = anthropic_federation_rule.workload.match.claims == tomap({
      sub   = "112233445566778899001"
      email = "summarizer@my-project.iam.gserviceaccount.com"
    })
    error_message = "The rule must pin the Google account's sub and email."
  }
  assert {
    condition     = anthropic_federation_rule.workload.match.audience == "https://api.anthropic.com" && anthropic_federation_rule.workload.match.subject_prefix == null
    error_message = "The rule must pin the audience and never use subject_prefix (Google sub values have no stable prefix)."
  }
  assert {
    condition     = anthropic_federation_rule.workload.issuer_id == "fdis_01MockGoogleIssuer00000000"
    error_message = "The rule must use the organization's Google issuer found by URL."
  }
  assert {
    condition     = anthropic_federation_rule.workload.oauth_scope == "workspace:developer" && anthropic_federation_rule.workload.token_lifetime_seconds == 900
    error_message = "Defaults: workspace:developer tokens living at most 900 seconds."
  }
}

run "staging" {
  command = plan

  variables {
    name                   = "summarizer-staging"
    workspace_id           = "wrkspc_01MockStaging0000000000000"
    oauth_scope            = "workspace:inference"
    token_lifetime_seconds = 300
    workspace_role         = "workspace_user"
    issuer_id              = "fdis_01MockGoogleIssuer00000000"
  }

  assert {
    condition     = anthropic_federation_rule.workload.workspace_ids == toset(["wrkspc_01MockStaging0000000000000"])
    error_message = "The staging rule must be enabled in the staging workspace only."
  }
  assert {
    condition     = anthropic_federation_rule.workload.oauth_scope == "workspace:inference" && anthropic_federation_rule.workload.token_lifetime_seconds == 300
    error_message = "The rule must carry the requested scope and lifetime."
  }
  assert {
    condition     = anthropic_service_account_workspace.workload.workspace_role == "workspace_user"
    error_message = "The membership must carry the requested role."
  }
}

# An issuer of another identity provider is refused before anything is
# created.
run "refuses_a_non_google_issuer" {
  command = plan

  variables {
    name         = "summarizer"
    workspace_id = "wrkspc_01MockProduction0000000000"
    issuer_id    = "fdis_01MockGitHubIssuer00000000"
  }

  override_data {
    target = data.anthropic_federation_issuer.google
    values = {
      id         = "fdis_01MockGitHubIssuer00000000"
      name       = "github-actions"
      issuer_url = "https://token.actions.githubusercontent.com"
    }
  }

  expect_failures = [data.anthropic_federation_issuer.google]
}

# Input validation.
run "refuses_an_invalid_name" {
  command = plan
  variables {
    name         = "Summarizer_Prod"
    workspace_id = "wrkspc_01MockProduction0000000000"
  }
  expect_failures = [var.name]
}

run "refuses_a_non_service_account_email" {
  command = plan
  variables {
    name                         = "summarizer"
    workspace_id                 = "wrkspc_01MockProduction0000000000"
    google_service_account_email = "alice@example.com"
  }
  expect_failures = [var.google_service_account_email]
}

run "refuses_a_malformed_workspace_id" {
  command = plan
  variables {
    name         = "summarizer"
    workspace_id = "production"
  }
  expect_failures = [var.workspace_id]
}

run "refuses_the_literal_default" {
  command = plan
  variables {
    name         = "summarizer"
    workspace_id = "default"
  }
  expect_failures = [var.workspace_id]
}

run "refuses_a_console_only_scope" {
  command = plan
  variables {
    name         = "summarizer"
    workspace_id = "wrkspc_01MockProduction0000000000"
    oauth_scope  = "org:admin"
  }
  expect_failures = [var.oauth_scope]
}

run "refuses_a_lifetime_out_of_bounds" {
  command = plan
  variables {
    name                   = "summarizer"
    workspace_id           = "wrkspc_01MockProduction0000000000"
    token_lifetime_seconds = 30
  }
  expect_failures = [var.token_lifetime_seconds]
}

run "refuses_an_unknown_role" {
  command = plan
  variables {
    name           = "summarizer"
    workspace_id   = "wrkspc_01MockProduction0000000000"
    workspace_role = "owner"
  }
  expect_failures = [var.workspace_role]
}

run "refuses_an_empty_description" {
  command = plan
  variables {
    name         = "summarizer"
    workspace_id = "wrkspc_01MockProduction0000000000"
    description  = ""
  }
  expect_failures = [var.description]
}
