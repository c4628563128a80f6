//! Markdown (CI logs, PR comments) and a self-contained HTML page (inline
//! SVG charts drawn with plotters; no scripts, fonts or styles from the
//! network), both made from a [`Summary`] and nothing else.

use crate::baseline::Regression;
use crate::load::LoadReport;
use crate::model::{Scenario, Series, SeriesKind, Summary};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn fmt_value(v: f64, unit: &str) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.3} {unit}")
    }
}

/// The Markdown report.
pub fn markdown(s: &Summary, regressions: &[Regression]) -> String {
    let mut m = String::new();
    let _ = writeln!(
        m,
        "# Authorizer {} — run {}\n",
        if s.load.is_some() {
            "load test"
        } else {
            "suite"
        },
        s.run.id
    );
    let _ = writeln!(
        m,
        "Started {} · {:.1} s · git {} · {} CPUs · load {:.2} → {:.2} · {}\n",
        s.run.started,
        s.run.duration_s,
        s.run.git_revision.as_deref().unwrap_or("unknown"),
        s.run.machine.cpus,
        s.run.machine.load_before[0],
        s.run.machine.load_after[0],
        s.run.machine.os
    );
    let _ = writeln!(m, "Target: {} `{}`\n", s.target.kind, s.target.endpoint);
    let _ = writeln!(
        m,
        "## Verdicts\n\n| check | result | detail |\n|---|---|---|"
    );
    for v in &s.verdicts {
        let _ = writeln!(
            m,
            "| {} | {} | {} |",
            v.check,
            match v.status() {
                crate::model::Status::Fail => "**FAIL**",
                s => s.label(),
            },
            v.detail.replace('|', "\\|")
        );
    }
    if let Some(sec) = &s.security {
        let _ = writeln!(
            m,
            "\n## Security matrix\n\n| family | passed | failed | skipped | no decision |\n|---|---|---|---|---|"
        );
        for (family, t) in &sec.by_family {
            let _ = writeln!(
                m,
                "| {family} | {} | {} | {} | {} |",
                t.passed, t.failed, t.skipped, t.errors
            );
        }
        let failures: Vec<_> = sec
            .cases
            .iter()
            .filter(|c| c.outcome() == crate::security::CaseOutcome::Failed)
            .collect();
        let skipped: Vec<_> = sec
            .cases
            .iter()
            .filter(|c| c.outcome() == crate::security::CaseOutcome::Skipped)
            .collect();
        if !skipped.is_empty() {
            let _ = writeln!(m, "\n| skipped case | why |\n|---|---|");
            for c in skipped {
                let _ = writeln!(m, "| {} | {} |", c.id, c.note.as_deref().unwrap_or("—"));
            }
        }
        if !failures.is_empty() {
            let _ = writeln!(m, "\n| failing case | expected | actual |\n|---|---|---|");
            for c in failures {
                let _ = writeln!(
                    m,
                    "| {} | {} {} | {} {} |",
                    c.id,
                    c.expected,
                    c.expected_reason.as_deref().unwrap_or(""),
                    c.actual,
                    c.actual_reason.as_deref().unwrap_or("")
                );
            }
        }
    }
    for (name, sc) in &s.scenarios {
        let _ = writeln!(m, "\n## {}\n", title(name));
        if name == "load" {
            if let Some(l) = &s.load {
                load_md(&mut m, l);
            }
        }
        scenario_md(&mut m, sc);
    }
    if !s.bench.is_empty() {
        let _ = writeln!(
            m,
            "\n## Verify benchmark (criterion medians)\n\n| id | median |\n|---|---|"
        );
        for (id, us) in &s.bench {
            let _ = writeln!(m, "| {id} | {} |", fmt_value(*us, "µs"));
        }
    }
    if !regressions.is_empty() {
        let _ = writeln!(m, "\n## Regressions against the baseline\n\n| scenario | figure | baseline | now | change |\n|---|---|---|---|---|");
        for r in regressions {
            let _ = writeln!(
                m,
                "| {} | {} | {:.3} | {:.3} | {:+.1}% |",
                r.scenario,
                r.figure,
                r.before,
                r.after,
                r.change * 100.0
            );
        }
    }
    m
}

fn title(name: &str) -> String {
    let mut t = name.replace('_', " ");
    if let Some(f) = t.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    t
}

