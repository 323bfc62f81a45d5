# Google: keys found by OIDC discovery from the issuer URL (the default).
# One issuer per issuer URL per organization; federation rules tell
# workloads apart.
resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}

# A CI system whose tokens are short-lived: refuse anything valid for
# longer than 10 minutes.
resource "anthropic_federation_issuer" "github_actions" {
  name                     = "github-actions"
  issuer_url               = "https://token.actions.githubusercontent.com"
  max_jwt_lifetime_seconds = 600
}

# An internal issuer that Anthropic cannot reach: its public keys are
# given inline. Key order and formatting never show as a change.
resource "anthropic_federation_issuer" "internal" {
  name       = "internal-ci"
  issuer_url = "https://ci.internal.example.com"

  jwks = {
    type = "inline"
    keys = jsonencode(jsondecode(file("${path.module}/internal-ci-jwks.json")).keys)
  }
}

# A JWK Set published at its own URL, served with a certificate from a
# private CA.
resource "anthropic_federation_issuer" "partner" {
  name       = "partner-idp"
  issuer_url = "https://idp.partner.example.com"

  jwks = {
    type        = "explicit_url"
    url         = "https://keys.partner.example.com/jwks.json"
    ca_cert_pem = file("${path.module}/partner-ca.pem")
  }

  # Keep key polling running. Anthropic pauses it by itself after repeated
  # fetch failures (jwks_polling_disabled_at tells when); the next plan then
  # shows jwks_polling_disabled true -> false and apply resumes polling.
  # Only false can be set; omit it to leave polling alone.
  jwks_polling_disabled = false
}
