#!/usr/bin/env bash
# generate: render docs/ from the provider schema, examples/ and templates/.
# check:    render into a temporary directory and fail if docs/ differs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
mode="${1:-generate}"
tf="$(scripts/find-terraform.sh)"
# tfplugindocs looks terraform up on PATH; never let it download one.
export PATH="$(dirname "$tf"):$PATH"
unset TF_CLI_CONFIG_FILE

case "$mode" in
  generate)
    bin/tfplugindocs generate --provider-name anthropic --rendered-website-dir docs
    bin/tfplugindocs validate --provider-name anthropic
    ;;
  check)
    # tfplugindocs resolves --rendered-website-dir inside the provider dir.
    out="bin/docs-check"
    rm -rf "$out" && mkdir -p "$out"
    trap 'rm -rf "$out"' EXIT
    bin/tfplugindocs generate --provider-name anthropic --rendered-website-dir "$out/docs" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
    if ! diff -ru docs "$out/docs"; then
      echo "docs/ is stale: run 'make generate' and commit the result." >&2
      exit 1
    fi
    echo "docs/ is up to date."
    ;;
  *) echo "usage: $0 generate|check" >&2; exit 2 ;;
esac
