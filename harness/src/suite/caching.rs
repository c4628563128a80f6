//! The caching stage: one shared token, the authorizer's invocations
//! counted in the function's log group. Skipped without the log group; a
//! control plane that stops answering during the stage makes it a SKIP
//! naming the call, and the stages before and after it stand.

use super::measured::{Measured, NEEDS_DEPLOYMENT};
use super::minted::Tokens;
use super::timings::Timings;
use crate::run::Run;

/// Measures the authorizer cache, or records why not.
///
/// # Errors
/// A data-plane failure or a stop.
pub(super) async fn stage(
    run: &Run,
    tokens: &Tokens,
    timings: &Timings,
    m: &mut Measured,
) -> crate::Result<()> {
    let t = &run.target;
    let Some(group) = t.log_group() else {
        m.skip("caching", NEEDS_DEPLOYMENT);
        return Ok(());
    };
    run.stages.stage(&format!(
        "caching (one shared token; authorizer invocations counted in {group})"
    ))?;
    let measured = scenarios::until_stopped(scenarios::caching(
        &t.url,
        &tokens.shared,
        group,
        t.deployed.ttl_seconds,
        timings.cache,
    ))
    .await;
    m.record(
        "caching",
        scenarios::control_plane::control_plane_lost(measured)?,
    );
    Ok(())
}
