//! One AWS SDK configuration loader for every client the harness builds:
//! the SDK environment (credentials, region, `AWS_ENDPOINT_URL*`), or an
//! explicit endpoint for every service (moto); the region set once per run
//! (`--region`, else the deployment's `region` output) overrides the
//! environment's, and is named in every AWS error.

use std::sync::OnceLock;

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
pub(crate) async fn config(endpoint: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
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
