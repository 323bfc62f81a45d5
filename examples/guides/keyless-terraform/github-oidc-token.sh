#!/bin/sh
# Prints a fresh GitHub Actions OIDC token in Google's executable-sourced
# credential format, for the provider's federation.executable. The job needs
# `permissions: id-token: write`, which makes GitHub set
# ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
# Every exchange gets its own token: GitHub's carry a single-use jti.
set -eu
audience="${GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE:-https://api.anthropic.com}"
token="$(curl -sSf -H "Authorization: bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}" \
  "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${audience}" | jq -r .value)"
printf '{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"%s"}\n' "$token"
