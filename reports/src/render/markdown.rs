//! The Markdown report (CI logs, PR comments).

use super::format::{fmt_value, title};
use crate::baseline::Regression;
use crate::load::LoadReport;
use crate::model::{Scenario, Summary};
use std::fmt::Write as _;

/// The Markdown report.
pub fn markdown(s: &Summary, regressions: &[Regression]) -> String {
    let mut m = String::new();
    let _ = writeln!(
        m,
        "# Authorizer {} — run {}\n",
        if s.load.is_some() {
            "load test"
        } else {
            "suite"
        },
        s.run.id
    );
    let _ = writeln!(
        m,
        "Started {} · {:.1} s · git {} · {} CPUs · load {:.2} → {:.2} · {}\n",
        s.run.started,
        s.run.duration_s,
        s.run.git_revision.as_deref().unwrap_or("unknown"),
        s.run.machine.cpus,
        s.run.machine.load_before[0],
        s.run.machine.load_after[0],
        s.run.machine.os
    );
    let _ = writeln!(m, "Target: {} `{}`\n", s.target.kind, s.target.endpoint);
    let _ = writeln!(
        m,
        "## Verdicts\n\n| check | result | detail |\n|---|---|---|"
    );
    for v in &s.verdicts {
        let _ = writeln!(
            m,
            "| {} | {} | {} |",
            v.check,
            match v.status() {
                crate::model::Status::Fail => "**FAIL**",
                s => s.label(),
            },
            v.detail.replace('|', "\\|")
        );
    }
    if let Some(sec) = &s.security {
        let _ = writeln!(
            m,
            "\n## Security matrix\n\n| family | passed | failed | skipped | no decision |\n|---|---|---|---|---|"
        );
        for (family, t) in &sec.by_family {
            let _ = writeln!(
                m,
                "| {family} | {} | {} | {} | {} |",
                t.passed, t.failed, t.skipped, t.errors
            );
        }
        let failures: Vec<_> = sec
            .cases
            .iter()
            .filter(|c| c.outcome() == crate::security::CaseOutcome::Failed)
            .collect();
        let skipped: Vec<_> = sec
            .cases
            .iter()
            .filter(|c| c.outcome() == crate::security::CaseOutcome::Skipped)
            .collect();
        if !skipped.is_empty() {
            let _ = writeln!(m, "\n| skipped case | why |\n|---|---|");
            for c in skipped {
                let _ = writeln!(m, "| {} | {} |", c.id, c.note.as_deref().unwrap_or("—"));
            }
        }
        if !failures.is_empty() {
            let _ = writeln!(m, "\n| failing case | expected | actual |\n|---|---|---|");
            for c in failures {
                let _ = writeln!(
                    m,
                    "| {} | {} {} | {} {} |",
                    c.id,
                    c.expected,
                    c.expected_reason.as_deref().unwrap_or(""),
                    c.actual,
                    c.actual_reason.as_deref().unwrap_or("")
                );
            }
        }
    }
    for (name, sc) in &s.scenarios {
        let _ = writeln!(m, "\n## {}\n", title(name));
        if name == "load" {
            if let Some(l) = &s.load {
                load_md(&mut m, l);
            }
        }
        scenario_md(&mut m, sc);
    }
    if !s.bench.is_empty() {
        let _ = writeln!(
            m,
            "\n## Verify benchmark (criterion medians)\n\n| id | median |\n|---|---|"
        );
        for (id, us) in &s.bench {
            let _ = writeln!(m, "| {id} | {} |", fmt_value(*us, "µs"));
        }
    }
    if !regressions.is_empty() {
        let _ = writeln!(m, "\n## Regressions against the baseline\n\n| scenario | figure | baseline | now | change |\n|---|---|---|---|---|");
        for r in regressions {
            let _ = writeln!(
                m,
                "| {} | {} | {:.3} | {:.3} | {:+.1}% |",
                r.scenario,
                r.figure,
                r.before,
                r.after,
                r.change * 100.0
            );
        }
    }
    m
}

pub(super) fn load_md(m: &mut String, l: &LoadReport) {
    let plan: Vec<String> = l.plan.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    let _ = writeln!(m, "Profile `{}`: {}\n", l.profile, plan.join(", "));
    let _ = writeln!(
        m,
        "| class | requests | wrong decisions | p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|---|---|---|"
    );
    for (class, c) in &l.classes {
        let p: Vec<String> = [50.0, 90.0, 99.0, 99.9, 100.0]
            .iter()
            .map(|q| format!("{:.2} ms", crate::hist::ms_at(&c.histogram, *q)))
            .collect();
        let _ = writeln!(
            m,
            "| {class} | {} | {} | {} |",
            c.requests,
            c.wrong_decisions,
            p.join(" | ")
        );
    }
    if !l.steps.is_empty() {
        let _ = writeln!(
            m,
            "\n| step rate | achieved | p99 | errors | 429 | held |\n|---|---|---|---|---|---|"
        );
        for st in &l.steps {
            let _ = writeln!(
                m,
                "| {} req/s | {:.1} req/s | {:.2} ms | {} | {} | {} |",
                st.rate,
                st.achieved_rps,
                st.p99_ms,
                st.errors,
                st.throttled,
                if st.held {
                    "held".to_owned()
                } else {
                    format!("**no**: {}", st.why)
                }
            );
        }
    }
    let shards = super::format::shard_rows(l);
    if !shards.is_empty() {
        let head = super::format::SHARD_HEADER;
        let _ = writeln!(
            m,
            "\n| {} |\n|{}",
            head.join(" | "),
            "---|".repeat(head.len())
        );
        for row in shards {
            let _ = writeln!(m, "| {} |", row.join(" | "));
        }
    }
    let _ = writeln!(m);
}

pub(super) fn scenario_md(m: &mut String, sc: &Scenario) {
    let inputs: Vec<String> = sc
        .inputs
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    let _ = writeln!(
        m,
        "Inputs: {}\n\n| figure | value |\n|---|---|",
        inputs.join(", ")
    );
    for (k, f) in &sc.figures {
        let _ = writeln!(m, "| {k} | {} |", fmt_value(f.value, &f.unit));
    }
    let decides: Vec<String> = sc
        .criteria()
        .iter()
        .map(|(name, value, band)| {
            format!(
                "`{name}` = {} in [{}, {}]",
                value.map_or("missing".into(), |v| format!("{v:.3}")),
                band.min,
                band.max
            )
        })
        .collect();
    let _ = writeln!(
        m,
        "\nDecides: {} → {}",
        decides.join(" and "),
        if sc.pass { "PASS" } else { "**FAIL**" }
    );
}
