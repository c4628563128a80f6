#!/usr/bin/env bash
# docs/guide.md's ECS block as written, against moto: terraform/examples/
# load-workers applied to a moto_server started here, `harness ecs-runner`
# as its data plane (each task moto records as started becomes a local
# process of the harness), then `harness load --engine ecs --workers 3`
# against the local stack. Checks: three RunTask calls started by the run,
# every task STOPPED, ready markers and results in the bucket, the manifest
# gone, no worker process left, the merged report's shard table, and its
# per-second planned counts equal to the same plan run on one generator.
# Then the failure paths: a worker that exits 3 (the run fails naming its
# shard, every task stopped), a worker that comes back after T0 + its
# tolerance (it refuses; the run fails naming it and why), and a
# coordinator killed after go (its workers end by themselves). moto, the
# runner and the coordinators are stopped by PID; the state files the
# block writes are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command -v terraform >/dev/null 2>&1 && [ -d /opt/tf-plugins ] || { echo "SKIPPED: ECS engine against moto (terraform or /opt/tf-plugins missing)"; exit 0; }
target="${CARGO_TARGET_DIR:-$root/target}"
harness="$target/release/harness"
export TF_CLI_CONFIG_FILE="$root/terraform/offline.tfrc"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
port=$(free_port)
"${MOTO_SERVER:-moto_server}" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
runner_pid=
coord_pid=
ex=terraform/examples/load-workers
made_target_link=
cleanup() {
  for p in $coord_pid $runner_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  # moto is this script's own and ends here with everything in it (the
  # script destroys the example at its end; a failure skips that).
  kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true
  rm -rf "$ex"/terraform.tfstate* workers.json
  [ -n "$made_target_link" ] && rm -f target
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.2
done
moto="http://127.0.0.1:$port"
# What the guide tells a moto user to export.
export TF_VAR_endpoint_url="$moto" AWS_ENDPOINT_URL_S3="$moto" AWS_ENDPOINT_URL_ECS="$moto"
if [ ! -e target ] && [ "$target" != "$root/target" ]; then ln -s "$target" target; made_target_link=1; fi

python3 - "$root/docs/guide.md" >"$work/commands" <<'PY'
import sys
text = open(sys.argv[1]).read()
part = text.split("**On ECS Fargate: `--engine ecs --workers N`.**", 1)[1]
for line in part.split("```sh\n", 1)[1].split("```", 1)[0].splitlines():
    if line.strip() and not line.startswith("#"):
        print(line)
PY
[ "$(wc -l <"$work/commands")" -eq 3 ] || { echo "FAIL: the guide's ECS block is not the three commands expected"; cat "$work/commands"; exit 1; }

start_runner() {  # start_runner [--fail-shard I | --stall-shard I]
  AWS_ENDPOINT_URL="$moto" "$harness" ecs-runner --endpoint-url "$moto" --cluster "$cluster" "$@" >>"$work/runner.log" 2>&1 &
  runner_pid=$!
}
stop_runner() { kill "$runner_pid" 2>/dev/null || true; wait "$runner_pid" 2>/dev/null || true; runner_pid=; }
# task_states RUN_ID: one line per task started by the run, "STATUS".
task_states() {
  python3 - "$moto" "$cluster" "$1" <<'PY'
import json, sys, urllib.request
moto, cluster, run = sys.argv[1:]
def call(op, body):
    req = urllib.request.Request(moto, data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonEC2ContainerServiceV20141113." + op,
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x"})
    return json.load(urllib.request.urlopen(req))
arns = []
for status in ("RUNNING", "STOPPED"):
    arns += call("ListTasks", {"cluster": cluster, "startedBy": run, "desiredStatus": status})["taskArns"]
if arns:
    for t in call("DescribeTasks", {"cluster": cluster, "tasks": arns})["tasks"]:
        print(t["lastStatus"])
PY
}
workers_left() { pgrep -f 'load worker --manifest s3://' || true; }

n=0
while IFS= read -r cmd; do
  n=$((n + 1))
  echo "\$ $cmd"
  if ! PATH="$target/release:$PATH" bash -c "$cmd" <<<"yes" >"$work/out.$n" 2>&1; then
    tail -n 30 "$work/out.$n"; tail -n 20 "$work/runner.log" 2>/dev/null || true
    echo "FAIL: the guide's ECS command $n"; exit 1
  fi
  tail -n 6 "$work/out.$n" | grep -v 'users launched' || true
  if [ "$n" -eq 2 ]; then
    cluster=$(python3 -c 'import json; print(json.load(open("workers.json"))["cluster_arn"]["value"])')
    bucket=$(python3 -c 'import json; print(json.load(open("workers.json"))["bucket_name"]["value"])')
    start_runner
  fi
done <"$work/commands"
stop_runner

report=$(sed -n 's/^report: //p' "$work/out.3" | tail -n 1)
summary="$(dirname "$report")/summary.json"
run=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["id"])' "$summary")
python3 - "$summary" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
shards = s["load"]["shards"]
assert [t["index"] for t in shards] == [0, 1, 2], shards
planned = sum(t["planned"] for t in shards)
per_second = sum(x["planned"] for x in s["load"]["seconds"])
assert planned == per_second, (planned, per_second)
print(f"ECS engine: 3 shards merged, {planned} requests planned, per-second counts summing to the plan")
PY
grep -q '| shard | planned | sent |' "$(dirname "$report")/report.md" || { echo "FAIL: no shard table in the report"; exit 1; }
states=$(task_states "$run" | sort | uniq -c | tr -s ' ')
echo "tasks started by run $run: $states"
[ "$states" = " 3 STOPPED" ] || { echo "FAIL: expected 3 tasks, all STOPPED"; exit 1; }
objects=$(AWS_ENDPOINT_URL="$moto" python3 - "$moto" "$bucket" "$run" <<'PY'
import sys, urllib.request, re
moto, bucket, run = sys.argv[1:]
xml = urllib.request.urlopen(f"{moto}/{bucket}?list-type=2&prefix=runs/{run}/").read().decode()
print(" ".join(sorted(re.findall(r"<Key>runs/[^/]+/([^<]+)</Key>", xml))))
PY
)
echo "bucket, runs/$run/: $objects"
[ "$objects" = "go.json ready/0 ready/1 ready/2 results/0/summary.json results/1/summary.json results/2/summary.json" ] \
  || { echo "FAIL: expected go.json, three ready markers and three results (the manifest deleted)"; exit 1; }
# Deleted for good: no version of the manifest (valid tokens) and no delete
# marker left in the versioned bucket.
left=$(python3 - "$moto" "$bucket" "runs/$run/manifest.json" <<'PY'
import sys, urllib.request
moto, bucket, key = sys.argv[1:]
xml = urllib.request.urlopen(f"{moto}/{bucket}?versions&prefix={key}").read().decode()
print(xml.count("<Version>") + xml.count("<DeleteMarker>"))
PY
)
[ "$left" = 0 ] || { echo "FAIL: $left versions or delete markers of the manifest left in the bucket"; exit 1; }
echo "bucket: no version of the manifest left"
[ -z "$(workers_left)" ] || { echo "FAIL: a worker process outlived the run"; exit 1; }

# The same plan on one generator: the merged per-second planned counts
# must be its own, second by second.
"$harness" load --rate 150 --duration 10 --quiet --out "$work/whole" >"$work/whole.out" 2>&1 || { tail -n 20 "$work/whole.out"; echo "FAIL: the unsharded run of the ECS block's plan"; exit 1; }
python3 - "$summary" "$work/whole/summary.json" <<'PY'
import json, sys
merged, whole = (json.load(open(p))["load"]["seconds"] for p in sys.argv[1:])
a = [x["planned"] for x in merged]
b = [x["planned"] for x in whole]
assert a == b, ("per-second planned counts differ", a, b)
print(f"ECS engine: per-second planned counts equal the unsharded plan's ({len(a)} s: {a})")
PY

# faulty_run NAME FAULT EXPECT…: a 3-worker run with the runner's FAULT on
# shard 1 must fail (exit 2) saying every EXPECT, and leave no worker.
faulty_run() {
  local name=$1 fault=$2 code; shift 2
  start_runner "$fault" 1
  set +e
  "$harness" load --engine ecs --workers 3 --workers-deployment workers.json --rate 60 --duration 5 --quiet >"$work/$name.out" 2>&1
  code=$?
  set -e
  stop_runner
  tail -n 1 "$work/$name.out"
  [ "$code" -eq 2 ] || { echo "FAIL: $name: the run must fail with exit 2 (exit $code)"; exit 1; }
  for want in "$@"; do
    grep -q -- "$want" "$work/$name.out" || { echo "FAIL: $name: the run's error must say '$want'"; exit 1; }
  done
  sleep 1
  [ -z "$(workers_left)" ] || { echo "FAIL: $name: workers left after the run"; exit 1; }
}
# A worker that dies: the run fails naming its shard; every task is stopped.
faulty_run failed-worker --fail-shard 'shard 1/3'
# A worker that comes back after T0 + its tolerance (frozen by the runner
# once ready, thawed 3 s after T0): it refuses to run late, and the run
# fails naming its shard and saying why; every task is stopped.
faulty_run late-worker --stall-shard 'shard 1/3' 'past --start-at'

# The coordinator killed outright after go: its workers end by themselves.
start_runner
"$harness" load --engine ecs --workers 2 --workers-deployment workers.json --rate 40 --duration 6 --quiet >"$work/kill.out" 2>&1 &
coord_pid=$!
for _ in $(seq 600); do grep -q '^\[.*\] go: T0' "$work/kill.out" && break; sleep 0.1; done
grep -q '] go: T0' "$work/kill.out" || { tail "$work/kill.out"; echo "FAIL: the coordinator never said go"; exit 1; }
kill -9 "$coord_pid"; wait "$coord_pid" 2>/dev/null || true; coord_pid=
[ -n "$(workers_left)" ] || { echo "FAIL: no worker was running when the coordinator died"; exit 1; }
for _ in $(seq 300); do [ -z "$(workers_left)" ] && break; sleep 0.1; done
[ -z "$(workers_left)" ] || { echo "FAIL: workers outlived their run after the coordinator died"; exit 1; }
stop_runner
grep -h 'could not delete' "$work/runner.log" || true
# The example destroyed as a user would: every resource, the bucket with
# the run data left in it (force_destroy in the example). The manifests were
# deleted with their versions (no delete marker left behind).
if ! timeout -k 5 180 terraform -chdir="$ex" destroy -auto-approve -input=false -no-color >"$work/destroy.log" 2>&1; then
  tail -n 20 "$work/destroy.log"; echo "FAIL: terraform destroy of the workers example"; exit 1
fi
grep -E '^Destroy complete' "$work/destroy.log"
echo "ECS engine against moto: run, per-second plan, failed worker, late worker, killed coordinator and destroy passed"
