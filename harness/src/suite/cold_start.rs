//! The cold-start stage: forced with a configuration change to the
//! function, Init Duration read from its log group. Skipped, saying why,
//! without the function or its logs, and for an authorizer that invokes a
//! published version: a change to `$LATEST` forces no cold start there, and
//! moving the alias that serves production is not this run's to do.

use super::measured::{Measured, NEEDS_DEPLOYMENT};
use super::minted::Tokens;
use super::timings::Timings;
use crate::run::Run;

/// Measures cold starts, or records why not.
///
/// # Errors
/// A failure that ends the run: the function could not be restored, or a
/// stop (a control-plane read that failed is a SKIP).
pub(super) async fn stage(
    run: &Run,
    tokens: &Tokens,
    timings: &Timings,
    m: &mut Measured,
) -> crate::Result<()> {
    let t = &run.target;
    let (function, group) = match (t.function(), t.log_group()) {
        (Some(f), Some(g)) => (f, g),
        (None, Some(_)) => {
            m.skip(
                "cold_start",
                "needs the function name: pass --deployment with a function_name output",
            );
            return Ok(());
        }
        (_, None) => {
            m.skip("cold_start", NEEDS_DEPLOYMENT);
            return Ok(());
        }
    };
    if let Some(q) = &t.deployed.qualifier {
        let lambda = scenarios::control_plane::client().await;
        if let Some(v) = scenarios::control_plane::published_version(&lambda, function, q).await? {
            m.skip(
                "cold_start",
                format!("the authorizer invokes {q} (published version {v}): a configuration change to $LATEST forces no cold start there, and moving {q} would change production; measure a deployment whose alias follows $LATEST (the module's publish = false)"),
            );
            return Ok(());
        }
    }
    run.stages.stage(&format!(
        "cold start (UpdateFunctionConfiguration on {function}; Init Duration from {group})"
    ))?;
    let outcome = scenarios::cold_start(
        &t.url,
        &tokens.cold,
        function,
        group,
        timings.cold_trials,
        timings.burst_k,
    )
    .await?;
    m.record("cold_start", outcome);
    Ok(())
}
