variable "environments" {
  description = "One entry per environment: the Google service account its Cloud Run service runs as, and the Anthropic workspace it calls Claude in (wrkspc_...; the default workspace too, by its ID: data.anthropic_workspace with default = true)."
  type = map(object({
    google_service_account_email = string
    workspace_id                 = string
  }))

  validation {
    condition     = alltrue([for e in values(var.environments) : endswith(e.google_service_account_email, ".gserviceaccount.com")])
    error_message = "Each google_service_account_email must be a Google service account email."
  }
}

variable "create_google_issuer" {
  description = "Create the organization's issuer for https://accounts.google.com. Only the one configuration that owns it sets this; everyone else looks it up."
  type        = bool
  default     = false
}

variable "audience" {
  description = "Audience the workload requests its ID token for; the rule pins it."
  type        = string
  default     = "https://api.anthropic.com"
}
