#!/usr/bin/env bash
# Opens a report.html in headless Chromium with networking disabled and
# checks the rendered page against its summary.json: one inline SVG chart
# per series (and the security matrix's), each with its title, both axis
# labels and its data drawn (a marker per point for short line series, a
# bar per non-zero value for bar charts, a line per series otherwise).
# Saves a full-page screenshot (report.png) and one per section
# (shots/<section>.png) beside the report.
set -euo pipefail
html=${1:?usage: check-report.sh reports/out/RUN/report.html}
dir=$(dirname "$html")
summary="$dir/summary.json"
if ! command -v chromium >/dev/null 2>&1; then
  (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; })
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$profile" --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>')
shoot() { chromium "${flags[@]}" --window-size="1200,$2" --screenshot="$3" "file://$(realpath "$1")" >/dev/null 2>&1; }
dom="$dir/.rendered-dom.html"
chromium "${flags[@]}" --dump-dom "file://$(realpath "$html")" 2>/dev/null >"$dom"
shoot "$html" 2400 "$dir/report.png"

# One page per section (the page's own styles), each screenshotted.
mkdir -p "$dir/shots"
sections=$(python3 - "$html" "$dir/shots" <<'EOF'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
head = page[: page.index("<body>") + len("<body>")]
for m in re.finditer(r'<section id="([^"]+)">(.*?)</section>', page, re.S):
    name, body = m.group(1), m.group(0)
    charts = body.count("<figure")
    tables = re.sub(r"<details>.*?</details>", "", body, flags=re.S).count("<tr>")
    height = min(6000, 200 + 30 * tables + 360 * ((charts + 1) // 2))
    open(f"{sys.argv[2]}/{name}.html", "w", encoding="utf-8").write(head + body + "</body></html>")
    print(name, height)
EOF
)
while read -r name height; do
  [ -n "$name" ] || continue
  shoot "$dir/shots/$name.html" "$height" "$dir/shots/$name.png"
  rm -f "$dir/shots/$name.html"
done <<<"$sections"

status=0
python3 - "$summary" "$dom" "$dir" <<'EOF' || status=$?
import html, json, os, re, sys
s = json.load(open(sys.argv[1]))
dom = open(sys.argv[2], encoding="utf-8").read()
svgs = re.findall(r"<svg.*?</svg>", dom, re.S)
texts = [[html.unescape(t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)] for svg in svgs]
want = [ser for sc in s["scenarios"].values() for ser in sc["series"]]
if s.get("security"):
    want.append({"title": "Security matrix: cases per family by outcome", "x_label": "case family",
                 "y_label": "cases (count)", "kind": "stacked",
                 "lines": {"x": [[0, 1]]}})
problems = []
for ser in want:
    idx = [i for i, t in enumerate(texts) if ser["title"] in t]
    if not idx:
        problems.append(f"chart {ser['title']!r}: not rendered")
        continue
    svg, t = svgs[idx[0]], texts[idx[0]]
    for axis in ("x_label", "y_label"):
        if ser[axis] not in t:
            problems.append(f"chart {ser['title']!r}: axis label {ser[axis]!r} missing")
    points = sum(len(p) for p in ser["lines"].values())
    nonzero = sum(1 for p in ser["lines"].values() for x in p if x[1] > 0)
    if ser["kind"] in ("line", "percentile"):
        # The renderer marks each point of a line of at most 60 points.
        marked = sum(len(p) for p in ser["lines"].values() if len(p) <= 60)
        ok = svg.count("<circle") >= marked and svg.count("<polyline") > len(ser["lines"])
    else:
        ok = svg.count("<rect") >= 1 + min(nonzero, 1)
    if not ok:
        problems.append(f"chart {ser['title']!r}: its {points} points are not drawn")
shots = sorted(f for f in os.listdir(os.path.join(sys.argv[3], "shots")) if f.endswith(".png"))
small = [f for f in shots if os.path.getsize(os.path.join(sys.argv[3], "shots", f)) < 5000]
full = os.path.getsize(os.path.join(sys.argv[3], "report.png"))
print(f"chromium rendered {len(svgs)} SVG charts for {len(want)} series, each checked for title, axis labels and data; "
      f"screenshots: report.png ({full} bytes) and {len(shots)} sections in shots/ ({', '.join(f[:-4] for f in shots)})")
if len(svgs) != len(want):
    problems.append(f"{len(svgs)} charts rendered, {len(want)} expected")
if full < 20000 or small or not shots:
    problems.append(f"screenshots too small or missing: report.png {full} bytes, small sections {small}")
for p in problems:
    print("report check:", p)
sys.exit(1 if problems else 0)
EOF
rm -f "$dom"
exit $status
