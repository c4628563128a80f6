#!/usr/bin/env bash
# Integration: `terraform apply` of terraform/examples/complete against a
# moto_server started here, then the whole security catalog, signed with the
# deployed KMS key through moto, against the authorizer binary configured
# from the deployment's outputs; then `terraform destroy`. moto stores the
# function but cannot invoke it (no Docker), so the authorizer runs locally.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target="${CARGO_TARGET_DIR:-$root/target}"
harness="$target/release/harness"
[ -x "$harness" ] && [ -x "$target/release/authorizer" ] || { echo "build first: cargo build --release -p authorizer -p harness" >&2; exit 2; }
export TF_CLI_CONFIG_FILE="$root/terraform/offline.tfrc"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${MOTO_SERVER:-moto_server}" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
gw_pid=
cleanup() {
  [ -n "$gw_pid" ] && { kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; }
  kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do
  python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.2
done

"$harness" package --binary "$target/release/authorizer" --out "$work/authorizer.zip"
mkdir -p "$work/tf"
tar -C "$root/terraform" --exclude=.terraform -cf - . | tar -C "$work/tf" -xf -
cd "$work/tf/examples/complete"
terraform init -input=false -no-color >/dev/null
vars=(-var "endpoint_url=$endpoint" -var "lambda_zip_path=$work/authorizer.zip")
terraform apply -auto-approve -input=false -no-color "${vars[@]}" | tail -n 3
# outputs.json and the function's environment as an env file, from the
# outputs of the last apply.
env_from_outputs() {
  terraform output -json >"$work/outputs.json"
  python3 - "$work/outputs.json" "$work/authorizer.env" <<'PY'
import json, sys
env = json.load(open(sys.argv[1]))["authorizer_environment"]["value"]
with open(sys.argv[2], "w") as f:
    for k, v in env.items():
        f.write(f'{k}="{v.replace(chr(10), chr(92) + "n")}"\n')
PY
}
env_from_outputs
python3 - "$work/outputs.json" "$work" <<'PY'
import json, sys
out = json.load(open(sys.argv[1])); work = sys.argv[2]
for k in ("kms_key_id", "issuer"):
    open(f"{work}/{k}", "w").write(out[k]["value"])
open(f"{work}/audience", "w").write(out["audience"]["value"][0])
# Everything the harness needs to measure the deployment is an output.
for k in ("api_endpoint", "api_id", "stage_name", "authorizer_id", "function_name", "function_arn",
          "log_group_name", "execution_arn", "kms_key_id", "kms_key_arn", "kms_alias", "kids", "issuer", "audience"):
    assert out.get(k, {}).get("value"), f"output {k} is missing or empty"
assert out["kms_key_id"]["value"] in out["kids"]["value"], "kids include the key id"
assert out["log_group_name"]["value"] == "/aws/lambda/" + out["function_name"]["value"]
print("deployed:", out["api_endpoint"]["value"], "key", out["kms_key_arn"]["value"], "alias", out["kms_alias"]["value"],
      "function", out["function_name"]["value"], "log group", out["log_group_name"]["value"])
PY
key=$(cat "$work/kms_key_id")
# One token minted through moto's KMS, then the whole catalog.
"$harness" mint --kms-key-id "$key" --endpoint-url "$endpoint" --issuer "$(cat "$work/issuer")" --audience "$(cat "$work/audience")" >/dev/null
status=0
"$harness" check --target "lambda:$target/release/authorizer" --authorizer-env-file "$work/authorizer.env" \
  --kms-key-id "$key" --endpoint-url "$endpoint" --kid "$key" \
  --issuer "$(cat "$work/issuer")" --audience "$(cat "$work/audience")" \
  --junit "${JUNIT_OUT:-$work/check.xml}" | tail -n 5 || status=$?

# ---- the deployment measured through AWS's interfaces -------------------
# moto holds the control plane the apply created (key, function, log group,
# API, authorizer, stage); the emulator is the data plane: it serves the API
# as moto describes it (routes, authorizer TTL and identity source, stage
# throttling, the function's environment and log group), runs the real
# binary, ships its logs into the function's log group and follows the
# function's configuration. The suite reads everything else from the
# outputs and from moto's APIs.
if [ "$status" = 0 ]; then
  out_value() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["value"])' "$work/outputs.json" "$1"; }
  gw_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  AWS_ENDPOINT_URL="$endpoint" "$harness" gateway --authorizer "$target/release/authorizer" \
    --api-id "$(out_value api_id)" --endpoint-url "$endpoint" --listen "127.0.0.1:$gw_port" --quiet \
    >"$work/gateway.log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $gw_port), 0.2)" 2>/dev/null && break
    sleep 0.2
  done
  echo "harness suite --quick --deployment outputs.json (data plane: the emulator at 127.0.0.1:$gw_port)"
  AWS_ENDPOINT_URL="$endpoint" "$harness" suite --quick --deployment "$work/outputs.json" \
    --target "http://127.0.0.1:$gw_port/hello" --out "${SUITE_OUT:-$work/suite}" | tail -n 8 || status=$?
  if [ "$status" != 0 ]; then
    sed -n 1,40p "$work/gateway.log"
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); [print(k, json.dumps(v["inputs"])) for k, v in s["scenarios"].items()]' \
      "${SUITE_OUT:-$work/suite}/summary.json" || true
  fi
  kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; gw_pid=
