//! The harness: mints tokens (local P-521 key or KMS), runs them against an
//! authorizer, and hosts the local API Gateway + Lambda emulator.

pub use authorizer::aws_error;
mod apigw;
pub mod binary;
pub mod catalog;
pub mod check;
pub mod choices;
mod civil_time;
pub mod coldstart;
mod cwlogs;
pub mod demo;
pub mod deployment;
mod error;
pub mod gateway;
pub mod keypair;
pub mod kms;
pub mod lambda;
pub mod load;
pub mod mint;
pub mod moto;
pub mod package;
mod progress;
pub mod sdk;
pub mod signer;
pub mod stack;
pub mod suite;
mod tools;

pub use error::{BoxError, Error, Result};
