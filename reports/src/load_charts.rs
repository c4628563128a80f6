//! The load report's charts, each answering one question (README, "The
//! load report's charts"), made from a [`LoadReport`].

use crate::hist::{self, Hist};
use crate::load::{LoadReport, Outcomes};
use crate::model::{Series, SeriesKind};
use std::collections::BTreeMap;

/// Percentiles on the distribution chart's x axis.
const DIST_POINTS: [f64; 13] = [
    50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 99.9995, 99.9999,
];

/// Offered vs admitted with the expected curve, when the plan offered at
/// least half the stage's limit (below that the three lines are one).
fn throttling_chart(r: &LoadReport) -> Option<Series> {
    let peak = r.seconds.iter().map(|s| s.planned).max().unwrap_or(0) as f64;
    let limit = r.stage_rate.filter(|l| peak >= 0.5 * l)?;
    let mut lines = BTreeMap::new();
    lines.insert(
        "offered".to_owned(),
        r.seconds
            .iter()
            .map(|s| (f64::from(s.t), s.planned as f64))
            .collect(),
    );
    lines.insert(
        "admitted (not 429)".to_owned(),
        r.seconds
            .iter()
            .map(|s| {
                (
                    f64::from(s.t),
                    (s.outcomes.total() - s.outcomes.throttled) as f64,
                )
            })
            .collect(),
    );
    lines.insert(
        format!("expected min(offered, {limit} req/s)"),
        r.seconds
            .iter()
            .map(|s| (f64::from(s.t), (s.planned as f64).min(limit)))
            .collect(),
    );
    Some(Series {
        title: "Throttling: offered vs admitted rate".into(),
        x_label: "time since start (s)".into(),
        y_label: "requests per second (req/s)".into(),
        kind: SeriesKind::Line,
        lines,
        categories: Vec::new(),
        bounds: Vec::new(),
    })
}

/// The load run's charts, each the type its question needs.
pub fn charts(r: &LoadReport) -> Vec<Series> {
    let mut out = Vec::new();
    let per_second: Vec<(f64, &Hist)> = r
        .seconds
        .iter()
        .map(|s| (f64::from(s.t), &s.histogram))
        .collect();
    // 1. Latency percentiles over time.
    let mut lines = BTreeMap::new();
    for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0)] {
        lines.insert(
            name.to_owned(),
            per_second
                .iter()
                .filter(|(_, h)| !h.is_empty())
                .map(|(t, h)| (*t, hist::ms_at(h, p)))
                .collect(),
        );
    }
    out.push(Series {
        title: "Latency percentiles over time (from intended send times)".into(),
        x_label: "time since start (s)".into(),
        y_label: "latency (ms)".into(),
        kind: SeriesKind::Line,
        lines,
        categories: Vec::new(),
        bounds: Vec::new(),
    });
    // 2. Throughput by outcome over time, stacked.
    let mut stacked: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (i, (label, _)) in Outcomes::default().labelled().iter().enumerate() {
        let pts: Vec<(f64, f64)> = r
            .seconds
            .iter()
            .map(|s| (f64::from(s.t), s.outcomes.labelled()[i].1 as f64))
            .collect();
        if pts.iter().any(|p| p.1 > 0.0) {
            stacked.insert(format!("{}. {label}", i + 1), pts);
        }
    }
    out.push(Series {
        title: "Throughput by outcome over time (stacked)".into(),
        x_label: "time since start (s)".into(),
        y_label: "responses per second (req/s)".into(),
        kind: SeriesKind::Stacked,
        lines: stacked,
        categories: Vec::new(),
        bounds: Vec::new(),
    });
    // 3. Latency distribution: percentile plot on a log(1/(1−p)) axis.
    let mut dist = BTreeMap::new();
    for (class, c) in &r.classes {
        let h = &c.histogram;
        if h.is_empty() {
            continue;
        }
        dist.insert(class.clone(), percentile_points(h, h.len()));
    }
    out.push(Series {
        title: "Latency distribution by token class (percentile plot)".into(),
        x_label: "percentile (%)".into(),
        y_label: "latency (ms)".into(),
        kind: SeriesKind::Percentile,
        lines: dist,
        categories: Vec::new(),
        bounds: Vec::new(),
    });
    // 4. Cold starts over time and the Init Duration distribution.
    if r.seconds.iter().any(|s| s.cold_starts.is_some()) {
        out.push(Series {
            title: "Cold starts per second (function logs)".into(),
            x_label: "time since start (s)".into(),
            y_label: "cold starts (count)".into(),
            kind: SeriesKind::Bars,
            lines: BTreeMap::from([(
                "cold starts".into(),
                r.seconds
                    .iter()
                    .map(|s| (f64::from(s.t), s.cold_starts.unwrap_or(0) as f64))
                    .collect(),
            )]),
            categories: Vec::new(),
            bounds: Vec::new(),
        });
    }
    if let Some(init) = r.init_durations_ms.as_ref().filter(|v| !v.is_empty()) {
        out.push(init_histogram(init));
    }
    // 5. Cache hit ratio over time: requests that did not reach the
    // authorizer.
    if r.seconds.iter().any(|s| s.invocations.is_some()) {
        out.push(Series {
            title: "Authorizer cache hit ratio over time".into(),
            x_label: "time since start (s)".into(),
            y_label: "hit ratio (fraction of requests)".into(),
            kind: SeriesKind::Line,
            lines: BTreeMap::from([(
                "hit ratio".into(),
                r.seconds
                    .iter()
                    .filter(|s| s.outcomes.total() > 0)
                    .map(|s| {
                        let n = s.outcomes.total() as f64;
                        let inv = s.invocations.unwrap_or(0) as f64;
                        (f64::from(s.t), (1.0 - inv / n).clamp(0.0, 1.0))
                    })
                    .collect(),
            )]),
            categories: Vec::new(),
            bounds: Vec::new(),
        });
    }
    // 6. Throttling: offered vs admitted with the expected curve — when the
    // plan offered at least half the stage's limit (below that the three
    // lines are one).
    out.extend(throttling_chart(r));
    // 7. Stepped plans: p99 per step.
    if !r.steps.is_empty() {
        out.push(Series {
            title: "p99 latency per step".into(),
            x_label: "planned rate (req/s)".into(),
            y_label: "p99 latency (ms)".into(),
            kind: SeriesKind::Line,
            lines: BTreeMap::from([(
                "p99".into(),
                r.steps.iter().map(|s| (s.rate, s.p99_ms)).collect(),
            )]),
            categories: Vec::new(),
            bounds: r
                .p99_bound_ms
                .map(|b| crate::model::Bound {
                    label: format!("p99 bound {b} ms"),
                    value: b,
                })
                .into_iter()
                .collect(),
        });
    }
    out
}

