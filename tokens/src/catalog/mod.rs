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
use authorizer::RejectReason;
use serde::Serialize;
use serde_json::{json, Value};

mod expired;
mod forged;
mod malformed;
mod per_alg;
mod recipe;
mod valid;

use recipe::{Mint, Recipe, Row};

/// The genuine token itself.
const GENUINE: Recipe = Recipe::Text(|g| g.token.clone());

/// The case families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Must be allowed.
    Valid,
    /// Genuine but outside its time window.
    Expired,
    /// Not signed by the genuine key for us: forged signatures, algorithm
    /// and key confusion, headers that pick keys, other issuers/audiences.
    Forged,
    /// Malformed encoding, JSON, claims or transport.
    Malformed,
}

impl Family {
    /// The label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::Valid => "valid",
            Family::Expired => "expired",
            Family::Forged => "forged",
            Family::Malformed => "malformed",
        }
    }
}

/// What the authorizer must decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Allow.
    Allow,
    /// Deny with this reason.
    Deny(RejectReason),
}

/// One catalog entry.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id.
    pub id: String,
    /// Family.
    pub family: Family,
    /// What the case does.
    pub description: String,
    /// RFC section, CVE or advisory.
    pub reference: String,
    /// The `Authorization` header value; `None` sends no header.
    pub authorization: Option<String>,
    /// The expected decision.
    pub expected: Expected,
    /// Minted again just before it is sent ([`refresh`]): time-boundary
    /// cases a slow target would otherwise see go stale.
    pub fresh: bool,
    /// A fresh case's row, for [`refresh`].
    row: Option<Row>,
}

impl Case {
    /// Whether the header value can travel over HTTP/1.1 unchanged (visible
    /// ASCII, spaces and tabs, no surrounding whitespace servers would trim).
    pub fn http_safe(&self) -> bool {
        self.authorization.as_deref().is_none_or(|v| {
            v.len() <= 10_000
                && v.bytes()
                    .all(|b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b))
                && v.trim() == v
        })
    }

    /// The JSON line `harness cases` prints.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "family": self.family.as_str(),
            "description": self.description,
            "reference": self.reference,
            "authorization": self.authorization,
            "expected": if self.expected == Expected::Allow { "allow" } else { "deny" },
            "expected_reason": match self.expected { Expected::Deny(r) => Some(r.as_str()), Expected::Allow => None },
            "project_choice": crate::choices::project_choice(&self.id),
        })
    }
}

/// The authorizer configuration the catalog assumes.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `JWT_ISSUER`.
    pub issuer: String,
    /// One of `JWT_AUDIENCE`.
    pub audience: String,
    /// A kid bound to the genuine key (`JWT_PUBLIC_KEY_KIDS`, KMS key id…).
    pub kid: String,
    /// `JWT_MAX_TOKEN_BYTES` (default 8192).
    pub max_token_bytes: usize,
    /// Seconds since the epoch.
    pub now: i64,
}

impl Profile {
    /// The local-target profile: issuer `https://issuer.harness.test`,
    /// audience `harness-api`, kid `harness-key`.
    pub fn local(now: i64) -> Self {
        Self {
            issuer: "https://issuer.harness.test".into(),
            audience: "harness-api".into(),
            kid: "harness-key".into(),
            max_token_bytes: 8192,
            now,
        }
    }

    /// The authorizer environment matching this profile for a PEM key.
    pub fn authorizer_env(&self, public_pem: &str) -> Vec<(String, String)> {
        vec![
            ("JWT_PUBLIC_KEY_PEM".into(), public_pem.into()),
            ("JWT_PUBLIC_KEY_KIDS".into(), self.kid.clone()),
            ("JWT_ISSUER".into(), self.issuer.clone()),
            ("JWT_AUDIENCE".into(), self.audience.clone()),
            ("JWT_LEEWAY_SECONDS".into(), "0".into()),
            (
                "JWT_MAX_TOKEN_BYTES".into(),
                self.max_token_bytes.to_string(),
            ),
        ]
    }
}

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
    mint.cases(rows(signer.algorithm(), mint.genuine().sig.len()))
        .await
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
    use super::*;
    use authorizer::RejectReason::*;
    use std::collections::BTreeSet;

    /// The rows of every algorithm's catalog (RSA as 2048-bit keys).
    fn rows_for(alg: authorizer::Algorithm) -> Vec<Row> {
        rows(alg, alg.curve().map_or(256, |c| 2 * c.scalar_len()))
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
