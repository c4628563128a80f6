#!/usr/bin/env bash
# docs/guide.md's "Load testing" block, command by command as written (each
# `harness load` starts and stops its own moto and emulator), then
# check-report.sh on every report it wrote. The 60 s constant run must show
# achieved vs planned within 2 % (its `rate` verdict), and each run exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target="${CARGO_TARGET_DIR:-$root/target}"
made_target_link=
work=$(mktemp -d)
cleanup() {
  [ -n "$made_target_link" ] && rm -f target
  rm -rf "$work" reports/out/load-300
}
trap cleanup EXIT INT TERM
# The block says ./target; a shared target directory stands in for it.
if [ ! -e target ] && [ "$target" != "$root/target" ]; then ln -s "$target" target; made_target_link=1; fi

python3 - "$root/docs/guide.md" >"$work/commands" <<'PY'
import sys
text = open(sys.argv[1]).read()
block = text.split("## Load testing", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
for line in block.splitlines():
    if line.strip() and not line.lstrip().startswith("#"):
        print(line)
PY
[ -s "$work/commands" ] || { echo "no commands found in the README's Load testing block"; exit 1; }
n=0
while IFS= read -r cmd; do
  n=$((n + 1))
  echo "\$ $cmd"
  started=$(date +%s)
  # The README calls `harness` by name, on PATH after the build.
  if ! PATH="$target/release:$PATH" bash -c "$cmd" >"$work/out.$n" 2>"$work/err.$n" </dev/null; then
    echo "README load command failed: $cmd"; tail -n 20 "$work/err.$n"; cat "$work/out.$n"; exit 1
  fi
  grep -v '^report:' "$work/out.$n" | sed 's/^/  /'
  report=$(sed -n 's/^report: //p' "$work/out.$n" | tail -n 1)
  echo "  ($(( $(date +%s) - started )) s) $(./scripts/check-report.sh "$report")"
done <"$work/commands"
# The one-minute constant run's rate verdict (achieved within 2 % of planned).
grep -q '^rate         PASS   achieved' "$work/out.1" || { echo "the 60 s constant run did not hold its rate"; exit 1; }
