# The organization's Google issuer, made before the module runs (in a real
# organization the platform team owns it).

terraform {
  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
  }
}

resource "anthropic_federation_issuer" "google" {
  name       = "google"
  issuer_url = "https://accounts.google.com"
}

# The module takes the workspace by its ID; the default one is looked up.
data "anthropic_workspace" "default" {
  default = true
}

output "default_workspace_id" {
  value = data.anthropic_workspace.default.id
}

output "issuer_id" {
  value = anthropic_federation_issuer.google.id
}
