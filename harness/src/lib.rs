//! The harness: mints tokens (local P-521 key or KMS), runs them against an
//! authorizer, and hosts the local API Gateway + Lambda emulator.

pub use authorizer::aws_error;
pub mod binary;
pub mod check;
pub mod demo;
mod deployed;
pub mod deployment;
mod error;
pub mod load;
pub mod moto;
pub mod package;
mod progress;
pub mod stack;
pub mod suite;
mod tools;

pub use error::{BoxError, Error, Result};
