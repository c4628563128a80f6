//! Renderings are made from the model alone: every chart becomes inline
//! SVG, nothing is fetched, and the baseline comparison finds regressions.

use reports::baseline::compare;
use reports::model::*;
use reports::security::{CaseResult, SecurityReport};
use std::collections::BTreeMap;

fn figure(value: f64, unit: &str, better: Better) -> Figure {
    Figure {
        value,
        unit: unit.into(),
        better,
    }
}

fn sample() -> Summary {
    let mut throttling = Scenario {
        inputs: BTreeMap::from([("configured_rate".into(), "50".into())]),
        figures: BTreeMap::from([
            (
                "admitted_ratio".into(),
                figure(0.98, "ratio", Better::InBand),
            ),
            ("p50_ms".into(), figure(1.5, "ms", Better::Lower)),
            ("throughput".into(), figure(1000.0, "req/s", Better::Higher)),
        ]),
        decides: "admitted_ratio".into(),
        band: Band { min: 0.9, max: 1.1 },
        pass: true,
        also: Vec::new(),
        series: vec![Series {
            title: "Offered vs admitted".into(),
            x_label: "offered req/s".into(),
            y_label: "admitted req/s".into(),
            kind: reports::model::SeriesKind::Line,
            categories: Vec::new(),
            lines: BTreeMap::from([(
                "admitted".into(),
                vec![(25.0, 25.0), (50.0, 49.0), (100.0, 51.0)],
            )]),
            bounds: Vec::new(),
        }],
    };
    throttling.series.push(Series {
        kind: reports::model::SeriesKind::Bars,
        title: "Init durations".into(),
        ..throttling.series[0].clone()
    });
    let case = CaseResult {
        id: "sig-psychic-zero".into(),
        family: "forged".into(),
        description: "r = s = 0".into(),
        reference: "CVE-2022-21449".into(),
        expected: "deny".into(),
        actual: "deny".into(),
        expected_reason: Some("bad_signature".into()),
        actual_reason: Some("bad_signature".into()),
        pass: true,
        note: None,
    };
    Summary {
        schema_version: SCHEMA_VERSION,
        run: RunInfo {
            id: "20261128T150000Z".into(),
            started: "2026-11-28T15:00:00Z".into(),
            duration_s: 42.0,
            git_revision: Some("abc123".into()),
            machine: Machine {
                cpus: 2,
                load_before: [0.1, 0.2, 0.3],
                load_after: [1.0, 0.5, 0.4],
                os: "Linux".into(),
            },
        },
        target: TargetInfo {
            kind: TargetKind::LocalDeployment,
            endpoint: "http://127.0.0.1:1".into(),
            settings: BTreeMap::new(),
        },
        security: Some(SecurityReport::new("lib".into(), true, vec![case])),
        scenarios: BTreeMap::from([("throttling".into(), throttling)]),
        bench: BTreeMap::from([("allow_uncached".into(), 361.0)]),
        load: None,
        verdicts: vec![
            Verdict::new(
                "throttling",
                Status::Pass,
                "admitted 0.98 of configured <ok>",
            ),
            Verdict::new(
                "cold_start",
                Status::Skip,
                "skipped: needs the function name and log group",
            ),
        ],
    }
}

#[test]
fn html_is_self_contained_with_every_chart_inline() {
    let s = sample();
    let html = reports::render::html(&s, &[]);
    assert_eq!(
        html.matches("<figure class=\"chart\"><svg").count(),
        3,
        "one inline SVG per series, and the security matrix's"
    );
    assert!(!html.contains("<script"), "no scripts");
    for attr in ["src=", "href=", "@import", "url("] {
        assert!(
            !html.contains(attr),
            "nothing loaded from elsewhere ({attr})"
        );
    }
    assert!(html.contains("sig-psychic-zero") && html.contains("Offered vs admitted"));
    assert!(html.contains("&lt;ok&gt;"), "text is escaped");
}

