#!/usr/bin/env bash
# Shows the terraform tests can fail: each mutation of the module must make
# `terraform test` fail in the run that guards it.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CLI_CONFIG_FILE="$PWD/terraform/offline.tfrc"
mutate() { # name, module dir (under terraform/), python replacement (old, new) in its main.tf (or FILE: in module/FILE), run that must fail
  local name=$1 module=$2 old=$3 new=$4 run=$5 file=${6:-main.tf} work
  work=$(mktemp -d)
  tar -C terraform --exclude=.terraform -cf - . | tar -C "$work" -xf -
  python3 - "$work/$module/$file" "$old" "$new" <<'PY'
import sys
p, old, new = sys.argv[1:]
s = open(p).read()
assert old in s, f"mutation anchor not found: {old}"
open(p, "w").write(s.replace(old, new, 1))
PY
  (cd "$work/$module" && terraform init -input=false -no-color -backend=false >/dev/null)
  if out=$(cd "$work/$module" && terraform test -no-color 2>&1); then
    echo "MUTATION SURVIVED: $name"; rm -rf "$work"; return 1
  fi
  if ! grep -q "run \"$run\"... fail" <<<"$out"; then
    echo "mutation $name failed, but not in run $run:"; echo "$out" | grep -E 'run "' ; rm -rf "$work"; return 1
  fi
  echo "mutation caught: $name (run $run fails)"
  rm -rf "$work"
}
mutate "add kms:Sign to the function role" modules/function 'Action   = ["kms:GetPublicKey"]' 'Action   = ["kms:GetPublicKey", "kms:Sign"]' kms_source_grants_only_get_public_key_on_that_key
mutate "drop the identity source" modules/http-authorizer 'identity_sources                  = var.identity_sources' 'identity_sources                  = []' authorizer_wiring
mutate "widen the HTTP invoke permission" modules/http-authorizer ':${var.api_id}/authorizers/${aws_apigatewayv2_authorizer.this.id}"' ':${var.api_id}/*"' authorizer_wiring
mutate "widen the REST invoke permission" modules/rest-authorizer ':${var.rest_api_id}/authorizers/${aws_api_gateway_authorizer.this.id}"' ':${var.rest_api_id}/*"' token_authorizer_reads_the_authorization_header
mutate "invoke the unqualified function" modules/function 'value       = aws_lambda_alias.live.invoke_arn' 'value       = aws_lambda_function.authorizer.invoke_arn' api_gateway_invokes_the_live_alias_of_a_published_version outputs.tf
