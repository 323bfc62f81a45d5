# A rule managed in another configuration, looked up by name, feeding its
# workload environment to a service deployed here.
data "anthropic_federation_rule" "agent" {
  name = "cloud-run-agent"
}

output "agent_environment" {
  value = data.anthropic_federation_rule.agent.sdk_environment
}

# Or by ID.
data "anthropic_federation_rule" "ci" {
  id = "fdrl_01ABCDEFabcdef0123456789XY"
}