/// The HTML carries what the Markdown and the summary have: each
/// scenario's inputs, and the reason every skipped case was skipped.
#[test]
fn html_has_the_inputs_and_every_skipped_cases_reason() {
    let mut s = sample();
    let sec = s.security.as_mut().expect("security");
    let mut skipped = sec.cases[0].clone();
    skipped.id = "hdr-newline".into();
    skipped.actual = CaseResult::SKIPPED.into();
    skipped.pass = false;
    skipped.note = Some("cannot travel over HTTP unchanged (a newline)".into());
    *sec = SecurityReport::new("url".into(), false, vec![sec.cases[0].clone(), skipped]);
    let html = reports::render::html(&s, &[]);
    assert!(
        html.contains("<td>configured_rate</td><td>50</td>"),
        "the scenario's inputs"
    );
    assert!(
        html.contains(
            "<tr><td>hdr-newline</td><td>cannot travel over HTTP unchanged (a newline)</td></tr>"
        ),
        "the skipped case and why"
    );
    let md = reports::render::markdown(&s, &[]);
    assert!(
        md.contains("| hdr-newline | cannot travel over HTTP unchanged (a newline) |"),
        "{md}"
    );
}

#[test]
fn markdown_has_verdicts_matrix_and_figures() {
    let md = reports::render::markdown(&sample(), &[]);
    for needle in [
        "## Verdicts",
        "| throttling | PASS |",
        "## Security matrix",
        "| forged | 1 | 0 | 0 |",
        "admitted_ratio",
        "| allow_uncached | 361 µs |",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}

#[test]
fn every_deciding_criterion_is_named_in_the_detail_and_both_renderings() {
    let mut s = sample();
    let sc = s.scenarios.get_mut("throttling").expect("throttling");
    sc.figures.insert(
        "burst_admitted".into(),
        figure(39.0, "requests", Better::InBand),
    );
    sc.also.push(Criterion {
        figure: "burst_admitted".into(),
        band: Band {
            min: 24.0,
            max: 48.0,
        },
    });
    assert_eq!(
        sc.decided_by(),
        "admitted_ratio = 0.980 (band 0.9..1.1); burst_admitted = 39.000 (band 24..48)"
    );
    let md = reports::render::markdown(&s, &[]);
    assert!(
        md.contains("Decides: `admitted_ratio` = 0.980 in [0.9, 1.1] and `burst_admitted` = 39.000 in [24, 48] → PASS"),
        "{md}"
    );
    let html = reports::render::html(&s, &[]);
    assert!(
        html.contains("<code>burst_admitted</code> in [24, 48]"),
        "the HTML names it too"
    );
    // Older summaries without `also` still read.
    let json = serde_json::to_string(&sample()).unwrap();
    assert!(!json.contains("\"also\""), "empty: not written");
    assert_eq!(serde_json::from_str::<Summary>(&json).unwrap(), sample());
}

#[test]
fn summary_round_trips_and_reports_are_written_atomically() {
    let s = sample();
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<Summary>(&json).unwrap(), s);
    let dir = std::env::temp_dir().join(format!("reports-run-{}", std::process::id()));
    let regressions = reports::write_report(&dir, &s, Some(&s), 0.2).unwrap();
    assert!(regressions.is_empty(), "a run is no regression of itself");
    for f in ["summary.json", "report.md", "report.html", "verdicts.xml"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn baseline_finds_regressions_in_the_right_direction() {
    let base = sample();
    let mut now = sample();
    let sc = now.scenarios.get_mut("throttling").unwrap();
    sc.figures.get_mut("p50_ms").unwrap().value = 3.0; // 100 % slower
    sc.figures.get_mut("throughput").unwrap().value = 1100.0; // better
    let r = compare(&now, &base, 0.2);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(
        (r[0].figure.as_str(), r[0].before, r[0].after),
        ("p50_ms", 1.5, 3.0)
    );
    let sc = now.scenarios.get_mut("throttling").unwrap();
    sc.figures.get_mut("throughput").unwrap().value = 500.0;
    sc.pass = false;
    let r = compare(&now, &base, 0.2);
    assert!(r.iter().any(|x| x.figure == "throughput"));
    assert!(r.iter().any(|x| x.figure.contains("left its band")));
}

#[test]
fn a_skip_is_shown_as_skipped_never_as_passed_and_fails_only_when_strict() {
    let s = sample();
    let md = reports::render::markdown(&s, &[]);
    assert!(md.contains("| cold_start | SKIP |"), "{md}");
    let html = reports::render::html(&s, &[]);
    assert!(html.contains("<td class=\"skip\">SKIP</td>"), "{html}");
    let junit = reports::junit::verdicts(&s);
    assert!(
        junit.contains("tests=\"2\" failures=\"0\" skipped=\"1\""),
        "{junit}"
    );
    assert!(
        junit.contains("<skipped message=\"skipped: needs the function name"),
        "{junit}"
    );
    let json: serde_json::Value = serde_json::to_value(&s).unwrap();
    assert_eq!(json["verdicts"][1]["status"], "skip");
    assert_eq!(json["verdicts"][1]["pass"], false);
    assert!(s.failures(false).is_empty(), "a skip is not a failure");
    assert_eq!(s.failures(true).len(), 1, "--strict: it is");
    // A version-1 file (no status) still reads: `pass` decides.
    let v1 = r#"{"check":"mixed","pass":false,"detail":"x"}"#;
    let v: Verdict = serde_json::from_str(v1).unwrap();
    assert_eq!(v.status(), Status::Fail);
}

#[test]
fn a_baseline_is_overlaid_on_every_chart_and_each_figure_shows_its_change() {
    let base = sample();
    let mut now = sample();
    let sc = now.scenarios.get_mut("throttling").unwrap();
    sc.figures.get_mut("p50_ms").unwrap().value = 3.0; // 100 % slower
    let regressions = compare(&now, &base, 0.2);
    let html = reports::render::html_with_baseline(&now, Some(&base), &regressions);
    // Each of the three charts carries the baseline's series too.
    assert!(html.matches("(baseline)").count() >= 3, "{html}");
    assert!(html.contains("<th>baseline</th><th>change</th>"));
    assert!(
        html.contains("<td class=\"num regress\">+100.0%</td>"),
        "the regression is highlighted"
    );
    assert!(
        html.contains("<td class=\"num\">+0.0%</td>"),
        "an unchanged figure"
    );
    assert!(html.contains("Baseline: run 20261128T150000Z"));
    // Without a baseline: no overlay, no change columns.
    let plain = reports::render::html(&now, &[]);
    assert!(!plain.contains("(baseline)") && !plain.contains("<th>change</th>"));
}

/// Legends sit outside the plot (the page draws them), colours follow
/// meaning, and a bound is a line in the chart and an entry in the legend.
#[test]
fn legends_outside_colour_by_meaning_and_bounds_drawn() {
    use reports::render::{chart_svg, legend};
    let two = Series {
        title: "p99 per step".into(),
        x_label: "rate".into(),
        y_label: "ms".into(),
        kind: SeriesKind::Line,
        categories: Vec::new(),
        lines: BTreeMap::from([
            ("p50".into(), vec![(1.0, 2.0), (2.0, 3.0)]),
            ("p99".into(), vec![(1.0, 4.0), (2.0, 9.0)]),
        ]),
        bounds: vec![Bound {
            label: "p99 bound 50 ms".into(),
            value: 50.0,
        }],
    };
    let svg = chart_svg(&two, None).expect("svg");
    for name in ["p50", "p99", "p99 bound 50 ms"] {
        assert!(
            !svg.contains(&format!(">{name}<")),
            "{name} drawn inside the plot"
        );
    }
    let names: Vec<String> = legend(&two, None).into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["p50", "p99", "p99 bound 50 ms"]);
    // The bound is in view although the data stays under 10 ms: three
    // paths (two lines, the dashed bound drawn in dashes) reach its height.
    assert!(svg.matches("<polyline").count() >= 3, "{svg}");
    // One ordinary series is not the colour of a failure.
    let one = Series {
        lines: BTreeMap::from([("p99".into(), vec![(1.0, 4.0)])]),
        bounds: Vec::new(),
        ..two.clone()
    };
    let entries = legend(&one, None);
    assert_eq!(entries.len(), 1);
    assert_ne!(entries[0].colour, "#c82832", "a lone series drawn red");
    // Outcomes keep their meaning.
    let outcomes = Series {
        kind: SeriesKind::Stacked,
        lines: BTreeMap::from([
            ("1. 2xx".into(), vec![(0.0, 5.0)]),
            ("2. 5xx".into(), vec![(0.0, 1.0)]),
        ]),
        bounds: Vec::new(),
        ..two
    };
    let colours: Vec<String> = legend(&outcomes, None)
        .into_iter()
        .map(|e| e.colour)
        .collect();
    assert_eq!(colours, ["#2e8b57", "#c82832"]);
    // The page shows the legend below the chart, in its own type.
    let page = reports::render::html(&sample(), &[]);
    assert!(page.contains("figcaption.legend{"), "legend style");
}
