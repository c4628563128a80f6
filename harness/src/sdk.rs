//! One AWS SDK configuration loader for every client the harness builds:
//! the SDK environment (credentials, region, `AWS_ENDPOINT_URL*`), or an
//! explicit endpoint for every service (moto).

/// The SDK configuration, at `endpoint` when given.
pub(crate) async fn config(endpoint: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}
