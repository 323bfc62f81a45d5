# Runs against the local emulator (make demo), with production-shaped values.
terraform {
  required_version = ">= 1.10"
  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
  }
}

# base_url, auth_token and organization_id come from the ANTHROPIC_*
# environment variables that the emulator prints.
provider "anthropic" {}

variable "workspace_id" {
  description = "Workspace the workload calls Claude in (wrkspc_...)."
  type        = string
}

resource "anthropic_service_account" "workload" {
  name        = "cloud-run-summarizer"
  description = "Summarizer service on Cloud Run"
}

resource "anthropic_service_account_workspace" "workload" {
  service_account_id = anthropic_service_account.workload.id
  workspace_id       = var.workspace_id
  workspace_role     = "workspace_developer"
}

output "service_account_id" {
  value = anthropic_service_account.workload.id
}

output "membership" {
  value = anthropic_service_account_workspace.workload.id
}
