# Import a federation issuer by its ID.
terraform import anthropic_federation_issuer.google fdis_01ABCDEFabcdef0123456789XY
