//! Markdown (CI logs, PR comments) and a self-contained HTML page (inline
//! SVG charts drawn with plotters; no scripts, fonts or styles from the
//! network), both made from a [`Summary`] and nothing else.

use crate::baseline::Regression;
use crate::model::{Scenario, Series, Summary};
use crate::security::esc;
use plotters::prelude::*;
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
    let _ = writeln!(m, "# Authorizer suite — run {}\n", s.run.id);
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
            "\n## Security matrix\n\n| family | passed | failed | skipped |\n|---|---|---|---|"
        );
        for (family, t) in &sec.by_family {
            let _ = writeln!(
                m,
                "| {family} | {} | {} | {} |",
                t.passed, t.failed, t.skipped
            );
        }
        let failures: Vec<_> = sec
            .cases
            .iter()
            .filter(|c| !c.pass && c.actual != "skipped")
            .collect();
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
    let _ = writeln!(
        m,
        "\nDecides: `{}` = {} in [{}, {}] → {}",
        sc.decides,
        sc.deciding_value()
            .map_or("missing".into(), |v| format!("{v:.3}")),
        sc.band.min,
        sc.band.max,
        if sc.pass { "PASS" } else { "**FAIL**" }
    );
}

/// One chart as an SVG string (empty on a drawing error, noted in the page).
pub fn chart_svg(series: &Series) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let all: Vec<(f64, f64)> = series.lines.values().flatten().copied().collect();
        if all.is_empty() {
            return Err("no data".into());
        }
        let (mut x0, mut x1) = all
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let y1 = all.iter().fold(0.0_f64, |a, p| a.max(p.1)) * 1.1 + f64::EPSILON;
        if (x1 - x0).abs() < f64::EPSILON {
            x0 -= 1.0;
            x1 += 1.0;
        }
        let pad = if series.kind == "line" {
            0.0
        } else {
            (x1 - x0) * 0.05 + 0.5
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(&series.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..y1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(&series.x_label)
            .y_desc(&series.y_label)
            .draw()
            .map_err(|e| e.to_string())?;
        let n_lines = series.lines.len() as f64;
        for (i, (name, points)) in series.lines.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            if series.kind == "line" {
                chart
                    .draw_series(LineSeries::new(
                        points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(|e| e.to_string())?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
                chart
                    .draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(|e| e.to_string())?;
            } else {
                // Side by side: one slot per line around each x.
                let width =
                    ((x1 - x0) / (points.len().max(1) as f64 * (n_lines + 1.0) * 1.5)).max(0.2);
                let offset = (i as f64 - (n_lines - 1.0) / 2.0) * width;
                chart
                    .draw_series(points.iter().map(|(x, y)| {
                        Rectangle::new(
                            [
                                (x - width / 2.0 + offset, 0.0),
                                (x + width / 2.0 + offset, *y),
                            ],
                            color.filled(),
                        )
                    }))
                    .map_err(|e| e.to_string())?
                    .label(name)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                    });
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The self-contained HTML report.
pub fn html(s: &Summary, regressions: &[Regression]) -> String {
    let mut h = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = write!(h, "<title>Authorizer suite {}</title>", esc(&s.run.id));
    h.push_str("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.pass{color:#176b1c}.fail{color:#b00020;font-weight:bold}.skip{color:#8a6d00}figure{display:inline-block;margin:.5em}</style></head><body>");
    let _ = write!(h, "<h1>Authorizer suite — run {}</h1>", esc(&s.run.id));
    let _ = write!(
        h,
        "<p>Started {} · {:.1} s · git {} · {} CPUs · load {:.2} → {:.2} · {}<br>Target: {} <code>{}</code></p>",
        esc(&s.run.started),
        s.run.duration_s,
        esc(s.run.git_revision.as_deref().unwrap_or("unknown")),
        s.run.machine.cpus,
        s.run.machine.load_before[0],
        s.run.machine.load_after[0],
        esc(&s.run.machine.os),
        esc(&s.target.kind),
        esc(&s.target.endpoint)
    );
    h.push_str("<h2>Verdicts</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>");
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
    h.push_str("</table>");
    for (name, sc) in &s.scenarios {
        let _ = write!(h, "<h2>{}</h2>", esc(&title(name)));
        h.push_str("<table><tr><th>figure</th><th>value</th></tr>");
        for (k, f) in &sc.figures {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(k),
                esc(&fmt_value(f.value, &f.unit))
            );
        }
        let _ = write!(
            h,
            "</table><p>Decides: <code>{}</code> in [{}, {}] → <span class=\"{}\">{}</span></p>",
            esc(&sc.decides),
            sc.band.min,
            sc.band.max,
            if sc.pass { "pass" } else { "fail" },
            if sc.pass { "PASS" } else { "FAIL" }
        );
        for series in &sc.series {
            match chart_svg(series) {
                Ok(svg) => {
                    let _ = write!(h, "<figure class=\"chart\">{svg}</figure>");
                }
                Err(e) => {
                    let _ = write!(
                        h,
                        "<p>chart {} not drawn: {}</p>",
                        esc(&series.title),
                        esc(&e)
                    );
                }
            }
        }
    }
    if let Some(sec) = &s.security {
        h.push_str("<h2>Security matrix</h2><table><tr><th>case</th><th>family</th><th>expected</th><th>actual</th><th>result</th></tr>");
        for c in &sec.cases {
            let (class, word) = if c.actual == "skipped" {
                ("", "skipped")
            } else if c.pass {
                ("pass", "ok")
            } else {
                ("fail", "MISMATCH")
            };
            let _ = write!(
                h,
                "<tr><td title=\"{}\">{}</td><td>{}</td><td>{} {}</td><td>{} {}</td><td class=\"{class}\">{word}</td></tr>",
                esc(&format!("{} — {}", c.description, c.reference)),
                esc(&c.id),
                esc(&c.family),
                esc(&c.expected),
                esc(c.expected_reason.as_deref().unwrap_or("")),
                esc(&c.actual),
                esc(c.actual_reason.as_deref().unwrap_or("")),
            );
        }
        h.push_str("</table>");
    }
    if !regressions.is_empty() {
        h.push_str("<h2>Regressions against the baseline</h2><table><tr><th>scenario</th><th>figure</th><th>baseline</th><th>now</th><th>change</th></tr>");
        for r in regressions {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td class=\"fail\">{:+.1}%</td></tr>", esc(&r.scenario), esc(&r.figure), r.before, r.after, r.change * 100.0);
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}

/// The verdicts as JUnit XML: one `testcase` per check; a FAIL is a
/// `<failure>`, a SKIP a `<skipped>` with its reason — never a pass.
pub fn verdicts_junit(s: &Summary) -> String {
    use crate::model::Status;
    use crate::security::esc;
    let count = |st: Status| s.verdicts.iter().filter(|v| v.status() == st).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuite name=\"harness suite {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        esc(&s.run.id),
        s.verdicts.len(),
        count(Status::Fail),
        count(Status::Skip)
    );
    for v in &s.verdicts {
        let _ = write!(
            x,
            "  <testcase classname=\"suite\" name=\"{}\">",
            esc(&v.check)
        );
        match v.status() {
            Status::Pass => {}
            Status::Fail => {
                let _ = write!(x, "<failure message=\"{}\"/>", esc(&v.detail));
            }
            Status::Skip => {
                let _ = write!(x, "<skipped message=\"{}\"/>", esc(&v.detail));
            }
        }
        x.push_str("</testcase>\n");
    }
    x.push_str("</testsuite>\n");
    x
}
