# Try a federation rule from where the workload runs (a VM, a Cloud Run job,
# a GKE pod, a CI runner on Google Cloud): exchange this machine's Google ID
# token through the rule, exactly as the workload's SDK would. Success means
# the rule, the issuer, the membership and the token fit together; a denial
# comes back explained, never as a bare 401.
#
#   terraform plan -var federation_rule_id=fdrl_... -var service_account_id=svac_...
#
# With an admin credential in the provider (ANTHROPIC_AUTH_TOKEN or a
# federation block), the provider also reads the rule and names the
# matchers the token fails. Nothing is created; the token never reaches
# plan or state.

terraform {
  required_version = ">= 1.10"

  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
  }
}

variable "federation_rule_id" {
  description = "The rule to try (fdrl_...)."
  type        = string
}

variable "service_account_id" {
  description = "The service account the rule targets (svac_...)."
  type        = string
}

variable "workspace_id" {
  description = "Workspace to ask for (wrkspc_... or \"default\"); null lets the service pick the rule's only workspace."
  type        = string
  default     = null
}

variable "audience" {
  description = "Audience to request the ID token for: the rule's match.audience."
  type        = string
  default     = "https://api.anthropic.com"
}

ephemeral "anthropic_federation_token" "try" {
  federation_rule_id = var.federation_rule_id
  service_account_id = var.service_account_id
  workspace_id       = var.workspace_id

  # The metadata server's ID token of the attached service account, with
  # format=full (the email claim Google rules pin).
  gce_metadata = {
    audience = var.audience
  }
}
