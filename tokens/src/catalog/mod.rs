//! The case catalog: valid, expired, forged and malformed tokens, each with
//! the decision and `RejectReason` the authorizer's public policy demands.
//! Expectations are written here by hand from the policy (README "The
//! policy"), never computed with the authorizer's code. Tokens are minted at
//! run time with times relative to `now`, so the catalog never goes stale.

//!
//! The catalog is data: one table per family (`valid.rs`, `expired.rs`,
//! `forged.rs`, `malformed.rs`, and `per_alg.rs` for keys other than
//! ES512), each row an id, family, expected decision, reference,
//! description and a [`recipe::Recipe`] saying how its token is made;
//! `recipe.rs` is the one interpreter, and the only code here that signs.

use crate::signer::Signer;

mod case;
mod expired;
mod forged;
mod language;
mod malformed;
mod per_alg;
mod recipe;
mod valid;
mod vocab;

pub use case::Case;
pub use vocab::{Expected, Family, Profile};

use language::Row;
use recipe::Mint;

/// The rows for `alg`'s catalog: the full tables for ES512, the
/// per-algorithm table for any other (`sig_len`: the key's signature length).
fn rows(alg: authorizer::Algorithm, sig_len: usize) -> Vec<Row> {
    if alg == authorizer::Algorithm::Es512 {
        let mut rows = valid::ROWS.to_vec();
        rows.extend_from_slice(expired::ROWS);
        rows.extend(forged::rows());
        rows.extend_from_slice(malformed::ROWS);
        rows
    } else {
        per_alg::rows(alg, sig_len)
    }
}

/// Builds the catalog for `signer`'s key: the full catalog for an ES512 key,
/// the per-algorithm catalog (`per_alg`) for any other.
///
/// # Errors
/// Signing failures (KMS).
pub async fn build(signer: &Signer, profile: &Profile) -> crate::Result<Vec<Case>> {
    let mint = Mint::new(signer, profile).await?;
    let rows = rows(signer.algorithm(), mint.genuine().sig.len());
    mint.cases(rows).await
}

/// The authorization value for a [`Case::fresh`] case minted again at
/// `now` (its row's recipe, through the same interpreter); `None` for the
/// others.
///
/// # Errors
/// Signing failures.
pub async fn refresh(
    case: &Case,
    signer: &Signer,
    profile: &Profile,
    now: i64,
) -> crate::Result<Option<String>> {
    let p = Profile {
        now,
        ..profile.clone()
    };
    recipe::remint(case, signer, &p).await
}

#[cfg(test)]
mod tests {
    use super::language::Recipe;
    use super::*;
    use authorizer::RejectReason;
    use authorizer::RejectReason::*;
    use std::collections::BTreeSet;

    /// The rows of every algorithm's catalog (RSA as 2048-bit keys).
    fn rows_for(alg: authorizer::Algorithm) -> Vec<Row> {
        let len = match (alg.curve(), alg.raw_key_sizes()) {
            (Some(c), _) => 2 * c.scalar_len(),
            (None, Some((_, sig))) => sig,
            _ => 256,
        };
        rows(alg, len)
    }

    fn all_rows() -> Vec<Row> {
        authorizer::Algorithm::ALL
            .into_iter()
            .flat_map(rows_for)
            .collect()
    }

    #[test]
    fn ids_are_unique_per_catalog() {
        for alg in authorizer::Algorithm::ALL {
            let rows = rows_for(alg);
            let ids: BTreeSet<&str> = rows.iter().map(|r| r.id.as_ref()).collect();
            assert_eq!(ids.len(), rows.len(), "{alg}: duplicate ids");
        }
    }

    #[test]
    fn fresh_rows_are_signed_recipes() {
        for row in all_rows().iter().filter(|r| r.fresh) {
            assert!(
                matches!(row.recipe, Recipe::Signed(..)),
                "{}: only signed recipes can be minted again",
                row.id
            );
        }
        assert!(all_rows().iter().any(|r| r.fresh), "a fresh row exists");
    }

    #[test]
    fn every_reason_a_token_can_cause_has_a_row() {
        let expected: BTreeSet<&str> = all_rows()
            .iter()
            .filter_map(|r| match r.expected {
                Expected::Deny(reason) => Some(reason.as_str()),
                Expected::Allow => None,
            })
            .collect();
        // Not caused by a token: keys that cannot load, an unreadable
        // event, and a lifetime bound the catalog's profile does not set.
        let not_from_tokens = [KeyUnavailable, BadEvent, LifetimeTooLong];
        for reason in RejectReason::ALL {
            if not_from_tokens.contains(&reason) {
                continue;
            }
            assert!(
                expected.contains(reason.as_str()),
                "no catalog row expects {}",
                reason.as_str()
            );
        }
    }
}
