//! The emulator as the data plane of an API registered in a control plane
//! (moto, or AWS itself): `harness gateway --api-id ID --endpoint-url URL`
//! reads the routes, the REQUEST authorizer (TTL, identity sources, payload,
//! simple responses) and the stage's throttling from API Gateway v2, and the
//! authorizer function's environment, memory and log group from Lambda.
//! [`follow`] re-reads the authorizer and the stage while serving; the
//! function's configuration is followed by the pool's watcher.

use crate::apigw::{
    function_from_uri, get_authorizer, pick_stage, read_function, stage_limits, StageLimits,
};
use crate::config::{GatewayConfig, PayloadVersion, RouteConfig};

/// What the control plane says about the API, its authorizer and function.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    /// The API's routes (authorized when they use the authorizer).
    pub routes: Vec<RouteConfig>,
    /// The REQUEST authorizer the routes use.
    pub authorizer_id: String,
    /// Its settings.
    pub authorizer: AuthorizerSettings,
    /// The stage served.
    pub stage: String,
    /// Its throttling.
    pub limits: StageLimits,
    /// The authorizer's Lambda function.
    pub function: String,
    /// Its environment variables, sorted.
    pub env: Vec<(String, String)>,
    /// Its memory size, MB.
    pub memory_mb: u32,
    /// Its log group (`LoggingConfig.LogGroup`, else `/aws/lambda/NAME`).
    pub log_group: String,
}

/// The authorizer settings that change what the gateway does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerSettings {
    /// `AuthorizerResultTtlInSeconds` (unset: 0, caching off).
    pub ttl_seconds: u64,
    /// `IdentitySource`.
    pub identity_sources: Vec<String>,
    /// `AuthorizerPayloadFormatVersion`.
    pub payload: PayloadVersion,
    /// `EnableSimpleResponses`.
    pub simple_responses: bool,
    /// The function its URI invokes.
    pub function: String,
}

/// Clients for API Gateway v2 and Lambda at `endpoint` (default: the SDK
/// environment).
pub async fn clients(
    endpoint: Option<&str>,
) -> (aws_sdk_apigatewayv2::Client, aws_sdk_lambda::Client) {
    let conf = crate::sdk::config(endpoint).await;
    (
        aws_sdk_apigatewayv2::Client::new(&conf),
        aws_sdk_lambda::Client::new(&conf),
    )
}

/// `GetAuthorizer`.
///
/// # Errors
/// The call failed, or the authorizer is not a Lambda REQUEST authorizer.
pub async fn authorizer(
    apigw: &aws_sdk_apigatewayv2::Client,
    api: &str,
    id: &str,
) -> crate::Result<AuthorizerSettings> {
    let a = get_authorizer(apigw, api, id).await?;
    if a.authorizer_type().map(|t| t.as_str()) != Some("REQUEST") {
        return Err(crate::Error::unavailable(format!(
            "authorizer {id} is {:?}: the emulator runs Lambda REQUEST authorizers",
            a.authorizer_type().map(|t| t.as_str())
        )));
    }
    let uri = a.authorizer_uri().unwrap_or_default();
    let function = function_from_uri(uri).ok_or_else(|| {
        crate::Error::unavailable(format!(
            "authorizer {id}: no Lambda function in its URI {uri:?}"
        ))
    })?;
    let payload = match a.authorizer_payload_format_version() {
        Some("1.0") => PayloadVersion::V1Token,
        _ => PayloadVersion::V2,
    };
    Ok(AuthorizerSettings {
        ttl_seconds: a
            .authorizer_result_ttl_in_seconds()
            .map_or(0, |t| u64::try_from(t).unwrap_or(0)),
        identity_sources: a.identity_source().to_vec(),
        payload,
        simple_responses: a.enable_simple_responses().unwrap_or(false),
        function,
    })
}

