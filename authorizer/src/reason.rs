//! Why a request was denied: one fieldless enum shared by the authorizer,
//! the harness and the reports, with stable `snake_case` labels.

use std::fmt;

/// The reason a request was denied.
///
/// Deliberately not `#[non_exhaustive]`: adding a reason must break every
/// `match` in the workspace so that the harness and the reports are updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// No token: the header is absent or empty, or `Bearer` has no token.
    MissingToken,
    /// An authorization scheme other than `Bearer`, or a bare token when
    /// `JWT_REQUIRE_BEARER=true`.
    BadScheme,
    /// The token is longer than `JWT_MAX_TOKEN_BYTES`.
    TooLarge,
    /// Not three non-empty strict base64url segments, or a signature that is
    /// not exactly 132 bytes.
    Malformed,
    /// The header is not a strict JSON object, or a header member has the
    /// wrong type or value (`typ`, `kid`).
    BadHeader,
    /// `alg` is missing or is not exactly `ES512`.
    AlgNotAllowed,
    /// A header parameter that could select a key or change processing
    /// (`crit`, `b64`, `jwk`, `jku`, `x5u`, `x5c`, …) is present.
    ForbiddenHeader,
    /// `kid` names no configured key, or is missing while several keys are
    /// configured.
    UnknownKid,
    /// The keys could not be loaded (KMS unreachable); retried with back-off.
    KeyUnavailable,
    /// The ECDSA P-521 / SHA-512 signature does not verify.
    BadSignature,
    /// The claims are not a strict JSON object, or a time claim is missing or
    /// has the wrong type or range.
    BadClaims,
    /// `now >= exp + leeway`.
    Expired,
    /// `nbf > now + leeway`.
    NotYetValid,
    /// `iat > now + leeway`.
    IssuedInFuture,
    /// `exp - iat` (or `exp - now` without `iat`) exceeds
    /// `JWT_MAX_LIFETIME_SECONDS`.
    LifetimeTooLong,
    /// `iss` is missing, not a string, or not exactly `JWT_ISSUER`.
    WrongIssuer,
    /// `aud` is missing, of the wrong type, or lists no accepted audience.
    WrongAudience,
    /// The Lambda event could not be read as any supported API Gateway event.
    BadEvent,
}

impl RejectReason {
    /// Every reason, in declaration order.
    pub const ALL: [RejectReason; 18] = [
        Self::MissingToken,
        Self::BadScheme,
        Self::TooLarge,
        Self::Malformed,
        Self::BadHeader,
        Self::AlgNotAllowed,
        Self::ForbiddenHeader,
        Self::UnknownKid,
        Self::KeyUnavailable,
        Self::BadSignature,
        Self::BadClaims,
        Self::Expired,
        Self::NotYetValid,
        Self::IssuedInFuture,
        Self::LifetimeTooLong,
        Self::WrongIssuer,
        Self::WrongAudience,
        Self::BadEvent,
    ];

    /// The stable `snake_case` label used in logs, responses and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::BadScheme => "bad_scheme",
            Self::TooLarge => "too_large",
            Self::Malformed => "malformed",
            Self::BadHeader => "bad_header",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::ForbiddenHeader => "forbidden_header",
            Self::UnknownKid => "unknown_kid",
            Self::KeyUnavailable => "key_unavailable",
            Self::BadSignature => "bad_signature",
            Self::BadClaims => "bad_claims",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::BadEvent => "bad_event",
        }
    }

    /// Parses a label produced by [`RejectReason::as_str`].
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == label)
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for r in RejectReason::ALL {
            assert!(seen.insert(r.as_str()), "duplicate label {r}");
            assert_eq!(RejectReason::from_label(r.as_str()), Some(r));
            assert!(r
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert_eq!(RejectReason::from_label("nope"), None);
    }
}
