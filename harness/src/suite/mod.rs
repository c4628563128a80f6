//! `harness suite`: the main job, one measurement path for every target.
//! A deployment is measured through AWS's own interfaces: the stage limits
//! and the authorizer TTL read from API Gateway (`GetStage`,
//! `GetAuthorizer`), cold starts forced with `UpdateFunctionConfiguration`
//! and their Init Duration read from the function's CloudWatch Logs group,
//! caching counted from the authorizer's decision lines in that group, the
//! security catalog and the throttling and mixed scenarios sent to its URL.
//! With no target, the local run is such a deployment ([`crate::run`]).
//! With `--target URL` alone, what needs the deployment's description is
//! SKIP with the reason. Returns the summary with the verdicts; the caller
//! writes `summary.json`, `report.md` and `report.html`.
//!
//! [`run`] tells the whole story in order; each stage is a file of its own
//! that decides when its scenario runs, what it prints and why it is
//! skipped (the measuring itself is in `scenarios`): `security`,
//! `cold_start`, `caching`, `throttling`, `mixed`; `verdicts` turns what
//! they found into the run's verdicts. Below them: `timings` (how long and
//! how hard), `minted` (the tokens, minted before anything is measured) and `measured`
//! (what the stages found).

mod caching;
mod cold_start;
mod measured;
mod minted;
mod mixed;
mod security;
mod throttling;
mod timings;
mod verdicts;

use crate::run::{with_run, Job, Run, RunOptions, RunResult};
use measured::Measured;
use minted::Tokens;
use timings::Timings;

/// The suite's local stack: the module's defaults (100 req/s, burst 50).
const JOB: Job = Job {
    name: "suite",
    stack: "jwt-authorizer-local",
    stage: (100.0, 50),
};

/// Runs the suite (`quick`: the CI lengths, ≤ 60 s of measuring).
///
/// # Errors
/// A one-line cause; everything started is stopped first.
pub async fn run(opts: &RunOptions, quick: bool) -> crate::Result<RunResult> {
    let (run, found) = with_run(opts, JOB, async |run: &Run| {
        let timings = Timings::of(quick).fitted(run.target.throttle);
        let tokens = Tokens::mint(run, &timings).await?;
        let security = security::stage(run, &tokens, &timings).await?;
        let mut m = Measured::default();
        cold_start::stage(run, &tokens, &timings, &mut m).await?;
        caching::stage(run, &tokens, &timings, &mut m).await?;
        throttling::stage(run, &tokens, &timings, opts.progress, &mut m).await?;
        mixed::stage(run, &tokens, &timings, opts.progress, &mut m).await?;
        run.stages.stage("writing the report")?;
        Ok(verdicts::findings(security, m, &opts.root))
    })
    .await?;
    Ok(run.result(opts, found))
}
