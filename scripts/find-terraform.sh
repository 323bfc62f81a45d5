#!/usr/bin/env bash
# Prints the path of a local terraform >= 1.10, or explains why there is none.
# Never downloads anything: these machines are offline, and letting
# terraform-plugin-testing fetch a binary would fail (or be unpinned).
set -euo pipefail

candidate="${TF_ACC_TERRAFORM_PATH:-}"
if [ -z "$candidate" ]; then
  candidate="$(command -v terraform || true)"
fi
if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then
  cat >&2 <<'MSG'
error: no terraform binary found.
  The acceptance tests and the demo drive a real terraform (>= 1.10) and never download one.
  Put terraform on PATH, or set TF_ACC_TERRAFORM_PATH=/path/to/terraform.
MSG
  exit 1
fi

version="$(env -u TF_CLI_CONFIG_FILE "$candidate" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p' | head -1)"
if [ -z "$version" ]; then
  version="$(env -u TF_CLI_CONFIG_FILE "$candidate" version 2>/dev/null | sed -n 's/^Terraform v\([0-9.]*\).*/\1/p' | head -1)"
fi
major="${version%%.*}"
rest="${version#*.}"
minor="${rest%%.*}"
if [ -z "$version" ] || [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 10 ]; }; then
  echo "error: $candidate is terraform ${version:-of unknown version}; >= 1.10 is needed (ephemeral resources)." >&2
  exit 1
fi
echo "$candidate"
