//! One AWS SDK configuration loader for every client the harness builds:
//! the SDK environment (credentials, region, `AWS_ENDPOINT_URL*`), or an
//! explicit endpoint for every service (moto); the region set once per run
//! (`--region`, else the deployment's `region` output) overrides the
//! environment's, and is named in every AWS error.
//!
//! Every call is bounded: a connection within 3 s, an attempt within 10 s,
//! at most 3 attempts (the SDK's standard retries) and 30 s in all
//! ([`CONNECT`], [`ATTEMPT`], [`OPERATION`]), so a control plane that stops
//! answering (moto frozen, a network black hole) ends the call with an
//! error naming it instead of a silent wait.

use std::sync::OnceLock;
use std::time::Duration;

/// Longest wait for a connection.
pub const CONNECT: Duration = Duration::from_secs(3);
/// Longest wait for one attempt of a call.
pub const ATTEMPT: Duration = Duration::from_secs(10);
/// Longest wait for a call, its retries included.
pub const OPERATION: Duration = Duration::from_secs(30);

/// The run's region, when `--region` or the deployment named one.
static REGION: OnceLock<String> = OnceLock::new();
/// The region the SDK resolved (for error messages).
static RESOLVED: OnceLock<String> = OnceLock::new();

/// Sets the region every client of this process uses (first call wins: a
/// run has one region).
pub fn set_region(region: &str) {
    let _ = REGION.set(region.to_owned());
}

/// The region AWS calls go to, when known: the one set, else the one the
/// SDK resolved from its environment.
pub fn region() -> Option<&'static str> {
    REGION.get().or(RESOLVED.get()).map(String::as_str)
}

/// The SDK configuration, at `endpoint` when given.
pub async fn config(endpoint: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(CONNECT)
                .operation_attempt_timeout(ATTEMPT)
                .operation_timeout(OPERATION)
                .build(),
        )
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = REGION.get() {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    let conf = loader.load().await;
    if let Some(r) = conf.region() {
        let _ = RESOLVED.set(r.to_string());
    }
    conf
}
