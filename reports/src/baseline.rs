//! Comparing a run with an earlier one: a figure regresses when it moves
//! the wrong way by more than the threshold (relative), or when a scenario
//! that passed now fails.

use crate::model::{Better, Summary};

/// One regression.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// Scenario (or `security`).
    pub scenario: String,
    /// Figure name.
    pub figure: String,
    /// Baseline value.
    pub before: f64,
    /// Current value.
    pub after: f64,
    /// Relative change (after / before − 1).
    pub change: f64,
}

/// Regressions of `now` against `base` beyond `threshold` (0.2 = 20 %).
pub fn compare(now: &Summary, base: &Summary, threshold: f64) -> Vec<Regression> {
    let mut out = Vec::new();
    for (name, sc) in &now.scenarios {
        let Some(old) = base.scenarios.get(name) else {
            continue;
        };
        for (fig, f) in &sc.figures {
            let Some(o) = old.figures.get(fig) else {
                continue;
            };
            if o.value.abs() < f64::EPSILON {
                continue;
            }
            let change = f.value / o.value - 1.0;
            let worse = match f.better {
                Better::Lower => change > threshold,
                Better::Higher => change < -threshold,
                Better::InBand => false,
            };
            if worse {
                out.push(Regression {
                    scenario: name.clone(),
                    figure: fig.clone(),
                    before: o.value,
                    after: f.value,
                    change,
                });
            }
        }
        if old.pass && !sc.pass {
            let (b, a) = (
                old.deciding_value().unwrap_or(0.0),
                sc.deciding_value().unwrap_or(0.0),
            );
            out.push(Regression {
                scenario: name.clone(),
                figure: format!("{} (left its band)", sc.decides),
                before: b,
                after: a,
                change: if b == 0.0 { 0.0 } else { a / b - 1.0 },
            });
        }
    }
    if let (Some(n), Some(b)) = (&now.security, &base.security) {
        if n.totals.failed > b.totals.failed {
            out.push(Regression {
                scenario: "security".into(),
                figure: "failed cases".into(),
                before: b.totals.failed as f64,
                after: n.totals.failed as f64,
                change: 0.0,
            });
        }
    }
    out
}
