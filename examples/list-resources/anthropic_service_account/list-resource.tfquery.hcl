# terraform query (Terraform 1.14 and later): every live service account.
list "anthropic_service_account" "all" {
  provider = anthropic
}
