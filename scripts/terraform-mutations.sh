#!/usr/bin/env bash
# Shows the terraform tests can fail: each mutation of the module must make
# `terraform test` fail in the run that guards it.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CLI_CONFIG_FILE="$PWD/terraform/offline.tfrc"
mutate() { # name, python replacement (old, new), run that must fail
  local name=$1 old=$2 new=$3 run=$4 work
  work=$(mktemp -d)
  tar -C terraform --exclude=.terraform -cf - . | tar -C "$work" -xf -
  python3 - "$work/main.tf" "$old" "$new" <<'PY'
import sys
p, old, new = sys.argv[1:]
s = open(p).read()
assert old in s, f"mutation anchor not found: {old}"
open(p, "w").write(s.replace(old, new, 1))
PY
  (cd "$work" && terraform init -input=false -no-color -backend=false >/dev/null)
  if out=$(cd "$work" && terraform test -no-color 2>&1); then
    echo "MUTATION SURVIVED: $name"; rm -rf "$work"; return 1
  fi
  if ! grep -q "run \"$run\"... fail" <<<"$out"; then
    echo "mutation $name failed, but not in run $run:"; echo "$out" | grep -E 'run "' ; rm -rf "$work"; return 1
  fi
  echo "mutation caught: $name (run $run fails)"
  rm -rf "$work"
}
mutate "add kms:Sign to the function role" 'Action   = ["kms:GetPublicKey"]' 'Action   = ["kms:GetPublicKey", "kms:Sign"]' kms_source_grants_only_get_public_key_on_that_key
mutate "drop the identity source" 'identity_sources                  = ["$request.header.Authorization"]' 'identity_sources                  = []' authorizer_wiring
mutate "widen the invoke permission" 'source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.jwt.id}"' 'source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*"' authorizer_wiring
