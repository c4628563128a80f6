//! `summary.json`: the single source every rendering is made from.
//! Versioned; scenario blocks share one shape so renderers and the baseline
//! comparison treat them uniformly.

use crate::security::SecurityReport;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped on any change to the model.
/// 2: verdicts carry `status` (`pass`, `fail` or `skip`); `pass` stays, true
/// only for `pass`. Version-1 files (no `status`) still read.
/// 3: `load` (a `harness load` run: serialised HDR histograms per class and
/// per second); series kinds `stacked` and `percentile` and `categories`
/// for labelled bars. Version-1 and -2 files still read.
pub const SCHEMA_VERSION: u32 = 3;

/// One run of the suite (or of any part of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// [`SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// When, where and on what.
    pub run: RunInfo,
    /// What was measured.
    pub target: TargetInfo,
    /// The security matrix, if the check ran.
    pub security: Option<SecurityReport>,
    /// Scenario results by name (`cold_start`, `caching`, `throttling`, `mixed`).
    pub scenarios: BTreeMap<String, Scenario>,
    /// Criterion figures (benchmark id → median µs), when present.
    pub bench: BTreeMap<String, f64>,
    /// A `harness load` run, with its histograms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<crate::load::LoadReport>,
    /// One line per check.
    pub verdicts: Vec<Verdict>,
}

/// Run metadata; CPU count and load average make noisy runs visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Unique id (the output folder name).
    pub id: String,
    /// Start, RFC 3339 UTC.
    pub started: String,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// `git rev-parse HEAD`, when available.
    pub git_revision: Option<String>,
    /// The machine.
    pub machine: Machine,
}

/// The machine a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// 1/5/15-minute load averages before the run.
    pub load_before: [f64; 3],
    /// 1/5/15-minute load averages after the run.
    pub load_after: [f64; 3],
    /// `uname -sr`-like description.
    pub os: String,
}

/// What a run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetKind {
    /// The local run: its own moto holds the deployment, the emulator
    /// serves it (`"local deployment"`; `"emulator"` in older summaries).
    #[serde(rename = "local deployment", alias = "emulator")]
    LocalDeployment,
    /// A deployed API described by its Terraform outputs (`--deployment`).
    #[serde(rename = "deployment")]
    Deployment,
    /// A URL alone (`--target`): what needs the deployment is skipped.
    #[serde(rename = "url")]
    Url,
}

impl std::fmt::Display for TargetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LocalDeployment => "local deployment",
            Self::Deployment => "deployment",
            Self::Url => "url",
        })
    }
}

/// The system under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// What was measured.
    pub kind: TargetKind,
    /// URL or emulator address.
    pub endpoint: String,
    /// Effective settings (emulator flags, TTL, throttle…).
    pub settings: BTreeMap<String, String>,
}

/// Which direction is better for a figure (baseline comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Latencies, error fractions.
    Lower,
    /// Throughput, hit ratios.
    Higher,
    /// Ratios that must stay in a band (no direction).
    InBand,
}

/// A measured figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Value.
    pub value: f64,
    /// Unit (`ms`, `req/s`, `ratio`, …).
    pub unit: String,
    /// Direction for regressions.
    pub better: Better,
}

/// The band the deciding figure must fall in (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

impl Band {
    /// Whether `v` is inside.
    pub fn contains(&self, v: f64) -> bool {
        v >= self.min && v <= self.max
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// Lines through points (x numeric).
    Line,
    /// Bars side by side per x (with `categories`: one labelled bar group
    /// per category, x = its index).
    Bars,
    /// Bars over bins (x = bin start).
    Histogram,
    /// Bars stacked per x, lines in name order (time series of counts).
    Stacked,
    /// A percentile plot: x in percent (50 … 100) on a log(1/(1−p)) axis.
    Percentile,
}

/// A chartable series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Chart title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// How it is drawn.
    pub kind: SeriesKind,
    /// Named lines (or bar groups): name → points.
    pub lines: BTreeMap<String, Vec<(f64, f64)>>,
    /// Category labels for bars (x = index); empty for numeric x.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Bounds a verdict holds the data to, drawn as horizontal lines (the
    /// knee's p99 bound on its per-step p99).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bounds: Vec<Bound>,
}

/// A horizontal line at `value` on a chart's y axis, named in its legend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// What it is (`p99 bound 50 ms`).
    pub label: String,
    /// Where, in the y axis' unit.
    pub value: f64,
}

/// One scenario's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// The inputs (offered rate, trials, TTL…).
    pub inputs: BTreeMap<String, String>,
    /// Measured figures.
    pub figures: BTreeMap<String, Figure>,
    /// The figure that decides pass/fail.
    pub decides: String,
    /// Its band.
    pub band: Band,
    /// Whether every deciding figure is in its band.
    pub pass: bool,
    /// Further figures that decide pass/fail beside `decides`, each with
    /// its band (throttling: the burst's admissions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Criterion>,
    /// Charts.
    pub series: Vec<Series>,
}

/// A figure that decides a verdict, and its band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    /// The figure's name in `figures`.
    pub figure: String,
    /// Its band.
    pub band: Band,
}

impl Scenario {
    /// The deciding figure's value, if recorded.
    pub fn deciding_value(&self) -> Option<f64> {
        self.figures.get(&self.decides).map(|f| f.value)
    }

    /// Every criterion that decides the verdict, `decides` first: the
    /// figure, its value (if recorded) and band.
    pub fn criteria(&self) -> Vec<(&str, Option<f64>, Band)> {
        std::iter::once((self.decides.as_str(), self.band))
            .chain(self.also.iter().map(|c| (c.figure.as_str(), c.band)))
            .map(|(name, band)| (name, self.figures.get(name).map(|f| f.value), band))
            .collect()
    }

    /// `figure = value (band min..max)` for every criterion, joined by `; `
    /// (a verdict's detail).
    pub fn decided_by(&self) -> String {
        self.criteria()
            .iter()
            .map(|(name, value, band)| {
                format!(
                    "{name} = {} (band {}..{})",
                    value.map_or("missing".into(), |v| format!("{v:.3}")),
                    band.min,
                    band.max
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A verdict's outcome. A skip is never a pass, and a failure only with
/// `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Measured and inside its band.
    Pass,
    /// Measured and outside its band (or a security mismatch).
    Fail,
    /// Not measured here; the detail says why.
    Skip,
}

impl Status {
    /// `PASS`, `FAIL` or `SKIP`.
    pub const fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// One verdict line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Check name.
    pub check: String,
    /// Passed (`status` is `pass`).
    pub pass: bool,
    /// The outcome; absent in version-1 files, where `pass` decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// One-line detail: the deciding figure, or why it was skipped.
    pub detail: String,
}

impl Verdict {
    /// A verdict with `status`.
    pub fn new(check: impl Into<String>, status: Status, detail: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            pass: status == Status::Pass,
            status: Some(status),
            detail: detail.into(),
        }
    }

    /// The outcome (version-1 files: from `pass`).
    pub fn status(&self) -> Status {
        self.status.unwrap_or(if self.pass {
            Status::Pass
        } else {
            Status::Fail
        })
    }
}

impl Summary {
    /// The verdicts that fail the run: every `fail`, and with `strict` every
    /// `skip` too.
    pub fn failures(&self, strict: bool) -> Vec<&Verdict> {
        self.verdicts
            .iter()
            .filter(|v| match v.status() {
                Status::Fail => true,
                Status::Skip => strict,
                Status::Pass => false,
            })
            .collect()
    }
}
