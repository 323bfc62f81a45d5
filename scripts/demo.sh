#!/usr/bin/env bash
# The main job on the embedded default: start the local Anthropic emulator,
# apply examples/demo with the real terraform and the provider just built
# (dev_overrides, no registry, no init), show what it made, destroy it.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export CHECKPOINT_DISABLE=1

terraform_bin="$(scripts/find-terraform.sh)"
[ -x bin/terraform-provider-anthropic ] || go build -o bin/terraform-provider-anthropic .
go build -o bin/anthropic-emulator ./cmd/anthropic-emulator
go build -o bin/demo-workload ./examples/demo/workload

work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The emulator prints `export NAME=value` lines, then serves until killed.
bin/anthropic-emulator -listen 127.0.0.1:0 >"$work/emulator.env" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 100); do
  grep -q '^export ANTHROPIC_WORKSPACE_ID=' "$work/emulator.env" 2>/dev/null && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; echo "emulator exited" >&2; exit 1; }
  sleep 0.1
done
# shellcheck disable=SC1091
source "$work/emulator.env"
echo "==> emulator at $ANTHROPIC_BASE_URL (organization $ANTHROPIC_ORGANIZATION_ID)"

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "wiflabs/anthropic" = "$root/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export TF_IN_AUTOMATION=1
export TF_VAR_workspace_id="$ANTHROPIC_WORKSPACE_ID"

cp -R examples/demo/. "$work/demo/" 2>/dev/null || { mkdir -p "$work/demo" && cp -R examples/demo/. "$work/demo/"; }
cd "$work/demo"
# Drop terraform's dev_overrides warning box: expected here, and noise.
tf() {
  set +e
  "$terraform_bin" "$@" -no-color 2>&1 | awk '
    /^Warning: Provider development overrides are in effect/ { skip = 1; next }
    skip && /^releases\.$/ { skip = 0; getline; next }
    !skip { print }'
  local rc="${PIPESTATUS[0]}"
  set -e
  return "$rc"
}

echo "==> terraform apply"
tf apply -auto-approve -input=false
echo "==> what was created"
tf output
echo "==> the workload (a Cloud Run service) exchanges its Google ID token and calls Claude"
# shellcheck disable=SC2046
env $("$terraform_bin" output -raw workload_env) "$root/bin/demo-workload"
echo "==> the emulator's authentication history: the provider's exchange (ephemeral resource) and the workload's"
curl -fsS -H "Authorization: Bearer $ANTHROPIC_AUTH_TOKEN" \
  "$ANTHROPIC_BASE_URL/v1/organizations/federation_authentication_history?limit=5" |
  sed -e 's/},{/}\n{/g' |
  sed -E -n 's/.*"created_at":"([^"]*)".*"federation_rule_id":"([^"]*)".*"service_account_id":"([^"]*)".*"subject":"([^"]*)".*"outcome":"([^"]*)".*/  \1  \5  rule \2 -> \3 (sub \4)/p'
echo
echo "==> plan after apply (expect no changes)"
tf plan -detailed-exitcode -input=false >/dev/null || { echo "plan after apply is not empty" >&2; exit 1; }
echo "No changes."
echo "==> terraform destroy"
tf destroy -auto-approve -input=false
echo "==> demo finished"
