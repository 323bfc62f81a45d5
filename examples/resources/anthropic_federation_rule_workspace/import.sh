# Import an enablement by <federation_rule_id>:<workspace_id>.
terraform import anthropic_federation_rule_workspace.staging fdrl_01ABCDEFabcdef0123456789XY:wrkspc_01ABCDEFabcdef0123456789XY

# Terraform 1.12 and later can also import it by its resource identity, with an import block:
#   import {
#     to       = anthropic_federation_rule_workspace.staging
#     identity = { federation_rule_id = "fdrl_01ABCDEFabcdef0123456789XY", workspace_id = "wrkspc_01ABCDEFabcdef0123456789XY" }
#   }
