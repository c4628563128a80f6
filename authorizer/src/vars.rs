//! The configuration's vocabulary, shared by `config` and `keys` without
//! either importing the other: the environment variable names in one table
//! and the one error a bad value becomes.

/// The environment variables, in one table (mirrored by `terraform/variables.tf`).
pub mod env {
    /// One or more PEM SubjectPublicKeyInfo keys (EC or RSA).
    pub const PUBLIC_KEY_PEM: &str = "JWT_PUBLIC_KEY_PEM";
    /// The algorithm of the PEM keys — one for all, or a comma-separated
    /// list with one per key in order: required for RSA keys (RS256…PS512),
    /// optional for EC keys (their curve decides; if set it must agree).
    pub const PUBLIC_KEY_ALG: &str = "JWT_PUBLIC_KEY_ALG";
    /// Kids bound to the PEM keys (comma-separated; e.g. the KMS key ARN, id
    /// and alias); with several keys, one group per key in order, groups
    /// separated by `;`. Unset: a single PEM key accepts any `kid`.
    pub const PUBLIC_KEY_KIDS: &str = "JWT_PUBLIC_KEY_KIDS";
    /// A JWKS document with EC P-521 keys, each with a `kid`.
    pub const JWKS: &str = "JWT_JWKS";
    /// Comma-separated KMS key ids, ARNs or aliases, each optionally
    /// `:ALG` (required for RSA keys: `alias/jwt-rsa:PS256`).
    pub const KMS_KEY_IDS: &str = "JWT_KMS_KEY_IDS";
    /// The Go authorizer's name for a single KMS key (drop-in compatibility).
    pub const KMS_KEY_ID_LEGACY: &str = "KMS_JWT_KEY_ID";
    /// The required `iss`, or `!unchecked`.
    pub const ISSUER: &str = "JWT_ISSUER";
    /// Accepted `aud` values, comma-separated, or `!unchecked`.
    pub const AUDIENCE: &str = "JWT_AUDIENCE";
    /// Clock-skew allowance in seconds, 0–300 (default 0).
    pub const LEEWAY_SECONDS: &str = "JWT_LEEWAY_SECONDS";
    /// Size cap on the token before decoding (default 8192).
    pub const MAX_TOKEN_BYTES: &str = "JWT_MAX_TOKEN_BYTES";
    /// Cap on `exp - iat` in seconds (default unset).
    pub const MAX_LIFETIME_SECONDS: &str = "JWT_MAX_LIFETIME_SECONDS";
    /// `true` refuses bare tokens without `Bearer` (default false).
    pub const REQUIRE_BEARER: &str = "JWT_REQUIRE_BEARER";
    /// `simple` or `policy` for payload 2.0 (default simple).
    pub const RESPONSE_FORMAT: &str = "JWT_RESPONSE_FORMAT";
    /// Extra claims copied into the context, comma-separated.
    pub const CONTEXT_CLAIMS: &str = "JWT_CONTEXT_CLAIMS";
    /// Decision cache size (default 10000; 0 = off).
    pub const CACHE_MAX_ENTRIES: &str = "JWT_CACHE_MAX_ENTRIES";
    /// Decision cache memory bound in bytes (default 16 MiB; 0 = off).
    pub const CACHE_MAX_BYTES: &str = "JWT_CACHE_MAX_BYTES";
    /// Re-fetch KMS keys this often, seconds (default 900; 0 = never).
    pub const KMS_REFRESH_SECONDS: &str = "JWT_KMS_REFRESH_SECONDS";
    /// Longest a KMS key is kept when refreshes cannot reach KMS, seconds
    /// since it was last fetched (default 21600: 6 h).
    pub const KEY_MAX_STALE_SECONDS: &str = "JWT_KEY_MAX_STALE_SECONDS";
    /// The signature verifier: `aws-lc-rs` or `p521` (default: the build's).
    pub const VERIFY_BACKEND: &str = "JWT_VERIFY_BACKEND";
    /// Metrics: `emf` (CloudWatch Embedded Metric Format lines on stdout,
    /// the default) or `off`.
    pub const METRICS: &str = "JWT_METRICS";
    /// The CloudWatch namespace of the metrics (default `JwtAuthorizer`).
    pub const METRICS_NAMESPACE: &str = "JWT_METRICS_NAMESPACE";
}

/// A fatal configuration error; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{0} is required{1}")]
    Missing(&'static str, &'static str),
    /// A variable has a value that cannot be used.
    #[error("{var} is invalid: {why}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Why, without echoing secrets.
        why: String,
    },
    /// No key source is configured.
    #[error("no key source: set JWT_PUBLIC_KEY_PEM, JWT_JWKS or JWT_KMS_KEY_IDS")]
    NoKeySource,
}

impl ConfigError {
    pub(crate) fn invalid(var: &'static str, why: impl Into<String>) -> Self {
        Self::Invalid {
            var,
            why: why.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every variable named in [`super::env`] has a row in the crate's
    /// README (its documentation): a new variable without one fails here.
    #[test]
    fn every_variable_is_in_the_readme_table() {
        let source = include_str!("vars.rs");
        let table = source.split("#[cfg(test)]").next().unwrap_or_default();
        let names: Vec<&str> = table
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.len() > 4 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .collect();
        assert!(names.len() >= 20, "the table's names: {names:?}");
        let readme = include_str!("../README.md");
        let rows: Vec<&str> = readme.lines().filter(|l| l.starts_with("| `")).collect();
        for name in names {
            let cell = format!("`{name}`");
            assert!(
                rows.iter().any(|row| row.contains(&cell)),
                "authorizer/README.md has no table row naming {name}"
            );
        }
    }
}