fi

# ---- the rotation runbook (README "Rotating the signing key"), on moto ----
# check_with KEY KID: the whole catalog signed by KEY against the function's
# current environment (from the outputs of the last apply).
check_with() {
  "$harness" check --target "lambda:$target/release/authorizer" --authorizer-env-file "$work/authorizer.env" \
    --kms-key-id "$1" --endpoint-url "$endpoint" --kid "$2" "${@:3}" \
    --issuer "$(cat "$work/issuer")" --audience "$(cat "$work/audience")" | tail -n 1
}
if [ "$status" = 0 ]; then
  echo "rotation step 1: create the new key (RSA_2048, RS256) and trust both"
  AWS_ENDPOINT_URL="$endpoint" "$harness" keys new --kms --spec RSA_2048:RS256 --alias alias/jwt-next --endpoint-url "$endpoint" >"$work/new.json"
  new_arn=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["arn"])' "$work/new.json")
  new_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key_id"])' "$work/new.json")
  both=(-var "trusted_keys=[{arn=\"$new_arn\",algorithm=\"RS256\"}]")
  terraform apply -auto-approve -input=false -no-color "${vars[@]}" "${both[@]}" >"$work/apply.log"
  grep '^Apply complete' "$work/apply.log"
  env_from_outputs
  grep -q "JWT_PUBLIC_KEY_ALG=\"ES512,RS256\"" "$work/authorizer.env" || { echo "FAIL: both keys are not trusted" >&2; status=1; }
  # Decisions only while two keys are trusted: the catalog's reasons assume
  # one key (an RS256 header on a 132-byte signature is alg_not_allowed with
  # only the ES512 key, malformed once an RS256 key is trusted); every
  # decision must still match.
  check_with "$key" "$key" --compare decisions || status=$?
  check_with "$new_arn:RS256" "$new_id" --compare decisions || status=$?
  echo "rotation steps 2-3: the issuer signs with the new key; wait out the longest token lifetime + cache TTL (outside Terraform)"
  echo "rotation step 4: untrust the old key (create_key = false)"
  terraform apply -auto-approve -input=false -no-color "${vars[@]}" "${both[@]}" -var create_key=false >"$work/apply.log"
  grep '^Apply complete' "$work/apply.log"
  env_from_outputs
  if grep -q "$key" "$work/authorizer.env"; then echo "FAIL: the old key is still trusted" >&2; status=1; fi
  check_with "$new_arn:RS256" "$new_id" || status=$?
  vars+=("${both[@]}" -var create_key=false)
