//! Tokens: keys (local and KMS), signers, one mint, the attack catalog
//! (its tables and the one recipe interpreter that signs them), the
//! profiles that choose cases and the project's documented choices.
//!
//! Floors, top down (each uses only those below it):
//! - [`catalog`]: the case tables, the recipe interpreter, profiles;
//!   [`choices`]: the expectations that are this project's choice;
//! - [`signer`]: one signer over a local key or a KMS key;
//! - [`keypair`] (local keys, every JWS algorithm), [`kms`] (KMS keys and
//!   signing, DER to JOSE), [`mint`] (token pools, time and claim values);
//! - [`jws`] (the signing input, the local ES512 signer);
//! - [`Error`].

pub mod catalog;
pub mod choices;
mod error;
pub mod jws;
pub mod keypair;
pub mod kms;
pub mod mint;
pub mod signer;

pub use error::{Error, Result};