fn load_md(m: &mut String, l: &LoadReport) {
    let plan: Vec<String> = l.plan.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    let _ = writeln!(m, "Profile `{}`: {}\n", l.profile, plan.join(", "));
    let _ = writeln!(
        m,
        "| class | requests | wrong decisions | p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|---|---|---|"
    );
    for (class, c) in &l.classes {
        let p: Vec<String> = [50.0, 90.0, 99.0, 99.9, 100.0]
            .iter()
            .map(|q| format!("{:.2} ms", crate::hist::ms_at(&c.histogram, *q)))
            .collect();
        let _ = writeln!(
            m,
            "| {class} | {} | {} | {} |",
            c.requests,
            c.wrong_decisions,
            p.join(" | ")
        );
    }
    if !l.steps.is_empty() {
        let _ = writeln!(
            m,
            "\n| step rate | achieved | p99 | errors | 429 | held |\n|---|---|---|---|---|---|"
        );
        for st in &l.steps {
            let _ = writeln!(
                m,
                "| {} req/s | {:.1} req/s | {:.2} ms | {} | {} | {} |",
                st.rate,
                st.achieved_rps,
                st.p99_ms,
                st.errors,
                st.throttled,
                if st.held {
                    "held".to_owned()
                } else {
                    format!("**no**: {}", st.why)
                }
            );
        }
    }
    let _ = writeln!(m);
}

fn scenario_md(m: &mut String, sc: &Scenario) {
    let inputs: Vec<String> = sc
        .inputs
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    let _ = writeln!(
        m,
        "Inputs: {}\n\n| figure | value |\n|---|---|",
        inputs.join(", ")
    );
    for (k, f) in &sc.figures {
        let _ = writeln!(m, "| {k} | {} |", fmt_value(f.value, &f.unit));
    }
    let decides: Vec<String> = sc
        .criteria()
        .iter()
        .map(|(name, value, band)| {
            format!(
                "`{name}` = {} in [{}, {}]",
                value.map_or("missing".into(), |v| format!("{v:.3}")),
                band.min,
                band.max
            )
        })
        .collect();
    let _ = writeln!(
        m,
        "\nDecides: {} → {}",
        decides.join(" and "),
        if sc.pass { "PASS" } else { "**FAIL**" }
    );
}

/// Maps a percentile (50 … 100) onto the distribution chart's axis,
/// log10(1/(1−p)): 90 → 1, 99 → 2, 99.9 → 3.
fn pct_axis(p: f64) -> f64 {
    (1.0 / (1.0 - (p / 100.0).min(0.999_999_99))).log10()
}

/// The percentile an axis position stands for, as a label.
fn pct_label(u: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-u));
    let decimals = (u.ceil() as i64 - 2).clamp(0, 6) as usize;
    format!("{p:.decimals$}")
}

/// Colour by meaning: outcome series keep one colour everywhere (2xx and
/// passed green, 5xx and failed red…); any other series takes the next
/// colour of a neutral palette that has neither red nor green, so a chart
/// of one ordinary series is blue, never the colour of a failure.
fn colour_for(name: &str, i: usize) -> RGBColor {
    let known: [(&str, RGBColor); 11] = [
        ("2xx", RGBColor(46, 139, 87)),
        ("passed", RGBColor(46, 139, 87)),
        ("401", RGBColor(230, 145, 56)),
        ("403", RGBColor(214, 188, 50)),
        ("429", RGBColor(128, 90, 190)),
        ("5xx", RGBColor(200, 40, 50)),
        ("failed", RGBColor(200, 40, 50)),
        ("skipped", RGBColor(214, 188, 50)),
        ("transport", RGBColor(40, 40, 40)),
        ("no decision", RGBColor(40, 40, 40)),
        ("other status", RGBColor(150, 150, 150)),
    ];
    const NEUTRAL: [RGBColor; 6] = [
        RGBColor(47, 93, 158),
        RGBColor(230, 145, 56),
        RGBColor(128, 90, 190),
        RGBColor(23, 140, 150),
        RGBColor(150, 110, 70),
        RGBColor(110, 110, 120),
    ];
    let base = name.trim_end_matches(" (baseline)");
    known
        .iter()
        .find(|(k, _)| base.contains(k))
        .map_or(NEUTRAL[i % NEUTRAL.len()], |(_, c)| *c)
}

/// The colour of a bound line (the page's ink).
const BOUND_INK: RGBColor = RGBColor(29, 35, 48);

/// Chart text, drawn at 1:1 on the page, on the page's type scale (body
/// 15 px, tables 13.8 px): title 16 px, axis names 14 px, tick labels
/// 13 px. Plotters' SVG backend writes a font size of `size / 1.24`, so
/// sizes are given as px × 1.24.
const TITLE_PX: f64 = 16.0 * 1.24;
const AXIS_PX: f64 = 14.0 * 1.24;
const TICK_PX: f64 = 13.0 * 1.24;

