//! JUnit XML, the one writer: the security matrix (one `testsuite` per
//! family, one `testcase` per case) and the run's verdicts (one `testcase`
//! per check). A FAIL is a `<failure>`, a SKIP a `<skipped>` with its
//! reason, a case without a decision an `<error>` — never a pass.

use crate::model::{Status, Summary};
use crate::render::esc;
use crate::security::{CaseOutcome, SecurityReport};
use std::fmt::Write as _;

/// The security matrix as JUnit XML.
pub fn security(r: &SecurityReport) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
            "<testsuites name=\"harness check {} ({}; profile {})\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
            esc(&r.target),
            esc(&r.comparison),
            esc(&r.profile),
            r.cases.len(),
            r.totals.failed,
            r.totals.errors,
            r.totals.skipped
        ));
    for (family, t) in &r.by_family {
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
            esc(family),
            t.passed + t.failed + t.skipped + t.errors,
            t.failed,
            t.errors,
            t.skipped
        ));
        x.push_str(&format!(
                "    <properties><property name=\"comparison\" value=\"{}\"/><property name=\"profile\" value=\"{}\"/></properties>\n",
                esc(&r.comparison),
                esc(&r.profile)
            ));
        for c in r.cases.iter().filter(|c| &c.family == family) {
            x.push_str(&format!(
                "    <testcase classname=\"security.{}\" name=\"{}\">",
                esc(family),
                esc(&c.id)
            ));
            if c.outcome() == CaseOutcome::Skipped {
                x.push_str(&format!(
                    "<skipped message=\"{}\"/>",
                    esc(c.note.as_deref().unwrap_or(""))
                ));
            } else if c.outcome() == CaseOutcome::NoDecision {
                x.push_str(&format!(
                    "<error message=\"no decision: {}\"/>",
                    esc(c.note.as_deref().unwrap_or(""))
                ));
            } else if !c.pass {
                x.push_str(&format!(
                    "<failure message=\"expected {}{} got {}{}\">{}</failure>",
                    esc(&c.expected),
                    reason(c.expected_reason.as_deref()),
                    esc(&c.actual),
                    reason(c.actual_reason.as_deref()),
                    esc(&format!(
                        "{} ({}) {}",
                        c.description,
                        c.reference,
                        c.note.as_deref().unwrap_or("")
                    ))
                ));
            }
            x.push_str("</testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

fn reason(r: Option<&str>) -> String {
    r.map(|r| format!(" ({})", esc(r))).unwrap_or_default()
}

/// The verdicts as JUnit XML: one `testcase` per check.
pub fn verdicts(s: &Summary) -> String {
    let count = |st: Status| s.verdicts.iter().filter(|v| v.status() == st).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuite name=\"harness suite {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        esc(&s.run.id),
        s.verdicts.len(),
        count(Status::Fail),
        count(Status::Skip)
    );
    for v in &s.verdicts {
        let _ = write!(
            x,
            "  <testcase classname=\"suite\" name=\"{}\">",
            esc(&v.check)
        );
        match v.status() {
            Status::Pass => {}
            Status::Fail => {
                let _ = write!(x, "<failure message=\"{}\"/>", esc(&v.detail));
            }
            Status::Skip => {
                let _ = write!(x, "<skipped message=\"{}\"/>", esc(&v.detail));
            }
        }
        x.push_str("</testcase>\n");
    }
    x.push_str("</testsuite>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::tests::row;

    #[test]
    fn the_security_matrix_names_each_failure_skip_and_missing_decision() {
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
        let x = security(&r);
        assert!(x.contains("<failure message=\"expected deny (expired) got allow\">"));
        assert!(x.contains("<skipped"));
        assert!(x.contains("<error message=\"no decision: "), "{x}");
        assert!(x.contains("errors=\"1\""));
        assert!(x.contains("d &lt;&amp;&gt;"));
        assert!(!x.contains('\u{1}'));
    }
}
