//! What a deployed API is configured to do, as the suite and load measure
//! it: the stage's throttling and the authorizer's TTL, identity sources
//! and qualifier, read from API Gateway itself (v2 for HTTP APIs, v1 for
//! REST APIs) with the emulator's control-plane reads. The settings that
//! decide verdicts are measured against what is deployed, never assumed.

use crate::deployment::Deployment;
use emulator::apigw::{
    get_authorizer, method_throttling, qualifier_from_uri, rest_authorizer, stage_limits,
};
use emulator::config::PayloadVersion;

/// Settings read from the deployment, each with where it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DeployedSettings {
    /// The stage's default route throttling: (rate, burst).
    pub throttle: Option<(f64, f64)>,
    /// Route keys with their own throttling override (rate, burst).
    pub route_overrides: Vec<(String, f64, f64)>,
    /// The authorizer's result TTL in seconds.
    pub ttl_seconds: Option<i32>,
    /// The authorizer's identity sources.
    pub identity_sources: Vec<String>,
    /// The qualifier (alias or version) the authorizer's URI invokes, if any.
    pub qualifier: Option<String>,
    /// `(setting, value and source)` lines for the report.
    pub notes: Vec<(String, String)>,
}

/// Reads the stage's throttling and the authorizer's TTL and identity
/// sources for `dep` (whatever of `api_id` or `rest_api_id`, `stage_name`,
/// `authorizer_id` it names), from API Gateway v2 or, for a REST API, v1;
/// clients from the SDK environment (`AWS_ENDPOINT_URL`, region,
/// credentials).
///
/// # Errors
/// A one-line message naming the call that failed.
pub(crate) async fn read_settings(dep: &Deployment) -> crate::Result<DeployedSettings> {
    if let Some(api) = dep.rest_api_id.as_deref() {
        let client = aws_sdk_apigateway::Client::new(&emulator::sdk::config(None).await);
        return read_rest_settings(&client, api, dep).await;
    }
    let mut s = DeployedSettings::default();
    let Some(api) = dep.api_id.as_deref() else {
        return Ok(s);
    };
    let client = &aws_sdk_apigatewayv2::Client::new(&emulator::sdk::config(None).await);
    if let Some(stage) = dep.stage_name.as_deref() {
        let limits = stage_limits(client, api, stage).await?;
        if let Some((rate, burst)) = limits.default {
            s.throttle = Some((rate, burst));
            s.notes.push((
                "stage throttling".into(),
                format!(
                    "{rate} rps / burst {burst} (GetStage {api} {stage}, default route settings)"
                ),
            ));
        }
        for (key, rate, burst) in limits.routes {
            s.notes.push((
                format!("route throttling {key}"),
                format!("{rate} rps / burst {burst} (GetStage route settings)"),
            ));
            s.route_overrides.push((key, rate, burst));
        }
    }
    if let Some(id) = dep.authorizer_id.as_deref() {
        let out = get_authorizer(client, api, id).await?;
        s.ttl_seconds = out.authorizer_result_ttl_in_seconds();
        s.identity_sources = out.identity_source().to_vec();
        s.qualifier = out.authorizer_uri().and_then(qualifier_from_uri);
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

/// [`read_settings`] for a REST API: the stage's `*/*` method throttling
/// (the route the suite measures is one method; per-method overrides are
/// listed), the authorizer's TTL (unset: 300 s), identity source and
/// qualifier (`GetAuthorizer` on API Gateway v1).
async fn read_rest_settings(
    client: &aws_sdk_apigateway::Client,
    api: &str,
    dep: &Deployment,
) -> crate::Result<DeployedSettings> {
    let mut s = DeployedSettings::default();
    if let Some(stage) = dep.stage_name.as_deref() {
        let t = method_throttling(client, api, stage).await?;
        if let Some((rate, burst)) = t.default {
            s.throttle = Some((rate, burst));
            s.notes.push((
                "stage throttling".into(),
                format!("{rate} rps / burst {burst} (GetStage REST API {api} {stage}, method settings */*)"),
            ));
        }
        for (path, method, rate, burst) in t.methods {
            let key = format!("{method} {path}");
            s.notes.push((
                format!("method throttling {key}"),
                format!("{rate} rps / burst {burst} (GetStage method settings)"),
            ));
            s.route_overrides.push((key, rate, burst));
        }
    }
    if let Some(id) = dep.authorizer_id.as_deref() {
        let a = rest_authorizer(client, api, id).await?;
        s.ttl_seconds = i32::try_from(a.route.ttl_seconds).ok();
        s.identity_sources = a.route.identity_sources;
        s.qualifier = a.qualifier;
        s.notes.push((
            "authorizer".into(),
            format!(
                "{} TTL {} s, identity sources {}{} (GetAuthorizer REST API {api} {id})",
                if a.route.payload == PayloadVersion::V1Token {
                    "TOKEN"
                } else {
                    "REQUEST"
                },
                a.route.ttl_seconds,
                s.identity_sources.join(", "),
                a.route
                    .validation_expression
                    .map_or(String::new(), |e| format!(", validation expression {e}")),
            ),
        ));
    }
    Ok(s)
}
