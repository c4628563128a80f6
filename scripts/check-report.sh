#!/usr/bin/env bash
# Opens a report.html in headless Chromium with networking disabled and
# checks the rendered page against its summary.json: one inline SVG chart
# per series (and the security matrix's), each with its title, both axis
# labels and its data drawn (a marker per point for short line series, a
# bar per non-zero value for bar charts, a line per series otherwise); a
# chart of several series (or with a bound) has its legend outside the
# plot, naming every series and bound, and no series name drawn inside it;
# chart text renders on the page's type scale (0.8-1.2 x the body's size).
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
# The same page with a script that measures it as laid out (the report has
# no scripts of its own): each chart's rendered text sizes and where its
# legend sits, written into the page for --dump-dom.
measure="$dir/.measure.html"
measured="$dir/.measured-dom.html"
python3 - "$html" "$measure" <<'EOF'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
script = """<script>
(function () {
  var out = {body: parseFloat(getComputedStyle(document.body).fontSize), charts: []};
  document.querySelectorAll('figure.chart').forEach(function (f) {
    var svg = f.querySelector('svg'), r = svg.getBoundingClientRect();
    var scale = r.width / svg.width.baseVal.value;
    var texts = [], sizes = [];
    svg.querySelectorAll('text').forEach(function (t) {
      texts.push(t.textContent.trim());
      sizes.push(parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize) * scale);
    });
    var cap = f.querySelector('figcaption.legend'), keys = [], overlap = false;
    if (cap) {
      var l = cap.getBoundingClientRect();
      overlap = !(l.top >= r.bottom - 0.5 || l.bottom <= r.top || l.left >= r.right || l.right <= r.left);
      cap.querySelectorAll('.key').forEach(function (k) { keys.push(k.textContent.trim()); });
    }
    out.charts.push({texts: texts, min_px: Math.min.apply(null, sizes), max_px: Math.max.apply(null, sizes),
                     legend: keys, overlap: overlap});
  });
  var pre = document.createElement('pre');
  pre.id = 'measured';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("</body>", script + "</body>"))
EOF
chromium "${flags[@]}" --window-size=1200,2400 --dump-dom "file://$(realpath "$measure")" 2>/dev/null >"$measured"
rm -f "$measure"
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
python3 - "$summary" "$dom" "$dir" "$measured" <<'EOF' || status=$?
import html, json, os, re, sys
s = json.load(open(sys.argv[1]))
dom = open(sys.argv[2], encoding="utf-8").read()
m = re.search(r'<pre id="measured">(.*?)</pre>', open(sys.argv[4], encoding="utf-8").read(), re.S)
measured = json.loads(html.unescape(m.group(1))) if m else {"body": 0, "charts": []}
svgs = re.findall(r"<svg.*?</svg>", dom, re.S)
texts = [[html.unescape(t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)] for svg in svgs]
want = [ser for sc in s["scenarios"].values() for ser in sc["series"]]
if s.get("security"):
    want.append({"title": "Security matrix: cases per family by outcome", "x_label": "case family",
                 "y_label": "cases (count)", "kind": "stacked",
                 "lines": {"1. passed": [[0, 1]], "2. failed": [], "3. skipped": [], "4. no decision": []}})
problems = []
legends, sizes = 0, []
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
    # Legend and type, as laid out.
    laid = [c for c in measured["charts"] if ser["title"] in c["texts"]]
    if not laid:
        problems.append(f"chart {ser['title']!r}: not measured as laid out")
        continue
    c = laid[0]
    names = [re.sub(r"^\d+\. ", "", n) for n in ser["lines"]] + [b["label"] for b in ser.get("bounds", [])]
    if len(names) > 1:
        legends += 1
        missing = [n for n in names if n not in c["legend"]]
        if missing:
            problems.append(f"chart {ser['title']!r}: legend lacks {missing}")
        if c["overlap"]:
            problems.append(f"chart {ser['title']!r}: legend drawn over the plot")
        inside = [n for n in names if n in c["texts"] and n not in ser.get("categories", [])]
        if inside:
            problems.append(f"chart {ser['title']!r}: {inside} drawn inside the plot (a legend over the data)")
    body = measured["body"]
    sizes.extend([c["min_px"], c["max_px"]])
    if not (0.8 * body <= c["min_px"] and c["max_px"] <= 1.2 * body):
        problems.append(f"chart {ser['title']!r}: text {c['min_px']:.1f}-{c['max_px']:.1f} px beside {body:.0f} px body (want 0.8-1.2 x)")
shots = sorted(f for f in os.listdir(os.path.join(sys.argv[3], "shots")) if f.endswith(".png"))
small = [f for f in shots if os.path.getsize(os.path.join(sys.argv[3], "shots", f)) < 5000]
full = os.path.getsize(os.path.join(sys.argv[3], "report.png"))
print(f"chromium rendered {len(svgs)} SVG charts for {len(want)} series, each checked for title, axis labels and data; "
      f"screenshots: report.png ({full} bytes) and {len(shots)} sections in shots/ ({', '.join(f[:-4] for f in shots)})")
if sizes:
    print(f"legends: {legends} charts of several series or with a bound, each legend outside its plot; "
          f"chart text {min(sizes):.1f}-{max(sizes):.1f} px beside {measured['body']:.0f} px body")
if len(svgs) != len(want):
    problems.append(f"{len(svgs)} charts rendered, {len(want)} expected")
if full < 20000 or small or not shots:
    problems.append(f"screenshots too small or missing: report.png {full} bytes, small sections {small}")
for p in problems:
    print("report check:", p)
sys.exit(1 if problems else 0)
EOF
rm -f "$dom" "$measured"
exit $status
