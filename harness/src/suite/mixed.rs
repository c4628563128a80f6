//! The mixed-traffic stage: the catalog's HTTP-safe cases in a 6:1:2:1 mix
//! (valid, expired, forged, malformed), below the stage's rate.

use super::measured::Measured;
use super::minted::Tokens;
use super::timings::Timings;
use crate::progress::with_bar;
use crate::run::Run;
use scenarios::MixedCase;
use tokens::catalog::Expected;

/// Sends the mix and counts wrong decisions.
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
    run.stages.stage("mixed traffic")?;
    let cases: Vec<MixedCase> = tokens
        .cases
        .iter()
        .filter(|c| c.http_safe() && !c.fresh)
        .map(|c| MixedCase {
            family: c.family.as_str().into(),
            authorization: c.authorization.clone(),
            allow: c.expected == Expected::Allow,
        })
        .collect();
    let weights = [
        ("valid", 6),
        ("expired", 1),
        ("forged", 2),
        ("malformed", 1),
    ];
    let rate = timings.mixed_rate;
    let planned = rate * timings.mixed_secs as f64;
    let secs = timings.mixed_secs;
    let result = with_bar(show, &run.target.url, planned, "mixed", async |ep| {
        scenarios::until_stopped(scenarios::mixed(ep, &cases, &weights, rate, secs)).await
    })
    .await;
    m.record("mixed", Ok(result?));
    Ok(())
}
