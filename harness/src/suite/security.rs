//! The security stage: the catalog through the gateway, paced below the
//! stage's rate when it is known.

use super::minted::Tokens;
use super::timings::Timings;
use crate::check::{self, Fresh};
use crate::run::Run;
use reports::security::SecurityReport;

/// Runs every case of the catalog against the target's URL.
///
/// # Errors
/// The check could not run, or a stop.
pub(super) async fn stage(
    run: &Run,
    tokens: &Tokens,
    timings: &Timings,
) -> crate::Result<SecurityReport> {
    run.stages
        .stage("security check (catalog through the gateway)")?;
    let fresh = Fresh {
        signer: &run.signer,
        profile: &run.profile,
    };
    scenarios::until_stopped(check::run(
        &check::Target::Url(run.target.url.clone()),
        &tokens.cases,
        &[],
        &fresh,
        check::CheckOptions {
            pace: timings.check_pace,
            ..check::CheckOptions::default()
        },
    ))
    .await
}
