variable "admin_rule_id" {
  description = "The org:admin federation rule (fdrl_...) created in the Console for this CI job."
  type        = string
}

variable "admin_service_account_id" {
  description = "The admin service account (svac_...) that rule targets."
  type        = string
}

variable "identity_token_command" {
  description = "Program printing a fresh OIDC token in Google's executable-sourced credential format (runs only with GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1); null to read the token from the environment instead."
  type        = list(string)
  default     = ["./github-oidc-token.sh"]
}

variable "github_repository" {
  description = "owner/name of the repository whose main branch may call Claude as the release-notes bot."
  type        = string
}

variable "workspace_id" {
  description = "Workspace the release-notes bot calls Claude in (wrkspc_... or \"default\")."
  type        = string
}