fi
terraform destroy -auto-approve -input=false -no-color "${vars[@]}" | tail -n 1

# ---- the other examples: what they plan, applied, measured --------------
# planned EXAMPLE VARS...: the resources `terraform plan` would create, held
# to examples/EXAMPLE/planned-resources.txt (WRITE_PLANNED=1 rewrites it).
planned() {
  local ex=$1; shift
  terraform plan -input=false -no-color -out "$work/$ex.tfplan" "$@" >/dev/null
  terraform show -json "$work/$ex.tfplan" | python3 -c '
import json, sys
plan = json.load(sys.stdin)
for r in plan.get("resource_changes", []):
    if "create" in r["change"]["actions"]:
        print(r["address"])' | sort >"$work/$ex.planned"
  local expected="$root/terraform/examples/$ex/planned-resources.txt"
  if [ "${WRITE_PLANNED:-}" = 1 ]; then cp "$work/$ex.planned" "$expected"; fi
  if ! diff -u "$expected" "$work/$ex.planned"; then
    echo "FAIL: $ex plans other resources than $expected lists" >&2; status=1
  fi
  echo "$ex plans $(wc -l <"$work/$ex.planned") resources, as listed: $(grep -c '^aws_' "$work/$ex.planned") outside the modules"
}
# five_pass EXAMPLE: the suite's summary holds five verdicts, each PASS (a
# SKIP is not a pass).
five_pass() {
  python3 - "$work/$1.suite/summary.json" "$1" <<'PY' || status=1
import json, sys
verdicts = json.load(open(sys.argv[1]))["verdicts"]
passed = [v["check"] for v in verdicts if v["status"] == "pass"]
print(f"{sys.argv[2]}: {len(passed)} of {len(verdicts)} verdicts PASS ({', '.join(passed)})")
sys.exit(0 if len(passed) == len(verdicts) == 5 else f"FAIL: {sys.argv[2]} needs five PASS")
PY
}
# serve EXAMPLE FLAG OUTPUT: the applied API served by the emulator (moto has
# no data plane) as `harness gateway FLAG <the OUTPUT output>` reads it;
# sets gw_port and gw_pid, and ex_out (the example's outputs file).
serve() {
  local ex=$1 flag=$2 output=$3
  ex_out="$work/$ex.outputs.json"
  terraform output -json >"$ex_out"
  gw_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  AWS_ENDPOINT_URL="$endpoint" "$harness" gateway --authorizer "$target/release/authorizer" \
    "$flag" "$(ex_value "$output")" --endpoint-url "$endpoint" --listen "127.0.0.1:$gw_port" --quiet \
    >"$work/$ex.gateway.log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $gw_port), 0.2)" 2>/dev/null && break
    sleep 0.2
  done
}
ex_value() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["value"])' "$ex_out" "$1"; }
# suite EXAMPLE URL: `harness suite --quick --deployment` from the outputs
# alone, at URL; five PASS or the run fails.
suite() {
  echo "harness suite --quick --deployment outputs.json ($1; data plane: the emulator, $2)"
  AWS_ENDPOINT_URL="$endpoint" "$harness" suite --quick --deployment "$ex_out" \
    --target "$2" --out "$work/$1.suite" | tail -n 8 || { status=1; sed -n 1,40p "$work/$1.gateway.log"; }
  five_pass "$1"
}
stop_gateway() { kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; gw_pid=; }
# status_of URL: the HTTP status a GET without a token gets.
status_of() {
  python3 -c 'import sys, urllib.request, urllib.error
try: print(urllib.request.urlopen(sys.argv[1]).status)
except urllib.error.HTTPError as e: print(e.code)' "$1" 2>/dev/null || echo error
}
# measure_http EXAMPLE: the HTTP API measured; its public route stays public.
measure_http() {
  local ex=$1
  serve "$ex" --api-id api_id
  suite "$ex" "http://127.0.0.1:$gw_port/hello"
  code=$(status_of "http://127.0.0.1:$gw_port/public")
  echo "GET /public without a token: $code"
  [ "$code" = 200 ] || { echo "FAIL: $ex's public route answered $code" >&2; status=1; }
  stop_gateway
}
# measure_rest EXAMPLE: the REST API read from API Gateway v1 (gateway
# --rest-api-id); the suite measures the TOKEN method, the catalog runs on
# the REQUEST one (harness check), and an unknown resource is 403 Missing
# Authentication Token.
measure_rest() {
  local ex=$1
  serve "$ex" --rest-api-id rest_api_id
  local base="http://127.0.0.1:$gw_port/$(ex_value stage_name)"
  suite "$ex" "$base/hello"
  echo "harness check --deployment outputs.json ($ex, REQUEST method)"
  AWS_ENDPOINT_URL="$endpoint" "$harness" check --deployment "$ex_out" \
    --target "$base/hello-request" | tail -n 1 || status=1
  code=$(status_of "$base/nowhere")
  echo "GET /nowhere: $code"
  [ "$code" = 403 ] || { echo "FAIL: $ex answered an unknown resource with $code, not 403" >&2; status=1; }
  stop_gateway
}
# ---- moving from the single module (terraform/README.md) ---------------
# The last release before the split (d6cf562) applied, then this root on the
# same state: the moved blocks must carry every resource (no key, log group,
# function, API or authorizer replaced); only the invoke permission is
# re-created for the alias, before the old one goes. The plan is the test:
# moto has no API Gateway v2 UpdateStage, which the new access log format
# needs, so the move is planned here and applied only against AWS.
if git -C "$root" cat-file -e "d6cf562^{commit}" 2>/dev/null; then
  mkdir -p "$work/old"
  git -C "$root" archive d6cf562 terraform | tar -C "$work/old" -xf -
  cd "$work/old/terraform/examples/complete"
  terraform init -input=false -no-color >/dev/null
  terraform apply -auto-approve -input=false -no-color -var "endpoint_url=$endpoint" -var "lambda_zip_path=$work/authorizer.zip" | grep '^Apply complete'
  cp terraform.tfstate "$work/tf/examples/complete/terraform.tfstate"
  cd "$work/tf/examples/complete"
  terraform plan -input=false -no-color -out "$work/migrate.tfplan" -var "endpoint_url=$endpoint" -var "lambda_zip_path=$work/authorizer.zip" >/dev/null
  terraform show -json "$work/migrate.tfplan" | python3 -c '
