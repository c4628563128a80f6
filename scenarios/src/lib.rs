//! Load scenarios against an API Gateway endpoint (the local emulator or a
//! deployed API), each a function returning a typed [`Scenario`] for the
//! report. Pass/fail bands are ratios and fractions, never absolute times.
//!
//! Cold start ([`cold_start`]) and caching ([`caching`]) are measured from
//! the function's logs and the Lambda control plane ([`control_plane`]),
//! the same way for the local stack and a deployment; no scenario reads
//! emulator-private counters.
//!
//! The loaded scenarios (throttling, mixed) run goose 0.19 attacks
//! with a paced transaction: user *i* of *U* sends its *k*-th request at
//! `start + (i + k·U)/R`, and latency is measured from that intended send
//! time (as wrk2 does), so a stall shows up instead of being hidden by
//! coordinated omission. Samples are our own (goose's metrics are not
//! read, so goose's reset after launch, which keeps its "All N users
//! launched" line off stdout, changes nothing) and goose's request log stays
//! off (it would record the `Authorization` header).
//!
//! [`engine`] runs `harness load` plans: [`arrival`] profiles turned into a
//! precomputed schedule, HDR histograms per class and per second; [`shard`]
//! splits one plan over several generators, exactly.

pub mod arrival;
mod attack;
pub mod caching;
pub mod cold_start;
pub mod control_plane;
mod endpoint;
pub mod engine;
mod error;
mod figures;
mod load;
mod mixed;
pub mod plan;
pub mod shard;
mod stop;
mod throttling;

pub use caching::caching;
pub use cold_start::cold_start;
pub use endpoint::{timed_get, Endpoint};
pub use error::{Error, Result};
pub use figures::{fig, percentile};
pub use load::{paced, paced_with, Picker, Sample};
pub use mixed::{mixed, MixedCase};
pub use stop::{nap, request_stop, stop_requested, until_stopped};
pub use throttling::throttling;
