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
//! precomputed schedule, HDR histograms per class and per second.

pub mod arrival;
mod attack;
pub mod caching;
pub mod cold_start;
pub mod control_plane;
pub mod engine;
mod load;
mod mixed;
mod throttling;

pub use load::{paced, paced_with, Picker, Sample};
pub use mixed::{mixed, MixedCase};
pub use throttling::throttling;

/// What can stop a scenario or a load plan.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A plan value out of range, named by its field.
    #[error("{field} must be a finite number ≥ 0, got {value}")]
    OutOfRange {
        /// The plan field, e.g. `ramp from`.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A steps profile without steps.
    #[error("steps: at least one step")]
    NoSteps,
    /// A schedule longer than [`arrival::MAX_REQUESTS`].
    #[error("the plan schedules more than {max} requests; lower the rate or the duration")]
    TooManyRequests {
        /// The limit.
        max: usize,
    },
    /// Mixed traffic with no case to send.
    #[error("mixed traffic needs cases")]
    NoCases,
    /// A target URL that does not parse.
    #[error("{url}: {source}")]
    Url {
        /// The URL given.
        url: String,
        /// The parser's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The HTTP client failed (connection refused, timeout).
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    /// goose could not set up or run the attack.
    #[error("{0}")]
    Goose(#[from] Box<goose::GooseError>),
    /// A histogram that did not encode.
    #[error(transparent)]
    Report(#[from] reports::Error),
    /// A control-plane call (Lambda, CloudWatch Logs) that failed or timed
    /// out: the line names the call, its error and what to check.
    #[error("{line}")]
    Aws {
        /// Service, operation, error code and message in one line.
        line: String,
        /// The SDK's error.
        source: emulator::BoxError,
    },
    /// Something the measurement needs did not answer as it must (a first
    /// request that was not a 200, an update that failed or did not finish).
    #[error("{0}")]
    Unavailable(String),
    /// A stop (a signal) ended the measurement.
    #[error("interrupted")]
    Interrupted,
    /// A task that panicked or was cancelled.
    #[error("{0}")]
    Task(#[from] tokio::task::JoinError),
    /// Another error of the emulator's reads.
    #[error(transparent)]
    Emulator(Box<emulator::Error>),
}

impl Error {
    /// [`Error::Unavailable`].
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable(message.into())
    }

    /// [`Error::Aws`] for a failed `service` `operation` call
    /// ([`emulator::Error::aws`]: the same line and hint).
    pub fn aws<E, R>(
        service: &str,
        operation: &str,
        err: aws_sdk_lambda::error::SdkError<E, R>,
    ) -> Self
    where
        E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        emulator::Error::aws(service, operation, err).into()
    }

    /// [`Error::aws`] with what the call was about.
    pub fn aws_about<E, R>(
        service: &str,
        operation: &str,
        err: aws_sdk_lambda::error::SdkError<E, R>,
        about: impl std::fmt::Display,
    ) -> Self
    where
        E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        emulator::Error::aws_about(service, operation, err, about).into()
    }
}

/// The emulator's reads' errors: an AWS call stays [`Error::Aws`].
impl From<emulator::Error> for Error {
    fn from(e: emulator::Error) -> Self {
        match e {
            emulator::Error::Aws { line, source } => Self::Aws { line, source },
            emulator::Error::Unavailable(m) => Self::Unavailable(m),
            other => Self::Emulator(Box::new(other)),
        }
    }
}

/// The scenarios' result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

use reports::model::{Better, Figure};
use std::time::Instant;

/// Where to send requests.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The protected route, e.g. `http://127.0.0.1:PORT/hello`.
    pub url: String,
    /// Fed as requests go, for a progress display.
    pub live: Option<std::sync::Arc<engine::Live>>,
}

/// Median of `v` (0 for empty).
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let idx = ((s.len() - 1) as f64 * p).round() as usize;
    s[idx.min(s.len() - 1)]
}

/// A figure of `value` in `unit`.
pub fn fig(value: f64, unit: &str, better: Better) -> Figure {
    Figure {
        value,
        unit: unit.into(),
        better,
    }
}

/// One GET (with an `Authorization` value if given): status and latency in
/// ms, the body read.
///
/// # Errors
/// Transport failures.
pub async fn timed_get(
    client: &reqwest::Client,
    url: &str,
    auth: Option<&str>,
) -> Result<(u16, f64), Error> {
    let mut req = client.get(url);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let t = Instant::now();
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let _ = resp.bytes().await;
    Ok((status, t.elapsed().as_secs_f64() * 1000.0))
}

/// Set by [`request_stop`]. Kept here rather than read from goose's kill
/// switch, which also ends a run cut short on purpose
/// ([`engine::Live::cut`]) and is cleared when an attack starts.
static STOPPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a stop was requested (a signal).
pub fn stop_requested() -> bool {
    STOPPED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Requests a stop: the running attack ends (goose's kill switch) and the
/// caller sees [`stop_requested`].
pub fn request_stop() {
    STOPPED.store(true, std::sync::atomic::Ordering::SeqCst);
    goose::trigger_killswitch("interrupted");
}
