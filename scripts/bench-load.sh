#!/usr/bin/env bash
# The load generator's own ceiling: the highest paced rate `harness load`
# sustains against the emulator's cache-hit path (one repeated valid token
# class, latency still measured from intended send times), found with the
# knee preset (steps ×1.25 from 1000 req/s; a step holds with p99 ≤ 50 ms,
# no errors and 95 % of its rate achieved), next to `wrk -t2 -c64 -d10s` on
# the same route of the same emulator in the same run. Both share this
# machine's cores with the emulator. Prints a table and writes
# $CARGO_TARGET_DIR/bench-load.json. Needs the release binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
harness="$target/release/harness"
authorizer="$target/release/authorizer"
[ -x "$harness" ] && [ -x "$authorizer" ] || { echo "build first: cargo build --release -p harness -p authorizer"; exit 2; }
if ! command -v wrk >/dev/null 2>&1; then
  (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; }) || true
fi
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 150); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
work=$(mktemp -d)
moto_pid= gw_pid=
cleanup() {
  for p in $gw_pid $moto_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
moto_server=${MOTO_SERVER:-$HOME/.cache/jwt-authorizer/venv/moto/bin/moto_server}
port=$(free_port); gw_port=$(free_port)
"$moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
wait_port "$port" || { echo "moto_server did not start"; exit 1; }
moto="http://127.0.0.1:$port"
key=$("$harness" keys new --kms --endpoint-url "$moto" --alias alias/bench-load | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
iss=https://issuer.harness.test aud=harness-api
"$harness" gateway --authorizer "$authorizer" --listen "127.0.0.1:$gw_port" --cache-ttl 300 \
  --rate 1000000 --burst 1000000 --no-account-throttle --quiet \
  --env "JWT_KMS_KEY_IDS=$key" --env "JWT_ISSUER=$iss" --env "JWT_AUDIENCE=$aud" --env "JWT_RESPONSE_FORMAT=simple" \
  --env "AWS_ENDPOINT_URL=$moto" --env AWS_ACCESS_KEY_ID=testing --env AWS_SECRET_ACCESS_KEY=testing --env AWS_REGION=us-east-1 \
  >"$work/gateway.log" 2>&1 &
gw_pid=$!
wait_port "$gw_port" || { echo "the emulator did not start"; cat "$work/gateway.log"; exit 1; }
url="http://127.0.0.1:$gw_port/hello"
token=$("$harness" mint --kms-key-id "$key" --endpoint-url "$moto" --issuer "$iss" --audience "$aud" --exp +3600)
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url")
[ "$status" = 200 ] || { echo "the route answered $status to a valid token"; cat "$work/gateway.log"; exit 1; }

wrk_rps=null wrk_p50=null wrk_p99=null
if command -v wrk >/dev/null 2>&1; then
  wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $token" "$url" >"$work/wrk.txt"
  wrk_rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
  wrk_p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  wrk_p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
else
  echo "SKIPPED: wrk (not installed and apt-get could not install it); harness load's ceiling alone"
fi

cat >"$work/ceiling.toml" <<'TOML'
profile = "knee"
max_in_flight = 256
[knee]
start_rate = 1000
factor = 1.25
step_s = 5
max_rate = 200000
p99_ms = 50
[mix]
valid = 1
expired = 0
forged = 0
malformed = 0
repeat = 1.0
repeat_tokens = 1
TOML
"$harness" load --plan "$work/ceiling.toml" --target "$url" --kms-key-id "$key" --kms-endpoint "$moto" \
  --issuer "$iss" --audience "$aud" --quiet --out "$work/ceiling" >"$work/load.txt" 2>"$work/load.err" || true
python3 - "$work" "$wrk_rps" "$wrk_p50" "$wrk_p99" "$target/bench-load.json" <<'PY'
import json, sys
work, wrk_rps, wrk_p50, wrk_p99, out = sys.argv[1:]
s = json.load(open(f"{work}/ceiling/summary.json"))
steps = s["load"]["steps"]
held = [x for x in steps if x["held"]]
top = held[-1] if held else None
broke = next((x for x in steps if not x["held"]), None)
wrk = float(wrk_rps) if wrk_rps != "null" else None
res = {
    "harness_load_sustained_rps": top["rate"] if top else 0,
    "harness_load_p99_ms_at_sustained": top["p99_ms"] if top else None,
    "harness_load_next_step": {"rate": broke["rate"], "why": broke["why"]} if broke else None,
    "wrk_rps": wrk, "wrk_p50": wrk_p50, "wrk_p99": wrk_p99,
    "ratio_harness_to_wrk": (top["rate"] / wrk) if (top and wrk) else None,
    "steps": [{k: x[k] for k in ("rate", "achieved_rps", "p99_ms", "held")} for x in steps],
}
json.dump(res, open(out, "w"), indent=2)
print("| load generator (cache-hit route, same emulator, same run) | rate | latency |")
print("|---|---|---|")
if top:
    print(f"| harness load, highest paced step that held | {top['rate']:.0f} req/s | p99 {top['p99_ms']:.1f} ms from intended send times |")
if broke:
    print(f"| harness load, next step ({broke['rate']:.0f} req/s) | did not hold | {broke['why']} |")
if wrk:
    print(f"| wrk -t2 -c64 -d10s (closed loop) | {wrk:.0f} req/s | p50 {wrk_p50}, p99 {wrk_p99} |")
    if top:
        print(f"| ratio harness load / wrk | {top['rate'] / wrk:.3f} | |")
print(f"written {out}")
PY
