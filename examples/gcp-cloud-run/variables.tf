variable "project_id" {
  description = "Google Cloud project the Cloud Run service and its service account live in."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run service."
  type        = string
  default     = "europe-west1"
}

variable "image" {
  description = "Container image of the workload, e.g. europe-docker.pkg.dev/my-project/agents/summarizer:1.4.2. Its code exchanges a metadata-server ID token for a Claude API token (see README.md)."
  type        = string
}

variable "anthropic_workspace_id" {
  description = "Anthropic workspace (wrkspc_...) the workload calls Claude in."
  type        = string
}

variable "create_google_issuer" {
  description = "Create the organization's federation issuer for https://accounts.google.com here. Leave false when it already exists (created once, usually by the platform team's organization-level configuration): the module then looks it up. An organization keeps one issuer per issuer URL."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Protect the Cloud Run service from terraform destroy. Set to false (and apply) before destroying."
  type        = bool
  default     = true
}
