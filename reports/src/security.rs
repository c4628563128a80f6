//! The security matrix: every catalog case run against a target.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One case's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Stable case id.
    pub id: String,
    /// `valid`, `expired`, `forged` or `malformed`.
    pub family: String,
    /// What the case does.
    pub description: String,
    /// RFC section, CVE or advisory.
    pub reference: String,
    /// `allow` or `deny`.
    pub expected: String,
    /// `allow`, `deny`, `error` or `skipped`.
    pub actual: String,
    /// The expected `RejectReason` label, for denies.
    pub expected_reason: Option<String>,
    /// The reason the target gave, when it exposes one.
    pub actual_reason: Option<String>,
    /// Decision (and reason, where exposed) matched.
    pub pass: bool,
    /// Extra detail (HTTP status, error text, why skipped).
    pub note: Option<String>,
}

/// A case's outcome, read from its fields (the JSON keeps `actual` and
/// `pass` as they are).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseOutcome {
    /// Decision (and reason, where exposed) matched.
    Passed,
    /// It did not.
    Failed,
    /// Not sent to this target (`actual` is `skipped`; `note` says why).
    Skipped,
    /// Sent, but no decision came back (`actual` is `error`: a 5xx or a
    /// transport error on every attempt; `note` says which) — an error,
    /// never a mismatch.
    NoDecision,
}

impl CaseResult {
    /// The `actual` of a case that was not sent.
    pub const SKIPPED: &'static str = "skipped";
    /// The `actual` of a case that got no decision.
    pub const NO_DECISION: &'static str = "error";

    /// Passed, failed, skipped or without a decision.
    pub fn outcome(&self) -> CaseOutcome {
        if self.actual == Self::SKIPPED {
            CaseOutcome::Skipped
        } else if self.actual == Self::NO_DECISION {
            CaseOutcome::NoDecision
        } else if self.pass {
            CaseOutcome::Passed
        } else {
            CaseOutcome::Failed
        }
    }
}

/// Pass / fail / skip counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Cases that matched.
    pub passed: usize,
    /// Cases that did not.
    pub failed: usize,
    /// Cases that could not be sent to this target.
    pub skipped: usize,
    /// Cases sent that got no decision (5xx, transport errors).
    #[serde(default)]
    pub errors: usize,
}

impl Totals {
    /// `P passed, F failed, S skipped`, and `, E without a decision` when
    /// there are any.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        );
        if self.errors > 0 {
            s.push_str(&format!(", {} without a decision", self.errors));
        }
        s
    }

    /// Whether a check with these totals holds: nothing failed and every
    /// case sent got a decision.
    pub fn holds(&self) -> bool {
        self.failed == 0 && self.errors == 0
    }
}

/// The whole check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityReport {
    /// `lib`, `lambda:PATH` or the URL.
    pub target: String,
    /// Whether reasons were compared (the target exposes them).
    pub reasons_compared: bool,
    /// What was compared, in words: "decisions and reasons compared",
    /// "decisions compared; the target reports no reasons", …
    #[serde(default)]
    pub comparison: String,
    /// The catalog profile: `full`, or `rfc` (project choices skipped).
    #[serde(default = "full_profile")]
    pub profile: String,
    /// One row per case.
    pub cases: Vec<CaseResult>,
    /// Totals over all cases.
    pub totals: Totals,
    /// Totals by family.
    pub by_family: BTreeMap<String, Totals>,
}

fn full_profile() -> String {
    "full".into()
}

impl SecurityReport {
    /// Sets the comparison's description (shown in the console, JSON, JUnit).
    #[must_use]
    pub fn with_comparison(mut self, comparison: impl Into<String>) -> Self {
        self.comparison = comparison.into();
        self
    }

    /// Sets the catalog profile's name.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = profile.into();
        self
    }

    /// Builds the report and its totals from rows.
    pub fn new(target: String, reasons_compared: bool, cases: Vec<CaseResult>) -> Self {
        let mut totals = Totals::default();
        let mut by_family: BTreeMap<String, Totals> = BTreeMap::new();
        for c in &cases {
            let fam = by_family.entry(c.family.clone()).or_default();
            for t in [&mut totals, fam] {
                match c.outcome() {
                    CaseOutcome::Skipped => t.skipped += 1,
                    CaseOutcome::Passed => t.passed += 1,
                    CaseOutcome::Failed => t.failed += 1,
                    CaseOutcome::NoDecision => t.errors += 1,
                }
            }
        }
        let comparison = if reasons_compared {
            "decisions and reasons compared"
        } else {
            "decisions compared"
        };
        Self {
            target,
            reasons_compared,
            comparison: comparison.into(),
            profile: full_profile(),
            cases,
            totals,
            by_family,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn row(id: &str, family: &str, pass: bool, actual: &str) -> CaseResult {
        CaseResult {
            id: id.into(),
            family: family.into(),
            description: "d <&>".into(),
            reference: "RFC".into(),
            expected: "deny".into(),
            actual: actual.into(),
            expected_reason: Some("expired".into()),
            actual_reason: None,
            pass,
            note: None,
        }
    }

    #[test]
    fn totals_count_each_outcome_once() {
        let r = SecurityReport::new(
            "lib".into(),
            true,
            vec![
                row("a", "expired", true, "deny"),
                row("b\u{1}", "expired", false, "allow"),
                row("c", "valid", false, "skipped"),
                row("d", "forged", false, "error"),
            ],
        );
        assert_eq!(
            r.totals,
            Totals {
                passed: 1,
                failed: 1,
                skipped: 1,
                errors: 1
            }
        );
        assert!(!r.totals.holds());
        assert_eq!(
            r.totals.summary(),
            "1 passed, 1 failed, 1 skipped, 1 without a decision"
        );
        assert_eq!(r.by_family["expired"].failed, 1);
    }
}
