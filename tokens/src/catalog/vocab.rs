//! The catalog's vocabulary: the case families, what the authorizer must
//! decide, and the profile (issuer, audience, kid, size limit, time) the
//! cases are minted for.

use authorizer::RejectReason;
use serde::Serialize;

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
