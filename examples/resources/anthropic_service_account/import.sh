# Import a service account by its ID.
terraform import anthropic_service_account.summarizer svac_01ABCDEFabcdef0123456789XY
