# Keyless: the provider exchanges the CI job's OIDC token through the
# org:admin rule created once in the Console, and acts as its admin service
# account. No admin token is stored anywhere. The organization comes from
# ANTHROPIC_ORGANIZATION_ID.
provider "anthropic" {
  federation = {
    rule_id            = var.admin_rule_id
    service_account_id = var.admin_service_account_id

    # GitHub Actions: a program that fetches a fresh OIDC token for every
    # exchange. null (HCP Terraform): the token comes from
    # TFC_WORKLOAD_IDENTITY_TOKEN (or ANTHROPIC_IDENTITY_TOKEN_FILE).
    executable = var.identity_token_command == null ? null : {
      command = var.identity_token_command
    }
  }
}
