# terraform query (Terraform 1.14 and later): every live federation issuer.
list "anthropic_federation_issuer" "all" {
  provider = anthropic
}
