# Import a federation issuer by its ID.
terraform import anthropic_federation_issuer.google fdis_01ABCDEFabcdef0123456789XY

# Terraform 1.12 and later can also import it by its resource identity, with an import block:
#   import {
#     to       = anthropic_federation_issuer.google
#     identity = { id = "fdis_01ABCDEFabcdef0123456789XY" }
#   }
