//! The console's verdict table.

use crate::model::Summary;
use std::fmt::Write as _;

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
