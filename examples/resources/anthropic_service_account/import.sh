# Import a service account by its ID.
terraform import anthropic_service_account.summarizer svac_01ABCDEFabcdef0123456789XY

# Terraform 1.12 and later can also import it by its resource identity, with an import block:
#   import {
#     to       = anthropic_service_account.summarizer
#     identity = { id = "svac_01ABCDEFabcdef0123456789XY" }
#   }
