//! The result model (`summary.json`, versioned) and its renderings. The
//! harness and the scenarios fill the model; Markdown and HTML are made from
//! it and nothing else.

pub mod atomic;
pub mod baseline;
mod error;
pub mod hist;
pub mod junit;
pub mod load;
pub mod load_charts;
pub mod merge;
pub mod model;
pub mod render;
pub mod security;

pub use atomic::{write_atomic, write_atomic_private};
pub use error::Error;

use std::path::{Path, PathBuf};

/// The files of one report set, as [`write_report`] writes them.
pub const REPORT_FILES: [&str; 4] = ["summary.json", "report.md", "report.html", "verdicts.xml"];

/// Why `dir` cannot take a whole report set, if it cannot: a file of the
/// set that is a directory (nothing can replace it), or a directory that
/// cannot be written. For a caller to refuse an output folder before a
/// run starts.
pub fn cannot_take_a_report(dir: &Path) -> Option<String> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return Some(e.to_string());
    }
    for name in REPORT_FILES {
        if dir.join(name).is_dir() {
            return Some(format!("{name} there is a directory"));
        }
    }
    let probe = dir.join(format!(".report-write-probe-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) => Some(e.to_string()),
    }
}

/// Writes `summary.json`, `report.md`, `report.html` and `verdicts.xml`
/// (JUnit: one test case per verdict, SKIP as `<skipped>`) into `dir`,
/// comparing with `baseline` when given; returns the regressions. The set
/// is published whole or not at all: every file is written and synced
/// beside its destination first, then the set replaces the old one (each
/// old file kept aside until every new one is in place, and put back if
/// one cannot be), so `dir` never holds files of two runs.
///
/// # Errors
/// I/O and serialisation errors, with the path; `dir`'s earlier report is
/// then as it was.
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
    let texts = [
        json,
        render::markdown(summary, &regressions),
        render::html_with_baseline(summary, baseline, &regressions),
        junit::verdicts(summary),
    ];
    let set: Vec<(PathBuf, &[u8])> = REPORT_FILES
        .iter()
        .zip(&texts)
        .map(|(name, text)| (dir.join(name), text.as_bytes()))
        .collect();
    atomic::publish_set(&set).map_err(|(path, source)| Error::Write { path, source })?;
    Ok(regressions)
}

/// `reports/out/<run id>` under `root`.
pub fn run_dir(root: &Path, run_id: &str) -> PathBuf {
    root.join("reports").join("out").join(run_id)
}
