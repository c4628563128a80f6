#!/usr/bin/env bash
# terraform/README.md's "Deploy to AWS" block, command by command as written, against
# a moto_server started here: the environment is what the README tells a
# moto user to export (TF_VAR_endpoint_url, TF_VAR_invoke_url,
# AWS_ENDPOINT_URL), `terraform apply` is answered "yes" as a user would,
# and right after it the emulator serves the applied API (harness gateway
# --api-id), since moto has no data plane. Then `terraform destroy`; moto and
# the emulator are stopped by PID; the files the block writes are removed.
# Between the two: every `--help` example that measures a deployment, and
# docs/guide.md's sharded-load block (plan, three workers, merge), as
# written, against the same deployment, and its bucket block (the same
# through S3, with a bucket made in this moto).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command -v terraform >/dev/null 2>&1 && [ -d /opt/tf-plugins ] || { echo "SKIPPED: README deploy block (terraform or /opt/tf-plugins missing)"; exit 0; }
target="${CARGO_TARGET_DIR:-$root/target}"
export TF_CLI_CONFIG_FILE="$root/terraform/offline.tfrc"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

work=$(mktemp -d)
port=$(free_port)
gw_port=$(free_port)
"${MOTO_SERVER:-moto_server}" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
gw_pid=
made_target_link=
ex=terraform/examples/complete
cleanup() {
  [ -n "$gw_pid" ] && { kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; }
  terraform -chdir="$ex" destroy -auto-approve -input=false -no-color >"$work/destroy.log" 2>&1 || true
  kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true
  rm -rf "$ex"/terraform.tfstate* outputs.json security.xml check.xml run
  [ -n "$made_target_link" ] && rm -f target
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
wait_port "$port" || { echo "moto_server did not start"; exit 1; }

# What the README tells a moto user to export.
export TF_VAR_endpoint_url="http://127.0.0.1:$port" TF_VAR_invoke_url="http://127.0.0.1:$gw_port"
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
# The block says ./target; a shared target directory stands in for it.
if [ ! -e target ] && [ "$target" != "$root/target" ]; then ln -s "$target" target; made_target_link=1; fi

python3 - "$root/terraform/README.md" >"$work/commands" <<'PY'
import sys
text = open(sys.argv[1]).read()
block = text.split("## Deploy to AWS\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
cmd = ""
for line in block.splitlines():
    line = line.split("   # ")[0].rstrip()
    if line.endswith("\\"):
        cmd += line[:-1]
        continue
    cmd += line
    if cmd.strip():
        print(cmd)
    cmd = ""
PY
n=0
while IFS= read -r cmd; do
  n=$((n + 1))
  echo "\$ $cmd"
  # `terraform apply` asks; answer as the user would.
  # The README calls `harness` by name, on PATH after the build.
  if ! PATH="$target/release:$PATH" bash -c "$cmd" <<<"yes" >"$work/out.$n" 2>&1; then
    tail -n 30 "$work/out.$n"; [ -f "$work/gw.log" ] && tail -n 20 "$work/gw.log"
    echo "FAIL: README deploy command $n"; exit 1
  fi
  tail -n 8 "$work/out.$n" | grep -v 'users launched' || true
  if [[ "$cmd" == *" apply"* ]] && [ -z "$gw_pid" ]; then
    # moto holds the control plane; the emulator is the data plane.
    "$target/release/harness" gateway --authorizer "$target/release/authorizer" \
      --api-id "$(terraform -chdir="$ex" output -raw api_id)" --endpoint-url "$AWS_ENDPOINT_URL" \
      --listen "127.0.0.1:$gw_port" --quiet >"$work/gw.log" 2>&1 &
    gw_pid=$!
    wait_port "$gw_port" || { cat "$work/gw.log"; echo "FAIL: the emulator did not start"; exit 1; }
  fi
done <"$work/commands"
[ "$n" -ge 5 ] || { echo "FAIL: only $n commands found in the README's deploy block"; exit 1; }
echo "README deploy block: $n commands passed against moto"

# Every `--help` example that measures a deployment, as written, against the
# same deployment (outputs.json from the block above), `harness` being the
# release binary.
m=0
for sub in check suite load; do
  while IFS= read -r cmd; do
    m=$((m + 1))
    echo "\$ $cmd   (harness $sub --help)"
    if ! PATH="$target/release:$PATH" bash -c "$cmd" >"$work/help.$m" 2>&1; then
      tail -n 30 "$work/help.$m"; echo "FAIL: the example in harness $sub --help"; exit 1
    fi
    tail -n 2 "$work/help.$m"
  done < <("$target/release/harness" "$sub" --help | sed -n 's/^  \(harness .*--deployment outputs.json[^#]*\).*/\1/p' \
             | sed -E 's/ {3,}.*$//; s/[[:space:]]+$//')
done
[ "$m" -ge 3 ] || { echo "FAIL: only $m deployment examples found in --help"; exit 1; }
echo "--help deployment examples: $m commands passed against moto"

# docs/guide.md's sharded load on an engine of one's own, as one script as
# written (its workers run in the background): plan, three workers from
# one T0, merge. The merged report must hold all three shards, and no
# worker may be left.
# guide_block MARKER: the first sh block after MARKER in docs/guide.md.
guide_block() {
  python3 - "$root/docs/guide.md" "$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
part = text.split(sys.argv[2], 1)[1]
print(part.split("```sh\n", 1)[1].split("```", 1)[0])
PY
}
guide_block "**On any engine you bring**" >"$work/shards.sh"
grep -q 'harness load merge' "$work/shards.sh" || { echo "FAIL: no sharded-load block in docs/guide.md"; exit 1; }
echo "\$ docs/guide.md sharded load block:"; sed 's/^/    /' "$work/shards.sh"
if ! PATH="$target/release:$PATH" bash -euo pipefail "$work/shards.sh" >"$work/shards.out" 2>&1; then
  tail -n 30 "$work/shards.out"; for f in run/shard-*/report.md; do [ -f "$f" ] && tail -n 5 "$f"; done
  echo "FAIL: docs/guide.md's sharded-load block"; exit 1
fi
grep -v 'users launched' "$work/shards.out" | grep -E '^(rate|decisions|send_lag|cold_starts|manifest:) ' || true
python3 - <<'PY'
import json
s = json.load(open("run/merged/summary.json"))
shards = [t["index"] for t in s["load"]["shards"]]
assert shards == [0, 1, 2], shards
print("sharded load: 3 shards merged,", sum(t["planned"] for t in s["load"]["shards"]), "requests planned")
PY
if pgrep -f 'run/manifest.json' >/dev/null; then echo "FAIL: a worker outlived the block"; exit 1; fi

# The same through a bucket (docs/guide.md "Through a bucket"), as written,
# with RUN_BUCKET made in this moto: the manifest written to S3, two
# workers reading it and writing their summaries beside it, the merge
# reading every summary under results/.
export RUN_BUCKET=harness-byo-runs
python3 -c "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + '/' + sys.argv[2], method='PUT'))" "$AWS_ENDPOINT_URL" "$RUN_BUCKET"
guide_block "**Through a bucket.**" >"$work/s3shards.sh"
grep -q 'load merge "s3://' "$work/s3shards.sh" || { echo "FAIL: no bucket block in docs/guide.md"; exit 1; }
echo "\$ docs/guide.md bucket block:"; sed 's/^/    /' "$work/s3shards.sh"
if ! PATH="$target/release:$PATH" bash -euo pipefail "$work/s3shards.sh" >"$work/s3shards.out" 2>&1; then
  tail -n 30 "$work/s3shards.out"; echo "FAIL: docs/guide.md's bucket block"; exit 1
fi
grep -E '^(manifest|shard report): ' "$work/s3shards.out" || true
python3 - "$AWS_ENDPOINT_URL" "$RUN_BUCKET" <<'PY'
import json, re, sys, urllib.request
moto, bucket = sys.argv[1:]
s = json.load(open("run/s3-merged/summary.json"))
shards = [t["index"] for t in s["load"]["shards"]]
assert shards == [0, 1], shards
xml = urllib.request.urlopen(f"{moto}/{bucket}?list-type=2&prefix=runs/byo-1/").read().decode()
keys = sorted(re.findall(r"<Key>runs/byo-1/([^<]+)</Key>", xml))
assert keys == ["manifest.json", "results/0/summary.json", "results/1/summary.json"], keys
planned = sum(t["planned"] for t in s["load"]["shards"])
print(f"bucket block: 2 shards merged from s3://{bucket}/runs/byo-1/results/ ({planned} requests planned)")
PY
if pgrep -f 'runs/byo-1/manifest.json' >/dev/null; then echo "FAIL: a worker outlived the bucket block"; exit 1; fi