/// A series name as the legend shows it: without the `N. ` that orders
/// stacked series (`1. 2xx` → `2xx`).
fn legend_name(name: &str) -> String {
    match name.split_once(". ") {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            rest.to_owned()
        }
        _ => name.to_owned(),
    }
}

type Lines<'a> = Vec<(String, Vec<(f64, f64)>, bool)>;

/// The points to draw: the series' lines, then the baseline's (dashed),
/// each with x mapped onto the chart's axis.
fn lines_to_draw<'a>(series: &'a Series, baseline: Option<&'a Series>) -> Lines<'a> {
    let pct = series.kind == SeriesKind::Percentile;
    let mut out: Lines<'a> = Vec::new();
    for (source, dashed) in [(Some(series), false), (baseline, true)] {
        let Some(src) = source else { continue };
        for (name, pts) in &src.lines {
            let label = if dashed {
                format!("{name} (baseline)")
            } else {
                name.clone()
            };
            out.push((label, pts.clone(), dashed));
        }
    }
    if pct {
        // The maximum (p = 100) sits half a decade past the last percentile.
        let last = out
            .iter()
            .flat_map(|l| l.1.iter())
            .filter(|p| p.0 < 100.0)
            .map(|p| pct_axis(p.0))
            .fold(pct_axis(50.0), f64::max);
        for l in &mut out {
            for p in &mut l.1 {
                p.0 = if p.0 >= 100.0 {
                    last + 0.5
                } else {
                    pct_axis(p.0)
                };
            }
        }
    }
    out
}

/// The axes' ranges and the bar slot width of a chart.
#[derive(Debug, Clone, Copy)]
struct Frame {
    x0: f64,
    x1: f64,
    y_top: f64,
    step: f64,
}

/// The ranges that fit `all` points (stacked: the tallest stack), bars
/// padded half a slot either side, categories one slot each, percentile
/// plots from p50.
fn frame(kind: SeriesKind, categories: usize, lines: &Lines<'_>, all: &[(f64, f64)]) -> Frame {
    let (mut x0, mut x1) = all
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let mut step = f64::INFINITY;
    let mut xs: Vec<f64> = all.iter().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    for w in xs.windows(2) {
        step = step.min(w[1] - w[0]);
    }
    if !step.is_finite() {
        step = 1.0;
    }
    let y_top = match kind {
        SeriesKind::Stacked => {
            let mut totals: BTreeMap<(bool, i64), f64> = BTreeMap::new();
            for (_, pts, dashed) in lines {
                for (x, y) in pts {
                    *totals.entry((*dashed, (x * 1000.0) as i64)).or_default() += y;
                }
            }
            totals.values().copied().fold(0.0, f64::max)
        }
        _ => all.iter().fold(0.0_f64, |a, p| a.max(p.1)),
    } * 1.1
        + f64::EPSILON;
    match kind {
        _ if categories > 0 => {
            x0 = -0.5;
            x1 = categories as f64 - 0.5;
        }
        SeriesKind::Line | SeriesKind::Percentile => {
            if (x1 - x0).abs() < f64::EPSILON {
                x0 -= 1.0;
                x1 += 1.0;
            }
        }
        SeriesKind::Bars | SeriesKind::Histogram | SeriesKind::Stacked => {
            x0 -= step / 2.0 + step * 0.1;
            x1 += step / 2.0 + step * 0.1;
        }
    }
    if kind == SeriesKind::Percentile {
        x0 = pct_axis(50.0);
    }
    Frame {
        x0,
        x1,
        y_top,
        step,
    }
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    plotters::coord::cartesian::Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// A baseline's stacked totals as one dashed line over the current bars.
fn draw_stacked_totals(
    chart: &mut Chart<'_, '_>,
    baseline: &Series,
) -> Result<(), crate::error::Error> {
    let mut totals: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for pts in baseline.lines.values() {
        for (x, y) in pts {
            totals.entry((x * 1000.0) as i64).or_insert((*x, 0.0)).1 += y;
        }
    }
    let style = BLACK.mix(0.6).stroke_width(2);
    chart
        .draw_series(DashedLineSeries::new(totals.values().copied(), 6, 4, style))
        .map_err(crate::error::Error::Draw)?;
    Ok(())
}

/// One entry of a chart's legend: the name, its colour, and how it is
/// drawn (`line`, `dashed`, `box`, `outlined`).
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// As the legend shows it.
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    /// `line`, `dashed` or `box`.
    pub mark: &'static str,
}

