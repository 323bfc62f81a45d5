variable "name" {
  description = "Name of the Anthropic service account and of its federation rule: lowercase letters, digits and hyphens, 1-255 characters, unique in the organization. Changing it replaces the service account."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9-]{1,255}$", var.name))
    error_message = "name must be 1-255 lowercase letters, digits or hyphens, for example \"cloud-run-summarizer\"."
  }
}

variable "google_service_account_email" {
  description = "Email of the Google service account the workload runs as (Cloud Run service identity, GKE Workload Identity, VM service account). Its numeric uniqueId is looked up with the IAM API and pinned in the rule together with the email."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.gserviceaccount\\.com$", var.google_service_account_email))
    error_message = "google_service_account_email must be a Google service account email, for example \"summarizer@my-project.iam.gserviceaccount.com\"."
  }
}

variable "workspace_id" {
  description = "Workspace the workload calls Claude in: a workspace ID (wrkspc_...); for the default workspace, data.anthropic_workspace with default = true gives its ID. The service account is made a member of it and the rule is enabled in it only."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^wrkspc_[0-9A-Za-z]+$", var.workspace_id))
    error_message = "workspace_id must be a workspace ID (wrkspc_...). The API shows the default workspace by its own ID, never \"default\": look it up with data \"anthropic_workspace\" and default = true."
  }
}

variable "workspace_role" {
  description = "Role of the service account in the workspace: workspace_admin, workspace_developer, workspace_restricted_developer or workspace_user."
  type        = string
  default     = "workspace_developer"
  nullable    = false

  validation {
    condition     = contains(["workspace_admin", "workspace_developer", "workspace_restricted_developer", "workspace_user"], var.workspace_role)
    error_message = "workspace_role must be one of workspace_admin, workspace_developer, workspace_restricted_developer, workspace_user."
  }
}

variable "oauth_scope" {
  description = "Scope of the access tokens the workload gets: workspace:developer or workspace:inference (the scopes an OAuth credential, which Terraform uses, may grant)."
  type        = string
  default     = "workspace:developer"
  nullable    = false

  validation {
    condition     = contains(["workspace:developer", "workspace:inference"], var.oauth_scope)
    error_message = "oauth_scope must be \"workspace:developer\" or \"workspace:inference\"; other scopes can only be granted from the Console."
  }
}

variable "token_lifetime_seconds" {
  description = "Upper bound of the access tokens' lifetime, 60-86400 seconds. A token never outlives twice the remaining validity of the Google ID token it was exchanged for."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.token_lifetime_seconds >= 60 && var.token_lifetime_seconds <= 86400 && floor(var.token_lifetime_seconds) == var.token_lifetime_seconds
    error_message = "token_lifetime_seconds must be a whole number of seconds between 60 and 86400."
  }
}

variable "issuer_id" {
  description = "ID (fdis_...) of the organization's federation issuer for https://accounts.google.com. When null, the module looks the issuer up by its URL; it never creates one, since an organization keeps one issuer per issuer URL."
  type        = string
  default     = null

  validation {
    condition     = var.issuer_id == null || can(regex("^fdis_[0-9A-Za-z]+$", var.issuer_id))
    error_message = "issuer_id must be a federation issuer ID (fdis_...) or null."
  }
}

variable "audience" {
  description = "Audience the workload requests its Google ID token for, pinned in the rule. Google mints tokens for any audience anyone asks for, so the rule checks it."
  type        = string
  default     = "https://api.anthropic.com"
  nullable    = false

  validation {
    condition     = length(trimspace(var.audience)) > 0
    error_message = "audience must not be empty."
  }
}

variable "description" {
  description = "Description of the service account and of the rule, up to 2000 characters; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.description == null || (try(length(var.description), 0) >= 1 && try(length(var.description), 0) <= 2000)
    error_message = "description must be 1-2000 characters, or null for none (an empty string cannot be told apart from no description)."
  }
}
