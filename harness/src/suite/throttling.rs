//! The throttling stage: a rate sweep past the stage's limit and a burst.
//! Skipped without the stage's limits (read with `GetStage`, or given with
//! `--rate` and `--burst`).

use super::measured::Measured;
use super::minted::Tokens;
use super::timings::Timings;
use crate::progress::with_bar;
use crate::run::Run;

/// Measures the stage's throttling, or records why not.
///
/// # Errors
/// The attack could not run, or a stop.
pub(super) async fn stage(
    run: &Run,
    tokens: &Tokens,
    timings: &Timings,
    show: bool,
    m: &mut Measured,
) -> crate::Result<()> {
    let Some((rate, burst)) = run.target.throttle else {
        m.skip(
            "throttling",
            "needs the stage's limits: pass --deployment (read with GetStage) or --rate and --burst",
        );
        return Ok(());
    };
    run.stages.stage("throttling (rate sweep and burst)")?;
    let planned: f64 = timings
        .multipliers
        .iter()
        .map(|x| rate * x * timings.thr_secs as f64)
        .sum();
    let result = with_bar(show, &run.target.url, planned, "throttling", async |ep| {
        scenarios::until_stopped(scenarios::throttling(
            ep,
            &tokens.shared,
            rate,
            burst,
            timings.multipliers,
            timings.thr_secs,
        ))
        .await
    })
    .await;
    m.record("throttling", Ok(result?));
    Ok(())
}
