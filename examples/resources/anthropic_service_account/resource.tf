resource "anthropic_service_account" "summarizer" {
  name        = "cloud-run-summarizer"
  description = "Summarizer service on Cloud Run"
}