/// `(percentile, ms)` points up to the highest percentile `n` samples
/// resolve, then the maximum at 100.
fn percentile_points(h: &Hist, n: u64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = DIST_POINTS
        .iter()
        .filter(|p| (n as f64) * (1.0 - **p / 100.0) >= 1.0)
        .map(|p| (*p, hist::ms_at(h, *p)))
        .collect();
    pts.push((100.0, h.max() as f64 / 1000.0));
    pts
}

/// The Init Duration distribution as a histogram (ms bins).
fn init_histogram(init: &[f64]) -> Series {
    let max = init.iter().copied().fold(0.0_f64, f64::max);
    let bins = 12usize;
    let width = (max / bins as f64).max(0.001);
    let mut counts = vec![0u64; bins + 1];
    for v in init {
        counts[((v / width) as usize).min(bins)] += 1;
    }
    Series {
        title: "Init Duration distribution (cold starts)".into(),
        x_label: "Init Duration (ms, bin start)".into(),
        y_label: "cold starts (count)".into(),
        kind: SeriesKind::Histogram,
        lines: BTreeMap::from([(
            "cold starts".into(),
            counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| (i as f64 * width, *c as f64))
                .collect(),
        )]),
        categories: Vec::new(),
        bounds: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tests::report;

    #[test]
    fn charts_cover_every_question_with_data() {
        let charts = charts(&report());
        let titles: Vec<&str> = charts.iter().map(|c| c.title.as_str()).collect();
        for want in [
            "Latency percentiles over time",
            "Throughput by outcome",
            "Latency distribution",
            "Cold starts per second",
            "Init Duration distribution",
            "cache hit ratio",
            "Throttling",
        ] {
            assert!(
                titles.iter().any(|t| t.contains(want)),
                "{want}: {titles:?}"
            );
        }
        let dist = charts
            .iter()
            .find(|c| c.kind == SeriesKind::Percentile)
            .expect("distribution");
        let pts = &dist.lines["valid_repeat"];
        // 10 000 samples resolve up to 99.99; then the maximum at 100.
        assert_eq!(pts.last().map(|p| p.0), Some(100.0));
        assert!(pts.iter().any(|p| (p.0 - 99.99).abs() < 1e-9));
        assert!(!pts.iter().any(|p| (p.0 - 99.999).abs() < 1e-9));
        assert!((pts[0].1 - 50.0).abs() < 0.1, "p50 {}", pts[0].1);
        let hit = charts
            .iter()
            .find(|c| c.title.contains("cache hit"))
            .expect("hit");
        assert!((hit.lines["hit ratio"][0].1 - 0.75).abs() < 1e-9);
    }
}
