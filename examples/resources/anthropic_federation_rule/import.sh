# Import a federation rule by its ID.
terraform import anthropic_federation_rule.agent fdrl_01ABCDEFabcdef0123456789XY
