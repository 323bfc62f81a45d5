output "service_account_id" {
  description = "ID of the Anthropic service account (svac_...) the workload acts as."
  value       = anthropic_service_account.workload.id
}

output "federation_rule_id" {
  description = "ID of the federation rule (fdrl_...) the workload exchanges its Google ID token through."
  value       = anthropic_federation_rule.workload.id
}

output "sdk_environment" {
  description = "Environment variables for the workload's Anthropic SDK: ANTHROPIC_FEDERATION_RULE_ID, ANTHROPIC_ORGANIZATION_ID, ANTHROPIC_SERVICE_ACCOUNT_ID and ANTHROPIC_WORKSPACE_ID. Feed them to the container's env; the identity token itself comes from the metadata server at run time."
  value       = anthropic_federation_rule.workload.sdk_environment
}

output "google_unique_id" {
  description = "Numeric uniqueId of the Google service account: the `sub` the rule pins."
  value       = data.anthropic_google_service_account.workload.unique_id
}

output "issuer_id" {
  description = "ID of the Google federation issuer (fdis_...) the rule uses."
  value       = data.anthropic_federation_issuer.google.id
}

output "audience" {
  description = "Audience the workload must request its Google ID token for (the metadata server's `audience` parameter)."
  value       = var.audience
}
