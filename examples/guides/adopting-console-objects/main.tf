# Bring objects made in the Console under Terraform: import blocks say which
# object goes to which address, and
#
#   terraform plan -generate-config-out=generated.tf
#
# writes their configuration. Apply it (imports only, no change), then move
# the blocks from generated.tf into your own files.

terraform {
  required_version = ">= 1.5"

  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
  }
}

variable "service_account_id" {
  description = "The Console-made service account (svac_...)."
  type        = string
}

variable "workspace_id" {
  description = "The workspace it is a member of, and the rule was created in (wrkspc_...)."
  type        = string
}

variable "google_issuer_id" {
  description = "The organization's issuer for https://accounts.google.com (fdis_...)."
  type        = string
}

variable "federation_rule_id" {
  description = "The Console-made rule (fdrl_...)."
  type        = string
}

variable "extra_workspace_id" {
  description = "A second workspace the rule was enabled in from the Console."
  type        = string
}

import {
  to = anthropic_service_account.summarizer
  id = var.service_account_id
}

# Memberships and enablements import as <parent id>:<workspace id>.
import {
  to = anthropic_service_account_workspace.summarizer
  id = "${var.service_account_id}:${var.workspace_id}"
}

import {
  to = anthropic_federation_issuer.google
  id = var.google_issuer_id
}

import {
  to = anthropic_federation_rule.summarizer
  id = var.federation_rule_id
}

import {
  to = anthropic_federation_rule_workspace.summarizer_extra
  id = "${var.federation_rule_id}:${var.extra_workspace_id}"
}
