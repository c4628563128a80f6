//! What a deployed HTTP API is configured to do, read from API Gateway v2
//! itself (`GetStage`, `GetAuthorizer`): the settings that decide verdicts
//! are measured against what is deployed, never assumed.

use crate::deployment::Deployment;

/// Settings read from the deployment, each with where it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployedSettings {
    /// The stage's default route throttling: (rate, burst).
    pub throttle: Option<(f64, f64)>,
    /// Route keys with their own throttling override (rate, burst).
    pub route_overrides: Vec<(String, f64, f64)>,
    /// The authorizer's result TTL in seconds.
    pub ttl_seconds: Option<i32>,
    /// The authorizer's identity sources.
    pub identity_sources: Vec<String>,
    /// `(setting, value and source)` lines for the report.
    pub notes: Vec<(String, String)>,
}

/// An API Gateway v2 client from the SDK environment (`AWS_ENDPOINT_URL`,
/// `AWS_ENDPOINT_URL_APIGATEWAYV2`, region, credentials).
pub async fn client() -> aws_sdk_apigatewayv2::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_apigatewayv2::Client::new(&conf)
}

/// Reads the stage's throttling and the authorizer's TTL and identity
/// sources for `dep` (whatever of `api_id`, `stage_name`, `authorizer_id`
/// it names).
///
/// # Errors
/// A one-line message naming the call that failed.
pub async fn read_settings(
    client: &aws_sdk_apigatewayv2::Client,
    dep: &Deployment,
) -> Result<DeployedSettings, String> {
    let mut s = DeployedSettings::default();
    let Some(api) = dep.api_id.as_deref() else {
        return Ok(s);
    };
    if let Some(stage) = dep.stage_name.as_deref() {
        let out = client
            .get_stage()
            .api_id(api)
            .stage_name(stage)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "{} (api {api}, stage {stage})",
                    crate::aws_error::describe("API Gateway", "GetStage", &e)
                )
            })?;
        if let Some(d) = out.default_route_settings() {
            if let (Some(rate), Some(burst)) =
                (d.throttling_rate_limit(), d.throttling_burst_limit())
            {
                s.throttle = Some((rate, f64::from(burst)));
                s.notes.push((
                    "stage throttling".into(),
                    format!("{rate} rps / burst {burst} (GetStage {api} {stage}, default route settings)"),
                ));
            }
        }
        if let Some(routes) = out.route_settings() {
            let mut keys: Vec<&String> = routes.keys().collect();
            keys.sort();
            for key in keys {
                let r = &routes[key];
                if let (Some(rate), Some(burst)) =
                    (r.throttling_rate_limit(), r.throttling_burst_limit())
                {
                    s.route_overrides
                        .push((key.clone(), rate, f64::from(burst)));
                    s.notes.push((
                        format!("route throttling {key}"),
                        format!("{rate} rps / burst {burst} (GetStage route settings)"),
                    ));
                }
            }
        }
    }
    if let Some(id) = dep.authorizer_id.as_deref() {
        let out = client
            .get_authorizer()
            .api_id(api)
            .authorizer_id(id)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "{} (api {api}, authorizer {id})",
                    crate::aws_error::describe("API Gateway", "GetAuthorizer", &e)
                )
            })?;
        s.ttl_seconds = out.authorizer_result_ttl_in_seconds();
        s.identity_sources = out.identity_source().to_vec();
        s.notes.push((
            "authorizer".into(),
            format!(
                "TTL {} s, identity sources {} (GetAuthorizer {api} {id})",
                s.ttl_seconds.map_or("unset".into(), |t| t.to_string()),
                s.identity_sources.join(", ")
            ),
        ));
    }
    Ok(s)
}
