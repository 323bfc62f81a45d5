data "anthropic_service_accounts" "all" {}

output "service_account_ids_by_name" {
  value = { for sa in data.anthropic_service_accounts.all.service_accounts : sa.name => sa.id }
}
