//! The harness application: the CLI's jobs over the capability crates —
//! `check` (the catalog against an authorizer), a [`run`] that `suite` and
//! `load` both open (moto, the key, the local stack, the emulator serving
//! it, the deployed settings), the suite's stages and the load command's
//! orchestration, the [`fleet`] of generators one plan is sharded over, and
//! the progress display.

pub use authorizer::aws_error;
pub mod binary;
pub mod check;
pub mod demo;
mod deployed;
pub mod deployment;
pub mod ecs;
mod error;
pub mod fleet;
pub mod load;
pub mod moto;
pub mod package;
mod progress;
pub mod run;
pub mod s3;
pub mod stack;
pub mod suite;
mod tools;

pub use error::{BoxError, Error, Result};
