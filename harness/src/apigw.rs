//! What a deployed HTTP API is configured to do, read from API Gateway v2
//! itself (`GetStage`, `GetAuthorizer`): the settings that decide verdicts
//! are measured against what is deployed, never assumed.

use crate::deployment::Deployment;

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

/// `GetAuthorizer`.
///
/// # Errors
/// A one-line message naming the call and the authorizer.
pub(crate) async fn get_authorizer(
    client: &aws_sdk_apigatewayv2::Client,
    api: &str,
    id: &str,
) -> crate::Result<aws_sdk_apigatewayv2::operation::get_authorizer::GetAuthorizerOutput> {
    client
        .get_authorizer()
        .api_id(api)
        .authorizer_id(id)
        .send()
        .await
        .map_err(|e| {
            crate::Error::aws_about(
                "API Gateway",
                "GetAuthorizer",
                e,
                format!("api {api}, authorizer {id}"),
            )
        })
}

/// A stage's throttling: the default route settings and per-route overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageLimits {
    /// Default route settings: (rate, burst).
    pub default: Option<(f64, f64)>,
    /// Route keys with their own limits: (key, rate, burst), sorted by key.
    pub routes: Vec<(String, f64, f64)>,
}

/// `GetStage`: the stage's throttling.
///
/// # Errors
/// A one-line message naming the call and the stage.
pub(crate) async fn stage_limits(
    client: &aws_sdk_apigatewayv2::Client,
    api: &str,
    stage: &str,
) -> crate::Result<StageLimits> {
    let out = client
        .get_stage()
        .api_id(api)
        .stage_name(stage)
        .send()
        .await
        .map_err(|e| {
            crate::Error::aws_about(
                "API Gateway",
                "GetStage",
                e,
                format!("api {api}, stage {stage}"),
            )
        })?;
    let pair = |r: &aws_sdk_apigatewayv2::types::RouteSettings| {
        r.throttling_rate_limit()
            .zip(r.throttling_burst_limit())
            .map(|(rate, burst)| (rate, f64::from(burst)))
    };
    let mut routes: Vec<(String, f64, f64)> = out
        .route_settings()
        .into_iter()
        .flatten()
        .filter_map(|(k, r)| pair(r).map(|(rate, burst)| (k.clone(), rate, burst)))
        .collect();
    routes.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(StageLimits {
        default: out.default_route_settings().and_then(pair),
        routes,
    })
}

/// The Lambda function an authorizer (or integration) URI invokes:
/// `arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations`
/// (or the function ARN itself) → the function's name.
pub(crate) fn function_from_uri(uri: &str) -> Option<String> {
    let arn = uri
        .split_once("/functions/")
        .map_or(uri, |(_, rest)| rest.trim_end_matches("/invocations"));
    let name = arn.split_once(":function:")?.1;
    let name = name.split([':', '/']).next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// The qualifier (`live`, `7`) of the function an invoke URI names, if any.
pub(crate) fn qualifier_from_uri(uri: &str) -> Option<String> {
    let arn = uri
        .split_once("/functions/")
        .map_or(uri, |(_, rest)| rest.trim_end_matches("/invocations"));
    let qualifier = arn.split_once(":function:")?.1.split_once(':')?.1;
    (!qualifier.is_empty()).then(|| qualifier.to_owned())
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
        let client = aws_sdk_apigateway::Client::new(&crate::sdk::config(None).await);
        return read_rest_settings(&client, api, dep).await;
    }
    let mut s = DeployedSettings::default();
    let Some(api) = dep.api_id.as_deref() else {
        return Ok(s);
    };
    let client = &aws_sdk_apigatewayv2::Client::new(&crate::sdk::config(None).await);
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
    use crate::gateway::rest_control_plane as rest;
    let mut s = DeployedSettings::default();
    if let Some(stage) = dep.stage_name.as_deref() {
        let t = rest::method_throttling(client, api, stage).await?;
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
        let a = rest::authorizer(client, api, id).await?;
        s.ttl_seconds = i32::try_from(a.route.ttl_seconds).ok();
        s.identity_sources = a.route.identity_sources;
        s.qualifier = a.qualifier;
        s.notes.push((
            "authorizer".into(),
            format!(
                "{} TTL {} s, identity sources {}{} (GetAuthorizer REST API {api} {id})",
                if a.route.payload == crate::gateway::config::PayloadVersion::V1Token {
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

#[cfg(test)]
mod tests {
    use super::{function_from_uri, qualifier_from_uri};

    #[test]
    fn the_qualifier_behind_an_invoke_uri() {
        let alias = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:jwt:live/invocations";
        assert_eq!(qualifier_from_uri(alias).as_deref(), Some("live"));
        let plain = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:jwt/invocations";
        assert_eq!(qualifier_from_uri(plain), None);
    }

    #[test]
    fn the_function_behind_an_invoke_uri() {
        let uri = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:jwt-authorizer/invocations";
        assert_eq!(function_from_uri(uri).as_deref(), Some("jwt-authorizer"));
        let qualified = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:jwt:live/invocations";
        assert_eq!(function_from_uri(qualified).as_deref(), Some("jwt"));
        assert_eq!(
            function_from_uri("arn:aws:lambda:us-east-1:1:function:f").as_deref(),
            Some("f")
        );
        assert_eq!(function_from_uri("https://example.com/x"), None);
    }
}
