output "service_uri" {
  description = "URL of the Cloud Run service."
  value       = google_cloud_run_v2_service.summarizer.uri
}

output "google_service_account_email" {
  description = "The Google service account the service runs as."
  value       = google_service_account.summarizer.email
}

output "google_unique_id" {
  description = "Its numeric uniqueId, the `sub` the federation rule pins."
  value       = module.claude_identity.google_unique_id
}

output "anthropic_service_account_id" {
  description = "The Anthropic service account the service acts as."
  value       = module.claude_identity.service_account_id
}

output "federation_rule_id" {
  description = "The federation rule the service exchanges its ID token through."
  value       = module.claude_identity.federation_rule_id
}

output "workload_environment" {
  description = "The Anthropic variables the container gets."
  value       = module.claude_identity.sdk_environment
}
