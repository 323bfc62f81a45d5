# terraform query (Terraform 1.14 and later): the live rules of one issuer,
# with their attributes (include_resource), to generate their configuration
# with `terraform query -generate-config-out=rules.tf`.
list "anthropic_federation_rule" "google" {
  provider         = anthropic
  include_resource = true

  config {
    issuer_id = "fdis_01ABCDEFabcdef0123456789XY"
  }
}
