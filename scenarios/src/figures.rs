//! A scenario's figures: a value with its unit and direction, a quantile.

use reports::model::{Better, Figure};

/// Median of `v` (0 for empty).
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let idx = ((s.len() - 1) as f64 * p).round() as usize;
    s[idx.min(s.len() - 1)]
}

/// A figure of `value` in `unit`.
pub fn fig(value: f64, unit: &str, better: Better) -> Figure {
    Figure {
        value,
        unit: unit.into(),
        better,
    }
}
