# The Google side. Format-checked by make test, not applied: the google
# provider cannot be fetched offline.

variable "google_project" {
  description = "Google Cloud project of the Cloud Run services."
  type        = string
}

variable "region" {
  description = "Cloud Run region."
  type        = string
  default     = "europe-west1"
}

variable "image" {
  description = "Container image of the summarizer."
  type        = string
}

resource "google_cloud_run_v2_service" "summarizer" {
  for_each = var.environments

  name     = "summarizer-${each.key}"
  location = var.region

  template {
    # The identity whose ID tokens the rule accepts.
    service_account = each.value.google_service_account_email

    containers {
      image = var.image

      # ANTHROPIC_FEDERATION_RULE_ID, ANTHROPIC_ORGANIZATION_ID,
      # ANTHROPIC_SERVICE_ACCOUNT_ID, ANTHROPIC_WORKSPACE_ID. The identity
      # token itself comes from the metadata server at run time.
      dynamic "env" {
        for_each = anthropic_federation_rule.workload[each.key].sdk_environment
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }
}