/// The legend of a chart: every series (and the baseline's), then every
/// bound. Drawn by the page beside the chart, never over its data.
pub fn legend(series: &Series, baseline: Option<&Series>) -> Vec<LegendEntry> {
    let lines = lines_to_draw(series, baseline);
    let n_plain = lines.iter().filter(|l| !l.2).count().max(1);
    let hex = |c: RGBColor| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2);
    let mut out = Vec::new();
    for (i, (name, _, dashed)) in lines.iter().enumerate() {
        if *dashed && series.kind == SeriesKind::Stacked {
            continue;
        }
        let colour = colour_for(name, if *dashed { i - n_plain } else { i });
        let mark = match (series.kind, *dashed) {
            (SeriesKind::Line | SeriesKind::Percentile, false) => "line",
            (SeriesKind::Line | SeriesKind::Percentile, true) => "dashed",
            (_, false) => "box",
            (_, true) => "outlined",
        };
        out.push(LegendEntry {
            name: legend_name(name),
            colour: hex(colour),
            mark,
        });
    }
    if series.kind == SeriesKind::Stacked && baseline.is_some() {
        out.push(LegendEntry {
            name: "total (baseline)".into(),
            colour: hex(BLACK),
            mark: "dashed",
        });
    }
    for b in &series.bounds {
        out.push(LegendEntry {
            name: b.label.clone(),
            colour: hex(BOUND_INK),
            mark: "dashed",
        });
    }
    out
}

/// One chart as an SVG string, with `baseline`'s lines overlaid (dashed or
/// outlined) when given, and its bounds as dashed horizontal lines. Its
/// legend is [`legend`], drawn by the page outside the plot.
///
/// # Errors
/// No data, or a drawing error.
pub fn chart_svg(
    series: &Series,
    baseline: Option<&Series>,
) -> Result<String, crate::error::Error> {
    let lines = lines_to_draw(series, baseline);
    let all: Vec<(f64, f64)> = lines.iter().flat_map(|l| l.1.iter().copied()).collect();
    if all.is_empty() {
        return Err(crate::error::Error::NoData);
    }
    let kind = series.kind;
    let cats = &series.categories;
    let Frame {
        x0,
        x1,
        y_top,
        step,
    } = frame(kind, cats.len(), &lines, &all);
    // A bound is always in view.
    let y_top = series
        .bounds
        .iter()
        .fold(y_top, |top, b| top.max(b.value * 1.15));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (540, 330)).into_drawing_area();
        root.fill(&WHITE).map_err(crate::error::Error::Draw)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&series.title, ("sans-serif", TITLE_PX))
            .margin(12)
            // Room for the last x tick label, centred on the axis' end.
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0.0..y_top)
            .map_err(crate::error::Error::Draw)?;
        let cat_label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                cats.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let pct_fmt = |u: &f64| pct_label(*u);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&series.x_label)
            .y_desc(&series.y_label)
            .axis_desc_style(("sans-serif", AXIS_PX))
            .label_style(("sans-serif", TICK_PX))
            .light_line_style(RGBColor(235, 235, 235));
        if !cats.is_empty() {
            mesh.x_labels(cats.len() * 2 + 1)
                .x_label_formatter(&cat_label);
        } else if kind == SeriesKind::Percentile {
            mesh.x_labels(((x1 - x0).ceil() as usize + 1).max(2))
                .x_label_formatter(&pct_fmt);
        }
        mesh.draw().map_err(crate::error::Error::Draw)?;
        let n_plain = lines.iter().filter(|l| !l.2).count().max(1);
        let mut stack_base: BTreeMap<i64, f64> = BTreeMap::new();
        for (i, (name, points, dashed)) in lines.iter().enumerate() {
            let colour = colour_for(name, if *dashed { i - n_plain } else { i });
            let style = if *dashed {
                colour.mix(0.55).stroke_width(2)
            } else {
                colour.stroke_width(2)
            };
            match kind {
                SeriesKind::Line | SeriesKind::Percentile => {
                    if *dashed {
                        chart
                            .draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, style))
                            .map_err(crate::error::Error::Draw)?;
                    } else {
                        chart
                            .draw_series(LineSeries::new(points.iter().copied(), style))
                            .map_err(crate::error::Error::Draw)?;
                        if points.len() <= 60 {
                            chart
                                .draw_series(
                                    points.iter().map(|p| Circle::new(*p, 3, colour.filled())),
                                )
                                .map_err(crate::error::Error::Draw)?;
                        }
                    }
                }
                SeriesKind::Stacked => {
                    let w = step * 0.8;
                    if *dashed {
                        continue; // the baseline's totals are drawn below
                    }
                    chart
                        .draw_series(points.iter().map(|(x, y)| {
                            let key = (x * 1000.0) as i64;
                            let base = stack_base.get(&key).copied().unwrap_or(0.0);
                            stack_base.insert(key, base + y);
                            Rectangle::new(
                                [(x - w / 2.0, base), (x + w / 2.0, base + y)],
                                colour.filled(),
                            )
                        }))
                        .map_err(crate::error::Error::Draw)?;
                }
                SeriesKind::Bars | SeriesKind::Histogram => {
                    let slots = lines.len() as f64;
                    let w = step * 0.8 / slots;
                    let offset = (i as f64 - (slots - 1.0) / 2.0) * w;
                    let fill = if *dashed {
                        colour.mix(0.35).filled()
                    } else {
                        colour.filled()
                    };
                    chart
                        .draw_series(points.iter().map(|(x, y)| {
                            Rectangle::new(
                                [(x - w / 2.0 + offset, 0.0), (x + w / 2.0 + offset, *y)],
                                fill,
                            )
                        }))
                        .map_err(crate::error::Error::Draw)?;
                }
            }
        }
        if kind == SeriesKind::Stacked {
            if let Some(b) = baseline {
                draw_stacked_totals(&mut chart, b)?;
            }
        }
        for b in &series.bounds {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, b.value), (x1, b.value)],
                    8,
                    5,
                    BOUND_INK.stroke_width(2),
                ))
                .map_err(crate::error::Error::Draw)?;
        }
        root.present().map_err(crate::error::Error::Draw)?;
    }
    Ok(svg)
}