import json, sys
plan = json.load(sys.stdin)
moved = [r for r in plan["resource_changes"] if r.get("previous_address")]
deleted = [r["address"] for r in plan["resource_changes"] if "delete" in r["change"]["actions"]]
created = [r["address"] for r in plan["resource_changes"] if r["change"]["actions"] == ["create"]]
print(f"migration plan: {len(moved)} resources moved, created {created}, replaced or deleted {deleted}")
bad = [a for a in deleted if not a.endswith("aws_lambda_permission.this")]
sys.exit(f"FAIL: the migration would delete {bad}" if bad else 0)' || status=1
  terraform destroy -auto-approve -input=false -no-color -var "endpoint_url=$endpoint" -var "lambda_zip_path=$work/authorizer.zip" | tail -n 1
else
  echo "SKIPPED: the migration from the single module (d6cf562 is not in this clone's history)"
fi

for ex in existing-http-api rest-api; do
  cd "$work/tf/examples/$ex"
  terraform init -input=false -no-color >/dev/null
  ex_vars=(-var "endpoint_url=$endpoint" -var "lambda_zip_path=$work/authorizer.zip")
  planned "$ex" "${ex_vars[@]}"
  terraform apply -auto-approve -input=false -no-color "${ex_vars[@]}" | grep '^Apply complete'
  case "$ex" in
    existing-http-api) measure_http "$ex" ;;
    rest-api) measure_rest "$ex" ;;
  esac
  terraform destroy -auto-approve -input=false -no-color "${ex_vars[@]}" | tail -n 1
done
exit "$status"
