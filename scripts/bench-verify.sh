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
speed=$(openssl speed -seconds "$secs" ecdsap256 ecdsap384 ecdsap521 rsa2048 2>/dev/null)
openssl_verify_s=$(awk '/nistp521\)/ {print $NF}' <<<"$speed")
[ -n "$openssl_verify_s" ] || { echo "openssl speed ecdsap521 gave no figure" >&2; exit 1; }
# verify/s of each primitive in the same run (secp256k1: openssl speed has none).
openssl_rates=$(awk '/nistp256\)/ {print "es256", $NF} /nistp384\)/ {print "es384", $NF} /nistp521\)/ {print "es512", $NF} /^rsa 2048 bits/ {print "rsa2048", $NF}' <<<"$speed")
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
for alg in es256 es384 es512 es256k rs256 rs384 rs512 ps256 ps384 ps512; do
  ids_alg=("allow_uncached_$alg" "raw_verify_$alg")
  [[ "$alg" == [rp]s* ]] && ids_alg+=("overhead_$alg")
  for id in "${ids_alg[@]}"; do
    printf 'aws-lc.%s %s\n' "$id" \
      "$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['median']['point_estimate']/1000)" "$target/criterion/$id/new/estimates.json")" >>"$medians"
  done
done
rates=$(mktemp)
trap 'rm -f "$medians" "$churn" "$rates"' EXIT
printf '%s\n' "$openssl_rates" >"$rates"
python3 - "$openssl_verify_s" "$target/bench-verify.json" "$medians" "$churn" "$rates" <<'PY'
import json, sys
verify_s = float(sys.argv[1]); out = sys.argv[2]
med = {k: float(v) for k, v in (line.split() for line in open(sys.argv[3]))}
churn = {b: (int(f), int(l)) for b, f, l in (line.split() for line in open(sys.argv[4]))}
rates = {k: float(v) for k, v in (line.split() for line in open(sys.argv[5]) if line.strip())}
openssl_us = 1e6 / verify_s
rows = []
for backend in ("aws-lc", "p521"):
    for bid in ("allow_uncached", "forged", "malformed", "cache_hit", "cache_churn"):
        m = med[f"{backend}.{bid}"]
        rows.append({"backend": backend, "id": bid, "median_us": round(m, 3), "ratio_to_openssl": round(m / openssl_us, 3)})
algs = []
for alg in ("es256", "es384", "es512", "es256k", "rs256", "rs384", "rs512", "ps256", "ps384", "ps512"):
    pipe, raw = med[f"aws-lc.allow_uncached_{alg}"], med[f"aws-lc.raw_verify_{alg}"]
    prim = {"es256": "es256", "es384": "es384", "es512": "es512"}.get(alg, "rsa2048" if alg[0] in "rp" else None)
    ossl_us = 1e6 / rates[prim] if prim in rates else None
    over = med.get(f"aws-lc.overhead_{alg}")
    algs.append({"alg": alg.upper(), "allow_uncached_us": round(pipe, 2), "raw_verify_us": round(raw, 2),
                 "pipeline_over_raw": round(pipe / raw, 3),
                 "overhead_us": round(over, 2) if over is not None else None,
                 "overhead_over_raw": round(over / raw, 3) if over is not None else None,
                 "openssl_primitive": prim, "openssl_verify_us": round(ossl_us, 2) if ossl_us else None,
                 "ratio_to_openssl": round(pipe / ossl_us, 3) if ossl_us else None})
doc = {"openssl_ecdsap521_verify_us": round(openssl_us, 1), "rows": rows,
       "cache_churn_first_last_1k_ns": churn, "algorithms": algs}
json.dump(doc, open(out, "w"), indent=2)
print(f"openssl speed ecdsap521 verify: {openssl_us:.1f} µs\n")
print("| backend | benchmark | median | × openssl verify |")
print("|---|---|---|---|")
for r in rows:
    m = r["median_us"]
    shown = f"{m:.0f} µs" if m >= 10 else f"{m * 1000:.0f} ns"
    print(f"| {r['backend']} | {r['id']} | {shown} | {r['ratio_to_openssl']:.3f} |")
print()
print("| alg | allow_uncached_<alg> | raw_verify_<alg> | pipeline / raw | overhead_<alg> (/ raw) | openssl speed (same run) | × openssl |")
print("|---|---|---|---|---|---|---|")
for a in algs:
    o = f"{a['openssl_primitive']} {a['openssl_verify_us']:.1f} µs" if a["openssl_verify_us"] else "n/a (no secp256k1 in openssl speed)"
    r = f"{a['ratio_to_openssl']:.3f}" if a["ratio_to_openssl"] else "—"
    ov = f"{a['overhead_us']:.2f} µs ({a['overhead_over_raw']:.3f})" if a["overhead_us"] is not None else "—"
    print(f"| {a['alg']} | {a['allow_uncached_us']:.1f} µs | {a['raw_verify_us']:.1f} µs | {a['pipeline_over_raw']:.3f} | {ov} | {o} | {r} |")
print()
for b, (first, last) in churn.items():
    print(f"cache_churn {b}: first-1k median {first} ns, last-1k median {last} ns (x{last / max(first, 1):.2f})")
PY
