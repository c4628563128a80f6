#!/usr/bin/env bash
# Opens a report.html in headless Chromium with networking disabled, takes a
# screenshot, and checks that the rendered page holds every chart: as many
# <svg> elements with drawn paths as the summary has series.
set -euo pipefail
html=${1:?usage: check-report.sh reports/out/RUN/report.html}
summary="$(dirname "$html")/summary.json"
if ! command -v chromium >/dev/null 2>&1; then
  (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; })
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$profile" --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>')
dom=$(chromium "${flags[@]}" --dump-dom "file://$(realpath "$html")" 2>/dev/null)
png="$(dirname "$html")/report.png"
chromium "${flags[@]}" --window-size=1100,2400 --screenshot="$png" "file://$(realpath "$html")" >/dev/null 2>&1
want=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(sum(len(v['series']) for v in s['scenarios'].values()))" "$summary")
got=$(grep -o '<svg' <<<"$dom" | wc -l)
drawn=$(python3 -c "import re,sys; d=sys.stdin.read(); print(sum(1 for svg in re.findall(r'<svg.*?</svg>', d, re.S) if ('<polyline' in svg or '<rect' in svg) and '<text' in svg))" <<<"$dom")
size=$(stat -c %s "$png")
echo "chromium rendered $got SVG charts ($drawn with plotted data and labels) of $want series; screenshot $png ($size bytes)"
[ "$got" -eq "$want" ] && [ "$drawn" -eq "$want" ] && [ "$size" -gt 20000 ] || { echo "report check failed"; exit 1; }
