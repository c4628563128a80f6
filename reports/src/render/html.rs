//! The self-contained HTML page: inline SVG charts, no scripts, fonts or
//! styles from the network.

use super::format::{esc, fmt_value, title};
use super::svg::{chart_svg, legend};
use crate::baseline::Regression;
use crate::load::LoadReport;
use crate::model::{Scenario, Series, SeriesKind, Summary};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A chart and, where it has more than one entry, its legend below the
/// plot (HTML: the page's type, never over the data).
pub(super) fn figure_html(h: &mut String, series: &Series, baseline: Option<&Series>) {
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

pub(super) const CSS: &str = "\
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
pub(super) fn security_html(
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
pub(super) fn inputs_html(h: &mut String, sc: &Scenario) {
    if sc.inputs.is_empty() {
        return;
    }
    h.push_str("<table class=\"inputs\"><tr><th>input</th><th>value</th></tr>");
    for (k, v) in &sc.inputs {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
    }
    h.push_str("</table>");
}

pub(super) fn figures_html(
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

pub(super) fn charts_html(h: &mut String, series: &[Series], base: Option<&[Series]>) {
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

pub(super) fn load_html(h: &mut String, l: &LoadReport, base: Option<&LoadReport>) {
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
    let shards = super::format::shard_rows(l);
    if !shards.is_empty() {
        h.push_str("<h3>Shards (one generator each; send lag: how late it sent against the plan)</h3><table><tr>");
        for c in super::format::SHARD_HEADER {
            let _ = write!(h, "<th>{c}</th>");
        }
        h.push_str("</tr>");
        for row in shards {
            h.push_str("<tr>");
            for c in row {
                let _ = write!(h, "<td>{}</td>", esc(&c));
            }
            h.push_str("</tr>");
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
