//! The genuine tokens a suite run needs, minted before anything is measured.

use super::timings::Timings;
use crate::run::Run;
use tokens::catalog::{self, Case};

/// The catalog's cases and the pools of valid tokens.
pub(super) struct Tokens {
    pub(super) cases: Vec<Case>,
    /// Per cold-start trial: k first requests and 3 warm ones, each its own
    /// token (so each reaches the authorizer).
    pub(super) cold: Vec<String>,
    /// One token shared by caching and throttling.
    pub(super) shared: String,
}

impl Tokens {
    /// Mints the catalog and the pools with the run's key.
    ///
    /// # Errors
    /// A signing call that failed, or a stop.
    pub(super) async fn mint(run: &Run, timings: &Timings) -> crate::Result<Self> {
        run.stages.stage(&format!(
            "minting tokens {} (catalog and pools)",
            run.signer.how()
        ))?;
        let cases = catalog::build(&run.signer, &run.profile).await?;
        let cold_n = timings.cold_trials * (timings.burst_k + 3);
        let mut pool = run.mint_valid(cold_n + 1, "load").await?;
        let shared = pool
            .pop()
            .ok_or_else(|| crate::Error::unavailable("no shared token minted"))?;
        Ok(Self {
            cases,
            cold: pool,
            shared,
        })
    }
}
