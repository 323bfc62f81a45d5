data "anthropic_federation_issuers" "all" {}

# Issuers whose key polling is failing.
output "unhealthy_issuers" {
  value = [
    for i in data.anthropic_federation_issuers.all.issuers : i.name
    if i.poll_status != null && i.poll_status.consecutive_failures > 0
  ]
}
