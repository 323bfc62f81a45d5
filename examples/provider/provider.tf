terraform {
  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
  }
}

# Credentials usually come from the environment:
#   ANTHROPIC_AUTH_TOKEN       OAuth access token with the org:admin scope
#   ANTHROPIC_ORGANIZATION_ID  the organization's UUID
provider "anthropic" {
  request_timeout = "30s"
  max_retries     = 4
}
