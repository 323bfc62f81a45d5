terraform {
  required_version = ">= 1.10"

  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
    google = {
      source = "hashicorp/google"
    }
  }
}

# Admin credential from the environment (ANTHROPIC_AUTH_TOKEN and
# ANTHROPIC_ORGANIZATION_ID), or keyless: see the "Bootstrap and keyless
# Terraform" guide. The Google uniqueId look-up uses Application Default
# Credentials.
provider "anthropic" {}

provider "google" {
  project = var.google_project
  region  = var.region
}
