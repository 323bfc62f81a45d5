# The rule is created in its first workspace; further workspaces are
# enabled by separate resources (for example from each team's module).
# workspace_ids on the rule is authoritative, so tell Terraform to leave it
# to these resources, as with inline and separate security group rules in
# the AWS provider.
resource "anthropic_federation_rule" "agent" {
  name      = "cloud-run-agent"
  issuer_id = anthropic_federation_issuer.google.id

  match = {
    audience = "https://api.anthropic.com"
    claims = {
      sub   = "112233445566778899001"
      email = "claude-agent@my-project.iam.gserviceaccount.com"
    }
  }

  target = {
    service_account_id = anthropic_service_account.agent.id
  }

  oauth_scope   = "workspace:developer"
  workspace_ids = [data.anthropic_workspace.default.id]

  lifecycle {
    ignore_changes = [workspace_ids]
  }
}

resource "anthropic_federation_rule_workspace" "staging" {
  federation_rule_id = anthropic_federation_rule.agent.id
  workspace_id       = data.anthropic_workspace.staging.id
}

data "anthropic_workspace" "default" {
  default = true
}

data "anthropic_workspace" "staging" {
  name = "staging"
}
