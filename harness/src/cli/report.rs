//! The step from a run to its report and exit code, shared by `harness
//! suite`, `harness load` and `harness report`: the baseline flags, the
//! report written, the verdicts printed, regressions judged.

use crate::{non_negative, CliError, Outcome};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub(crate) struct BaselineArgs {
    /// Compare with an earlier summary.json.
    #[arg(long)]
    pub(crate) baseline: Option<PathBuf>,
    /// Relative change that counts as a regression (0.2 = 20 %).
    #[arg(long, default_value_t = 0.2, allow_negative_numbers = true, value_parser = non_negative)]
    pub(crate) threshold: f64,
    /// Exit 1 on a regression against the baseline.
    #[arg(long)]
    pub(crate) fail_on_regression: bool,
}

impl BaselineArgs {
    pub(crate) fn load(&self) -> Result<Option<reports::model::Summary>, CliError> {
        self.baseline.as_ref().map(|p| read_summary(p)).transpose()
    }

    /// Prints each regression; an error when asked to fail on them.
    pub(crate) fn judge(
        &self,
        regressions: &[reports::baseline::Regression],
    ) -> Result<(), CliError> {
        for r in regressions {
            println!(
                "regression: {} {} {:.3} -> {:.3} ({:+.1}%)",
                r.scenario,
                r.figure,
                r.before,
                r.after,
                r.change * 100.0
            );
        }
        match &self.baseline {
            Some(b) if self.fail_on_regression && !regressions.is_empty() => {
                Err(CliError::failed(format!(
                    "{} regression(s) against {}",
                    regressions.len(),
                    b.display()
                )))
            }
            _ => Ok(()),
        }
    }
}

pub(crate) fn read_summary(p: &std::path::Path) -> Result<reports::model::Summary, CliError> {
    let text =
        std::fs::read_to_string(p).map_err(|e| CliError::usage(format!("{}: {e}", p.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::usage(format!("{}: not a summary.json ({e})", p.display())))
}

/// Writes the report, prints the verdicts and decides the exit code.
pub(crate) fn finish(
    r: &harness::run::RunResult,
    compare: &BaselineArgs,
    baseline: Option<&reports::model::Summary>,
    strict: bool,
) -> Outcome {
    let regressions = reports::write_report(&r.dir, &r.summary, baseline, compare.threshold)?;
    print!("{}", reports::render::verdict_table(&r.summary));
    let judged = compare.judge(&regressions);
    println!("report: {}", r.dir.join("report.html").display());
    let failures = r.summary.failures(strict);
    if !failures.is_empty() {
        let failed: Vec<String> = failures
            .iter()
            .map(|v| format!("{} ({})", v.check, v.status().label()))
            .collect();
        let strict = if strict {
            " (--strict: a SKIP fails)"
        } else {
            ""
        };
        return Err(CliError::failed(format!(
            "failed: {}{strict}",
            failed.join(", ")
        )));
    }
    judged?;
    Ok(ExitCode::SUCCESS)
}
