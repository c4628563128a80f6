//! The API Gateway + Lambda data plane: HTTP and REST APIs as a control
//! plane (moto, or AWS itself, read only) describes them, each request
//! through the authorizer's cache, throttling and policy as API Gateway
//! applies them, and the real authorizer binary run per execution
//! environment through the Lambda Runtime API, its log lines shipped to
//! CloudWatch Logs. The control plane's reads (`apigw`, `cwlogs`, `sdk`)
//! sit on the floor below the gateway and serve the harness too.
//!
//! Floors, top down (each uses only those below it):
//! - [`gateway`]: the listener, routes, authorizer calls, cache,
//!   throttling, events, following the control plane;
//! - [`lambda`]: execution environments and their Runtime API;
//! - [`apigw`], [`cwlogs`]: API Gateway and Lambda reads, log shipping and
//!   reading; [`config`]: the settings every floor above reads;
//! - [`sdk`], [`civil_time`], [`Error`].

pub mod apigw;
pub mod civil_time;
pub mod config;
pub mod cwlogs;
mod error;
pub mod gateway;
pub mod lambda;
pub mod sdk;

pub use error::{BoxError, Error, LambdaError, Result};
