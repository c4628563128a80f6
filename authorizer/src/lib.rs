#![doc = include_str!("../README.md")]

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
    Algorithm, Backend, Curve, KeyError, PublicKey, MAX_RSA_BITS, MAX_SIGNATURE_LEN, MIN_RSA_BITS,
    POINT_LEN, SIGNATURE_LEN,
};
pub use crate::reason::RejectReason;
pub use crate::token::FORBIDDEN_HEADERS;
