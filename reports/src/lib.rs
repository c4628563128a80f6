//! The result model (`summary.json`, versioned) and its renderings. The
//! harness and the scenarios fill the model; Markdown and HTML are made from
//! it and nothing else.

pub mod atomic;
pub mod baseline;
pub mod hist;
pub mod load;
pub mod model;
pub mod render;
pub mod security;

pub use atomic::write_atomic;

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
) -> Result<Vec<baseline::Regression>, String> {
    let regressions = baseline
        .map(|b| baseline::compare(summary, b, threshold))
        .unwrap_or_default();
    let json = serde_json::to_string_pretty(summary).map_err(|e| e.to_string())?;
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
        write_atomic(&p, text.as_bytes()).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(regressions)
}

/// `reports/out/<run id>` under `root`.
pub fn run_dir(root: &Path, run_id: &str) -> PathBuf {
    root.join("reports").join("out").join(run_id)
}
