# Import a federation rule by its ID.
terraform import anthropic_federation_rule.agent fdrl_01ABCDEFabcdef0123456789XY

# Terraform 1.12 and later can also import it by its resource identity, with an import block:
#   import {
#     to       = anthropic_federation_rule.agent
#     identity = { id = "fdrl_01ABCDEFabcdef0123456789XY" }
#   }