/// A chart and, where it has more than one entry, its legend below the
/// plot (HTML: the page's type, never over the data).
fn figure_html(h: &mut String, series: &Series, baseline: Option<&Series>) {
    match chart_svg(series, baseline) {
        Ok(svg) => {
            let _ = write!(h, "<figure class=\"chart\">{svg}");
            let entries = legend(series, baseline);
            if entries.len() > 1 {
                h.push_str("<figcaption class=\"legend\">");
                for e in entries {
                    let _ = write!(
                        h,
                        "<span class=\"key\"><i class=\"{}\" style=\"--c:{}\"></i>{}</span>",
                        e.mark,
                        e.colour,
                        esc(&e.name)
                    );
                }
                h.push_str("</figcaption>");
            }
            h.push_str("</figure>");
        }
        Err(e) => {
            let _ = write!(
                h,
                "<p>chart {} not drawn: {}</p>",
                esc(&series.title),
                esc(&e.to_string())
            );
        }
    }
}

const CSS: &str = "\
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dde5;--pass:#176b1c;--fail:#b00020;--skip:#8a6d00;--bg:#f6f7f9}\
*{box-sizing:border-box}\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);max-width:1180px;margin:0 auto;padding:1.5em 2em;background:#fff}\
header{border-bottom:3px solid var(--ink);margin-bottom:1em}h1{font-size:1.6em;margin:.2em 0}\
.meta{color:var(--muted);font-size:.92em}\
h2{font-size:1.25em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:1px solid var(--line)}\
section{break-inside:avoid-page;margin-bottom:1.2em}\
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.92em;font-variant-numeric:tabular-nums}\
td,th{border:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}\
th{background:var(--bg);font-weight:600}td.num{text-align:right}\
.pass{color:var(--pass);font-weight:600}.fail{color:var(--fail);font-weight:700}.skip{color:var(--skip);font-weight:600}\
.regress{background:#fde7ea;color:var(--fail);font-weight:700}.improve{color:var(--pass)}\
.badge{display:inline-block;padding:1px 8px;border-radius:9px;font-size:.85em;border:1px solid currentColor}\
.charts{display:flex;flex-wrap:wrap;gap:12px}\
figure.chart{margin:0;border:1px solid var(--line);border-radius:6px;padding:4px;background:#fff;max-width:100%}\
figure.chart svg{width:540px;max-width:100%;height:auto;display:block}\
figcaption.legend{display:flex;flex-wrap:wrap;gap:2px 14px;max-width:540px;padding:4px 8px 2px;font-size:.92em;color:var(--ink)}\
.legend .key{display:inline-flex;align-items:center;gap:6px}\
.legend i{display:inline-block;width:18px}.legend i.line{border-top:2px solid var(--c)}.legend i.dashed{border-top:2px dashed var(--c)}\
.legend i.box{height:11px;background:var(--c)}.legend i.outlined{height:11px;border:2px solid var(--c);opacity:.6}\
code{background:var(--bg);padding:0 4px;border-radius:3px}\
details summary{cursor:pointer;color:var(--muted)}\
@media print{body{max-width:none;padding:0;font-size:11pt}figure.chart{break-inside:avoid}h2{break-after:avoid}a{color:inherit}}\
";

