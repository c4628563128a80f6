//! The result model (`summary.json`, versioned) and its renderings. The
//! harness and the scenarios fill the model; Markdown and HTML are made from
//! it and nothing else.

pub mod atomic;
pub mod baseline;
pub mod hist;
pub mod load;
pub mod load_charts;
pub mod model;
pub mod render;
pub mod security;

pub use atomic::{write_atomic, write_atomic_private};

/// What can go wrong reading, merging or rendering results.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The histogram serialiser failed (compression).
    #[error("histogram serialisation: {0}")]
    HistEncode(#[source] hdrhistogram::serialization::V2DeflateSerializeError),
    /// A serialised histogram that is not base64.
    #[error("histogram: not base64: {0}")]
    HistBase64(#[source] base64::DecodeError),
    /// Base64 that is not a serialised histogram.
    #[error("histogram: {0}")]
    HistDecode(#[source] hdrhistogram::serialization::DeserializeError),
    /// A histogram with values outside the other's range.
    #[error("histogram merge: {0}")]
    HistMerge(#[source] hdrhistogram::AdditionError),
    /// A chart with no points to draw.
    #[error("no data")]
    NoData,
    /// The SVG backend failed.
    #[error("{0}")]
    Draw(#[source] plotters::drawing::DrawingAreaErrorKind<std::io::Error>),
    /// A report file that could not be written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The summary did not serialise.
    #[error("summary.json: {0}")]
    Json(#[source] serde_json::Error),
}

use std::path::{Path, PathBuf};

/// Writes `summary.json`, `report.md`, `report.html` and `verdicts.xml`
/// (JUnit: one test case per verdict, SKIP as `<skipped>`; each atomically)
/// into `dir`, comparing with `baseline` when given; returns the regressions.
///
/// # Errors
/// I/O and serialisation errors, with the path.
pub fn write_report(
    dir: &Path,
    summary: &model::Summary,
    baseline: Option<&model::Summary>,
    threshold: f64,
) -> Result<Vec<baseline::Regression>, Error> {
    let regressions = baseline
        .map(|b| baseline::compare(summary, b, threshold))
        .unwrap_or_default();
    let json = serde_json::to_string_pretty(summary).map_err(Error::Json)?;
    for (name, text) in [
        ("summary.json", json),
        ("report.md", render::markdown(summary, &regressions)),
        (
            "report.html",
            render::html_with_baseline(summary, baseline, &regressions),
        ),
        ("verdicts.xml", render::verdicts_junit(summary)),
    ] {
        let p = dir.join(name);
        write_atomic(&p, text.as_bytes()).map_err(|source| Error::Write { path: p, source })?;
    }
    Ok(regressions)
}

/// `reports/out/<run id>` under `root`.
pub fn run_dir(root: &Path, run_id: &str) -> PathBuf {
    root.join("reports").join("out").join(run_id)
}
