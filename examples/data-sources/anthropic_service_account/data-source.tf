# A service account created in the Console (admin service accounts can only
# be created there), by name or by ID.
data "anthropic_service_account" "ops" {
  name = "ops-admin"
}

output "ops_service_account_id" {
  value = data.anthropic_service_account.ops.id
}