/// The security matrix: per family, the skipped cases and why, the chart,
/// and every case behind a disclosure.
fn security_html(
    h: &mut String,
    sec: &crate::security::SecurityReport,
    baseline: Option<&crate::security::SecurityReport>,
) {
    h.push_str("<section id=\"security\"><h2>Security matrix</h2>");
    let chart = security_chart(sec);
    let base_chart = baseline.map(security_chart);
    h.push_str("<table><tr><th>family</th><th>passed</th><th>failed</th><th>skipped</th><th>no decision</th></tr>");
    for (family, t) in &sec.by_family {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td></tr>",
            esc(family),
            t.passed,
            if t.failed > 0 { " fail" } else { "" },
            t.failed,
            t.skipped,
            if t.errors > 0 { " fail" } else { "" },
            t.errors
        );
    }
    h.push_str("</table>");
    let skipped: Vec<_> = sec
        .cases
        .iter()
        .filter(|c| c.outcome() == crate::security::CaseOutcome::Skipped)
        .collect();
    if !skipped.is_empty() {
        h.push_str("<table><tr><th>skipped case</th><th>why</th></tr>");
        for c in skipped {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&c.id),
                esc(c.note.as_deref().unwrap_or("—"))
            );
        }
        h.push_str("</table>");
    }
    charts_html(
        h,
        std::slice::from_ref(&chart),
        base_chart.as_ref().map(std::slice::from_ref),
    );
    h.push_str("<details><summary>Every case</summary><table><tr><th>case</th><th>family</th><th>expected</th><th>actual</th><th>result</th><th>note (why skipped, or why no decision)</th></tr>");
    for c in &sec.cases {
        let (class, word) = match c.outcome() {
            crate::security::CaseOutcome::Skipped => ("skip", "skipped"),
            crate::security::CaseOutcome::Passed => ("pass", "ok"),
            crate::security::CaseOutcome::Failed => ("fail", "MISMATCH"),
            crate::security::CaseOutcome::NoDecision => ("fail", "no decision"),
        };
        let _ = write!(
            h,
            "<tr><td title=\"{}\">{}</td><td>{}</td><td>{} {}</td><td>{} {}</td><td class=\"{class}\">{word}</td><td>{}</td></tr>",
            esc(&format!("{} — {}", c.description, c.reference)),
            esc(&c.id),
            esc(&c.family),
            esc(&c.expected),
            esc(c.expected_reason.as_deref().unwrap_or("")),
            esc(&c.actual),
            esc(c.actual_reason.as_deref().unwrap_or("")),
            esc(c.note.as_deref().unwrap_or("")),
        );
    }
    h.push_str("</table></details></section>");
}

/// A scenario's inputs (TTL, rates, trials, "not measured because …"), as
/// the Markdown's `Inputs:` line has them.
fn inputs_html(h: &mut String, sc: &Scenario) {
    if sc.inputs.is_empty() {
        return;
    }
    h.push_str("<table class=\"inputs\"><tr><th>input</th><th>value</th></tr>");
    for (k, v) in &sc.inputs {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
    }
    h.push_str("</table>");
}

