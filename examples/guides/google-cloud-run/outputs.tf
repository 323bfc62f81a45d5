output "sdk_environment" {
  description = "Per environment: the variables the workload's Anthropic SDK reads (rule, organization, service account, workspace). None is a secret."
  value       = { for env, rule in anthropic_federation_rule.workload : env => rule.sdk_environment }
}

output "google_issuer_id" {
  description = "The organization's Google issuer."
  value       = local.google_issuer_id
}
