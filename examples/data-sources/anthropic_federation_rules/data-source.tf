# Every live rule of the Google issuer, e.g. to audit which ones pin an
# email.
data "anthropic_federation_rules" "google" {
  issuer_id = "fdis_01ABCDEFabcdef0123456789XY"
}

output "google_rules_without_email" {
  value = [
    for r in data.anthropic_federation_rules.google.rules : r.name
    if try(r.match.claims["email"], null) == null
  ]
}