fn figures_html(
    h: &mut String,
    name: &str,
    sc: &Scenario,
    base: Option<&Scenario>,
    regressions: &[Regression],
) {
    if base.is_some() {
        h.push_str("<table><tr><th>figure</th><th>value</th><th>baseline</th><th>change</th></tr>");
    } else {
        h.push_str("<table><tr><th>figure</th><th>value</th></tr>");
    }
    for (k, f) in &sc.figures {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td>",
            esc(k),
            esc(&fmt_value(f.value, &f.unit))
        );
        if let Some(b) = base {
            let regressed = regressions
                .iter()
                .any(|r| r.scenario == name && r.figure == *k);
            match b.figures.get(k) {
                Some(o) => {
                    let change = if o.value.abs() > f64::EPSILON {
                        format!("{:+.1}%", (f.value / o.value - 1.0) * 100.0)
                    } else {
                        "–".into()
                    };
                    let _ = write!(
                        h,
                        "<td class=\"num\">{}</td><td class=\"num{}\">{}</td>",
                        esc(&fmt_value(o.value, &o.unit)),
                        if regressed { " regress" } else { "" },
                        esc(&change)
                    );
                }
                None => h.push_str("<td>–</td><td>new</td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

fn charts_html(h: &mut String, series: &[Series], base: Option<&[Series]>) {
    h.push_str("<div class=\"charts\">");
    for s in series {
        let b = base.and_then(|b| b.iter().find(|x| x.title == s.title));
        figure_html(h, s, b);
    }
    h.push_str("</div>");
}

/// The security matrix as a chart: cases per family by outcome, stacked.
pub fn security_chart(sec: &crate::security::SecurityReport) -> Series {
    let cats: Vec<String> = sec.by_family.keys().cloned().collect();
    let col = |f: fn(&crate::security::Totals) -> usize| -> Vec<(f64, f64)> {
        sec.by_family
            .values()
            .enumerate()
            .map(|(i, t)| (i as f64, f(t) as f64))
            .collect()
    };
    Series {
        title: "Security matrix: cases per family by outcome".into(),
        x_label: "case family".into(),
        y_label: "cases (count)".into(),
        kind: SeriesKind::Stacked,
        lines: BTreeMap::from([
            ("1. passed".into(), col(|t| t.passed)),
            ("2. failed".into(), col(|t| t.failed)),
            ("3. skipped".into(), col(|t| t.skipped)),
            ("4. no decision".into(), col(|t| t.errors)),
        ]),
        categories: cats,
        bounds: Vec::new(),
    }
}

fn load_html(h: &mut String, l: &LoadReport, base: Option<&LoadReport>) {
    h.push_str("<h3>Plan</h3><table>");
    let _ = write!(h, "<tr><th>profile</th><td>{}</td></tr>", esc(&l.profile));
    for (k, v) in &l.plan {
        let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    h.push_str(
        "</table><h3>Latency by token class (measured window, from intended send times)</h3>",
    );
    h.push_str("<table><tr><th>class</th><th>requests</th><th>wrong decisions</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th>");
    if base.is_some() {
        h.push_str("<th>p99 baseline</th><th>p99 change</th>");
    }
    h.push_str("</tr>");
    for (class, c) in &l.classes {
        let hg = &c.histogram;
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td>",
            esc(class),
            c.requests,
            if c.wrong_decisions > 0 { " fail" } else { "" },
            c.wrong_decisions
        );
        for p in [50.0, 90.0, 99.0, 99.9, 100.0] {
            let _ = write!(
                h,
                "<td class=\"num\">{:.2} ms</td>",
                crate::hist::ms_at(hg, p)
            );
        }
        if let Some(b) = base {
            match b.classes.get(class).map(|c| &c.histogram) {
                Some(bh) if !bh.is_empty() => {
                    let (now, was) = (crate::hist::ms_at(hg, 99.0), crate::hist::ms_at(bh, 99.0));
                    let change = if was > 0.0 { now / was - 1.0 } else { 0.0 };
                    let _ = write!(
                        h,
                        "<td class=\"num\">{was:.2} ms</td><td class=\"num{}\">{:+.1}%</td>",
                        if change > 0.2 { " regress" } else { "" },
                        change * 100.0
                    );
                }
                _ => h.push_str("<td>–</td><td>–</td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    if !l.steps.is_empty() {
        h.push_str("<h3>Steps</h3><table><tr><th>rate</th><th>start</th><th>achieved</th><th>p99</th><th>errors</th><th>429</th><th>held</th></tr>");
        for s in &l.steps {
            let _ = write!(
                h,
                "<tr><td class=\"num\">{} req/s</td><td class=\"num\">{:.0} s</td><td class=\"num\">{:.1} req/s</td><td class=\"num\">{:.2} ms</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td></tr>",
                s.rate,
                s.start_s,
                s.achieved_rps,
                s.p99_ms,
                s.errors,
                s.throttled,
                if s.held { "pass" } else { "fail" },
                if s.held { "held".to_owned() } else { esc(&s.why) }
            );
        }
        h.push_str("</table>");
    }
}

/// The self-contained HTML report.
pub fn html(s: &Summary, regressions: &[Regression]) -> String {
    html_with_baseline(s, None, regressions)
}

/// The self-contained HTML report; with `baseline`, every chart overlays
/// the baseline run and every figure table shows the change.
pub fn html_with_baseline(
    s: &Summary,
    baseline: Option<&Summary>,
    regressions: &[Regression],
) -> String {
    let mut h = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(h, "<title>Authorizer suite {}</title>", esc(&s.run.id));
    let _ = write!(h, "<style>{CSS}</style></head><body>");
    let _ = write!(
        h,
        "<header><h1>Authorizer {} — run {}</h1>",
        if s.load.is_some() {
            "load test"
        } else {
            "suite"
        },
        esc(&s.run.id)
    );
    let _ = write!(
        h,
        "<p class=\"meta\">Started {} · {:.1} s · git {} · {} CPUs · load {:.2} → {:.2} · {}<br>Target: {} <code>{}</code>{}</p></header>",
        esc(&s.run.started),
        s.run.duration_s,
        esc(s.run.git_revision.as_deref().unwrap_or("unknown")),
        s.run.machine.cpus,
        s.run.machine.load_before[0],
        s.run.machine.load_after[0],
        esc(&s.run.machine.os),
        esc(&s.target.kind.to_string()),
        esc(&s.target.endpoint),
        baseline.map_or(String::new(), |b| format!(
            "<br>Baseline: run {} (git {}); dashed lines and paler bars are the baseline",
            esc(&b.run.id),
            esc(b.run.git_revision.as_deref().unwrap_or("unknown"))
        ))
    );
    h.push_str("<section id=\"verdicts\"><h2>Verdicts</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>");
    for v in &s.verdicts {
        let status = v.status();
        let (class, word) = (status.label().to_ascii_lowercase(), status.label());
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"{class}\">{word}</td><td>{}</td></tr>",
            esc(&v.check),
            esc(&v.detail)
        );
    }
    h.push_str("</table></section>");
    for (name, sc) in &s.scenarios {
        let base = baseline.and_then(|b| b.scenarios.get(name));
        let _ = write!(
            h,
            "<section id=\"{}\"><h2>{}</h2>",
            esc(name),
            esc(&title(name))
        );
        let plan_shown = match (name.as_str(), &s.load) {
            ("load", Some(l)) => {
                load_html(&mut h, l, baseline.and_then(|b| b.load.as_ref()));
                l.plan == sc.inputs
            }
            _ => false,
        };
        // The load section's plan table already lists these inputs.
        if !plan_shown {
            inputs_html(&mut h, sc);
        }
        figures_html(&mut h, name, sc, base, regressions);
        let decides: Vec<String> = sc
            .criteria()
            .iter()
            .map(|(name, _, band)| {
                format!("<code>{}</code> in [{}, {}]", esc(name), band.min, band.max)
            })
            .collect();
        let _ = write!(
            h,
            "<p>Decides: {} → <span class=\"{}\">{}</span></p>",
            decides.join(" and "),
            if sc.pass { "pass" } else { "fail" },
            if sc.pass { "PASS" } else { "FAIL" }
        );
        charts_html(&mut h, &sc.series, base.map(|b| b.series.as_slice()));
        h.push_str("</section>");
    }
    if let Some(sec) = &s.security {
        security_html(&mut h, sec, baseline.and_then(|b| b.security.as_ref()));
    }
    if !s.bench.is_empty() {
        h.push_str("<section id=\"bench\"><h2>Verify benchmark (criterion medians)</h2><table><tr><th>id</th><th>median</th></tr>");
        for (id, us) in &s.bench {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(id),
                esc(&fmt_value(*us, "µs"))
            );
        }
        h.push_str("</table></section>");
    }
    if !regressions.is_empty() {
        h.push_str("<section id=\"regressions\"><h2>Regressions against the baseline</h2><table><tr><th>scenario</th><th>figure</th><th>baseline</th><th>now</th><th>change</th></tr>");
        for r in regressions {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num regress\">{:+.1}%</td></tr>", esc(&r.scenario), esc(&r.figure), r.before, r.after, r.change * 100.0);
        }
        h.push_str("</table></section>");
    }
    h.push_str("</body></html>\n");
    h
}

/// XML text escaping, dropping characters XML 1.0 cannot carry.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
/// The verdict table for the console: check, result, detail.
pub fn verdict_table(s: &Summary) -> String {
    let mut out = format!("{:<12} {:<6} detail\n", "check", "result");
    for v in &s.verdicts {
        let _ = writeln!(
            out,
            "{:<12} {:<6} {}",
            v.check,
            v.status().label(),
            v.detail
        );
    }
    out
}
