#!/usr/bin/env bash
# Verify-path benchmarks as ratios to `openssl speed ecdsap521` measured in
# the same run: criterion medians for allow_uncached, forged, malformed,
# cache_hit and cache_churn, with the default (aws-lc-rs) backend and with
# `--features p521`, plus cache_churn's first-1k / last-1k medians over 50k
# replays of one token inside the leeway window (flat = no per-insert growth).
# Writes target/bench-verify.json and prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
secs="${OPENSSL_SECONDS:-5}"
openssl_verify_s=$(openssl speed -seconds "$secs" ecdsap521 2>/dev/null | awk '/nistp521/ {print $NF}')
[ -n "$openssl_verify_s" ] || { echo "openssl speed ecdsap521 gave no figure" >&2; exit 1; }
ids="allow_uncached forged malformed cache_hit cache_churn"
medians=$(mktemp)
churn=$(mktemp)
trap 'rm -f "$medians" "$churn"' EXIT
for backend in aws-lc p521; do
  flags=()
  [ "$backend" = p521 ] && flags=(--features p521)
  cargo bench -q -p authorizer --bench verify "${flags[@]}" -- --noplot |
    awk -v b="$backend" '/^cache_churn_first_1k_ns/ {print b, $2, $4}' >>"$churn"
  for id in $ids; do
    printf '%s.%s %s\n' "$backend" "$id" \
      "$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['median']['point_estimate']/1000)" "$target/criterion/$id/new/estimates.json")" >>"$medians"
  done
done
python3 - "$openssl_verify_s" "$target/bench-verify.json" "$medians" "$churn" <<'PY'
import json, sys
verify_s = float(sys.argv[1]); out = sys.argv[2]
med = {k: float(v) for k, v in (line.split() for line in open(sys.argv[3]))}
churn = {b: (int(f), int(l)) for b, f, l in (line.split() for line in open(sys.argv[4]))}
openssl_us = 1e6 / verify_s
rows = []
for backend in ("aws-lc", "p521"):
    for bid in ("allow_uncached", "forged", "malformed", "cache_hit", "cache_churn"):
        m = med[f"{backend}.{bid}"]
        rows.append({"backend": backend, "id": bid, "median_us": round(m, 3), "ratio_to_openssl": round(m / openssl_us, 3)})
doc = {"openssl_ecdsap521_verify_us": round(openssl_us, 1), "rows": rows,
       "cache_churn_first_last_1k_ns": churn}
json.dump(doc, open(out, "w"), indent=2)
print(f"openssl speed ecdsap521 verify: {openssl_us:.1f} µs\n")
print("| backend | benchmark | median | × openssl verify |")
print("|---|---|---|---|")
for r in rows:
    m = r["median_us"]
    shown = f"{m:.0f} µs" if m >= 10 else f"{m * 1000:.0f} ns"
    print(f"| {r['backend']} | {r['id']} | {shown} | {r['ratio_to_openssl']:.3f} |")
print()
for b, (first, last) in churn.items():
    print(f"cache_churn {b}: first-1k median {first} ns, last-1k median {last} ns (x{last / max(first, 1):.2f})")
PY
