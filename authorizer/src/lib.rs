//! A strict ES512 JWT authorizer for AWS API Gateway, for tokens signed by
//! AWS KMS `ECC_NIST_P521` keys.
//!
//! The pipeline reads off the module list: `extract` (the `Authorization`
//! value) → `token` (split, strict base64url, header) → `keys` (pick the key
//! by `kid`) → `crypto` (ES512 verify) → `claims` (the policy, given `now`)
//! → [`Decision`] → `event` (the only module that knows API Gateway JSON).
//!
//! ```
//! use authorizer::{AuthRequest, Authorizer, Config, Decision, RejectReason, UnixTime};
//! # let key = authorizer::test_util::TestKey::new(7);
//! # let pem = key.pem();
//! let config = Config::from_lookup(|name| match name {
//!     "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
//!     "JWT_ISSUER" => Some("https://issuer.example".into()),
//!     "JWT_AUDIENCE" => Some("api".into()),
//!     _ => None,
//! })?;
//! let auth = Authorizer::new(&config);
//! let request = AuthRequest { authorization: Some("Basic dXNlcjpwYXNz") };
//! assert_eq!(auth.decide(&request, UnixTime::now()), Decision::Deny(RejectReason::BadScheme));
//! # Ok::<(), authorizer::ConfigError>(())
//! ```

mod authorizer;
#[cfg(feature = "kms")]
pub mod aws_error;
mod cache;
mod claims;
pub mod config;
mod crypto;
pub mod event;
mod extract;
mod json;
pub mod keys;
#[cfg(feature = "kms")]
pub mod kms;
pub mod metrics;
mod reason;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
mod token;
mod vars;

#[cfg(feature = "dangerous-test-faults")]
pub use crate::authorizer::DangerousFault;
pub use crate::authorizer::{AuthRequest, Authorizer, Decision, Outcome};
pub use crate::claims::{Grant, UnixTime, MAX_NUMERIC_DATE};
pub use crate::config::{AudienceCheck, Config, ConfigError, IssuerCheck, ResponseFormat};
/// Helpers for the harness and tests (P-521 group order, SPKI encoding).
#[cfg(any(test, feature = "test-util"))]
pub use crate::crypto::{group_order, spki_der};
pub use crate::crypto::{
    Algorithm, Backend, Curve, KeyError, PublicKey, MAX_RSA_BITS, MIN_RSA_BITS, POINT_LEN,
    SIGNATURE_LEN,
};
pub use crate::reason::RejectReason;
pub use crate::token::FORBIDDEN_HEADERS;
