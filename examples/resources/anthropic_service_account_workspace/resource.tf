resource "anthropic_service_account" "summarizer" {
  name = "cloud-run-summarizer"
}

resource "anthropic_service_account_workspace" "summarizer_production" {
  service_account_id = anthropic_service_account.summarizer.id
  workspace_id       = "wrkspc_01ABCDEFabcdef0123456789XY"
  workspace_role     = "workspace_developer"
}
