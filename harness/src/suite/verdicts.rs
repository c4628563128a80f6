//! The suite's verdicts: security, then each scenario (a SKIP says why),
//! with the verify benchmark's medians when a bench run left them.

use super::measured::Measured;
use crate::run::Findings;
use reports::model::{Status, Verdict};
use reports::security::SecurityReport;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the run found, with its verdicts.
pub(super) fn findings(security: SecurityReport, m: Measured, root: &Path) -> Findings {
    let security_status = if !security.totals.holds() {
        Status::Fail
    } else if security.totals.passed == 0 {
        Status::Skip
    } else {
        Status::Pass
    };
    let mut verdicts = vec![Verdict::new(
        "security",
        security_status,
        format!("{} of {}", security.totals.summary(), security.cases.len()),
    )];
    for name in ["cold_start", "caching", "throttling", "mixed"] {
        verdicts.push(match m.scenarios.get(name) {
            Some(s) => Verdict::new(
                name,
                if s.pass { Status::Pass } else { Status::Fail },
                s.decided_by(),
            ),
            None => Verdict::new(
                name,
                Status::Skip,
                format!(
                    "skipped: {}",
                    m.skipped.get(name).map_or("", String::as_str)
                ),
            ),
        });
    }
    Findings {
        verdicts,
        security: Some(security),
        scenarios: m.scenarios,
        bench: read_bench(root),
        load: None,
    }
}

/// Criterion medians (µs) for the verify benchmark ids, when present.
fn read_bench(root: &Path) -> BTreeMap<String, f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("criterion");
    let mut out = BTreeMap::new();
    for id in ["allow_uncached", "forged", "malformed", "cache_hit"] {
        let p = dir.join(id).join("new/estimates.json");
        if let Some(v) = std::fs::read_to_string(p)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        {
            if let Some(ns) = v["median"]["point_estimate"].as_f64() {
                out.insert(id.to_owned(), ns / 1000.0);
            }
        }
    }
    out
}
