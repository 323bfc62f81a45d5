# Reuse the organization's one Google issuer instead of creating another.
data "anthropic_federation_issuer" "google" {
  issuer_url = "https://accounts.google.com"
}

# Or look it up by name, or by ID.
data "anthropic_federation_issuer" "ci" {
  name = "github-actions"
}

output "google_issuer_id" {
  value = data.anthropic_federation_issuer.google.id
}