/// Reads everything the emulator serves for `api` (the stage named
/// `stage`, or the API's only stage).
///
/// # Errors
/// A one-line message naming the call or the setting the emulator cannot
/// reproduce.
pub async fn read_http_api(
    apigw: &aws_sdk_apigatewayv2::Client,
    lambda: &aws_sdk_lambda::Client,
    api: &str,
    stage: &str,
) -> crate::Result<Registered> {
    let out = apigw.get_routes().api_id(api).send().await.map_err(|e| {
        crate::Error::aws_about("API Gateway", "GetRoutes", e, format!("api {api}"))
    })?;
    let mut authorizer_id: Option<String> = None;
    let mut routes = Vec::new();
    for r in out.items() {
        let key = r.route_key().unwrap_or_default().to_owned();
        let kind = r.authorization_type().map_or("NONE", |t| t.as_str());
        let authorized = match kind {
            "NONE" => false,
            "CUSTOM" => {
                let id = r.authorizer_id().unwrap_or_default();
                match &authorizer_id {
                    Some(seen) if seen != id => {
                        return Err(crate::Error::unavailable(format!(
                            "routes use authorizers {seen} and {id}: the emulator runs one"
                        )))
                    }
                    _ => authorizer_id = Some(id.to_owned()),
                }
                true
            }
            other => {
                return Err(crate::Error::unavailable(format!(
                    "route {key:?} uses {other} authorization: the emulator runs Lambda authorizers"
                )))
            }
        };
        routes.push(RouteConfig::new(key, authorized));
    }
    if routes.is_empty() {
        return Err(crate::Error::unavailable(format!(
            "API {api} has no routes (GetRoutes)"
        )));
    }
    let authorizer_id = authorizer_id.ok_or_else(|| {
        crate::Error::unavailable(format!("no route of API {api} uses an authorizer"))
    })?;
    let settings = authorizer(apigw, api, &authorizer_id).await?;

    let stages = apigw.get_stages().api_id(api).send().await.map_err(|e| {
        crate::Error::aws_about("API Gateway", "GetStages", e, format!("api {api}"))
    })?;
    let names: Vec<&str> = stages
        .items()
        .iter()
        .filter_map(|s| s.stage_name())
        .collect();
    let stage = pick_stage(&format!("API {api}"), &names, stage)?;
    let limits = stage_limits(apigw, api, &stage).await?;
    let f = read_function(lambda, &settings.function).await?;
    Ok(Registered {
        routes,
        authorizer_id,
        stage,
        limits,
        function: settings.function.clone(),
        env: f.env,
        memory_mb: f.memory_mb,
        log_group: f.log_group,
        authorizer: settings,
    })
}

/// `routes` with each one's own throttling from the stage's route
/// settings (none where the stage default applies).
pub fn with_route_limits(routes: &[RouteConfig], limits: &StageLimits) -> Vec<RouteConfig> {
    routes
        .iter()
        .map(|route| {
            let own = limits.routes.iter().find(|(k, _, _)| *k == route.key);
            RouteConfig {
                rate: own.map(|o| o.1),
                burst: own.map(|o| o.2),
                ..route.clone()
            }
        })
        .collect()
}

/// Applies what was read onto the emulator's settings.
pub fn apply_http_api(cfg: &mut GatewayConfig, r: &Registered) {
    cfg.routes = with_route_limits(&r.routes, &r.limits);
    cfg.stage.clone_from(&r.stage);
    cfg.rate = r.limits.default.map(|l| l.0);
    cfg.burst = r.limits.default.map(|l| l.1);
    cfg.cache_ttl_seconds = r.authorizer.ttl_seconds;
    cfg.identity_sources
        .clone_from(&r.authorizer.identity_sources);
    cfg.payload = r.authorizer.payload;
    cfg.simple_responses = r.authorizer.simple_responses;
    cfg.env.clone_from(&r.env);
    cfg.memory_mb = r.memory_mb;
    cfg.lambda_function = Some(r.function.clone());
    cfg.log_group = Some(r.log_group.clone());
    if cfg.lambda_endpoint_url.is_none() {
        cfg.lambda_endpoint_url.clone_from(&cfg.endpoint_url);
    }
    if cfg.logs_endpoint_url.is_none() {
        cfg.logs_endpoint_url.clone_from(&cfg.endpoint_url);
    }
}
