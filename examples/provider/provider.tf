terraform {
  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
  }
}

# Credentials usually come from the environment:
#   ANTHROPIC_AUTH_TOKEN       OAuth access token with the org:admin scope
#   ANTHROPIC_ORGANIZATION_ID  the organization's UUID (optional with a static token:
#                              the provider asks the API; keyless needs it)
provider "anthropic" {
  # One HTTP attempt; retries ride out overload within a 60 s budget
  # (max_retries defaults to 10; lower it to fail faster).
  request_timeout = "30s"

  # Only needed by the anthropic_google_service_account data source and
  # google_impersonation identity tokens; Application Default Credentials
  # are used when this block is empty or absent.
  google = {
    impersonate_service_account = "terraform@my-project.iam.gserviceaccount.com"
  }
}
