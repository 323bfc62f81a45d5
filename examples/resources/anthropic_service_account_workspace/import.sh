# Import a membership as <service_account_id>:<workspace_id>.
terraform import anthropic_service_account_workspace.summarizer_production svac_01ABCDEFabcdef0123456789XY:wrkspc_01ABCDEFabcdef0123456789XY

# Terraform 1.12 and later can also import it by its resource identity, with an import block:
#   import {
#     to       = anthropic_service_account_workspace.summarizer_production
#     identity = { service_account_id = "svac_01ABCDEFabcdef0123456789XY", workspace_id = "wrkspc_01ABCDEFabcdef0123456789XY" }
#   }
