//! The control plane's reads: API Gateway (v2 for HTTP APIs, v1 for REST
//! APIs: `GetStage`, `GetAuthorizer`) and Lambda
//! (`GetFunctionConfiguration`). The emulator serves what they return; the
//! harness measures a deployment against the same reads.

use crate::config::{PayloadVersion, RouteAuthorizer, RouteConfig};

/// `GetAuthorizer`.
///
/// # Errors
/// A one-line message naming the call and the authorizer.
pub async fn get_authorizer(
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
pub async fn stage_limits(
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
pub fn function_from_uri(uri: &str) -> Option<String> {
    let arn = uri
        .split_once("/functions/")
        .map_or(uri, |(_, rest)| rest.trim_end_matches("/invocations"));
    let name = arn.split_once(":function:")?.1;
    let name = name.split([':', '/']).next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// The qualifier (`live`, `7`) of the function an invoke URI names, if any.
pub fn qualifier_from_uri(uri: &str) -> Option<String> {
    let arn = uri
        .split_once("/functions/")
        .map_or(uri, |(_, rest)| rest.trim_end_matches("/invocations"));
    let qualifier = arn.split_once(":function:")?.1.split_once(':')?.1;
    (!qualifier.is_empty()).then(|| qualifier.to_owned())
}

/// The stage to serve: `wanted` when the API has it, else its only one.
///
/// # Errors
/// No stage, or several and none named `wanted`.
pub fn pick_stage(api: &str, names: &[&str], wanted: &str) -> crate::Result<String> {
    match names {
        n if n.contains(&wanted) => Ok(wanted.to_owned()),
        [only] => Ok((*only).to_owned()),
        [] => Err(crate::Error::unavailable(format!(
            "{api} has no stage (GetStages): deploy it first"
        ))),
        n => Err(crate::Error::unavailable(format!(
            "{api} has stages {}: choose one with --stage",
            n.join(", ")
        ))),
    }
}

/// What the emulator takes from a function's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSettings {
    /// Environment variables, sorted.
    pub env: Vec<(String, String)>,
    /// Memory size, MB.
    pub memory_mb: u32,
    /// Its log group (`LoggingConfig.LogGroup`, else `/aws/lambda/NAME`).
    pub log_group: String,
}

/// `GetFunctionConfiguration`.
///
/// # Errors
/// A one-line message naming the call and the function.
pub async fn read_function(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
) -> crate::Result<FunctionSettings> {
    let f = lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .map_err(|e| {
            crate::Error::aws_about(
                "Lambda",
                "GetFunctionConfiguration",
                e,
                format!("function {function}"),
            )
        })?;
    let mut env: Vec<(String, String)> = f
        .environment()
        .and_then(|e| e.variables())
        .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    env.sort();
    let log_group = f
        .logging_config()
        .and_then(|l| l.log_group())
        .map_or_else(|| format!("/aws/lambda/{function}"), str::to_owned);
    Ok(FunctionSettings {
        env,
        memory_mb: f
            .memory_size()
            .map_or(128, |m| u32::try_from(m).unwrap_or(128)),
        log_group,
    })
}

/// A REST authorizer as the emulator runs it, and the function it invokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestAuthorizer {
    /// Type, identity sources, validation expression and TTL.
    pub route: RouteAuthorizer,
    /// The function its URI names.
    pub function: String,
    /// The qualifier (alias or version) its URI names, if any.
    pub qualifier: Option<String>,
}

/// `GetAuthorizer` on a REST API (API Gateway v1).
///
/// # Errors
/// The call failed, or the authorizer is not a Lambda TOKEN or REQUEST
/// authorizer.
pub async fn rest_authorizer(
    apigw: &aws_sdk_apigateway::Client,
    api: &str,
    id: &str,
) -> crate::Result<RestAuthorizer> {
    let a = apigw
        .get_authorizer()
        .rest_api_id(api)
        .authorizer_id(id)
        .send()
        .await
        .map_err(|e| {
            crate::Error::aws_about(
                "API Gateway",
                "GetAuthorizer",
                e,
                format!("REST API {api}, authorizer {id}"),
            )
        })?;
    let kind = a.r#type().map(|t| t.as_str().to_owned());
    let payload = match kind.as_deref() {
        Some("TOKEN") => PayloadVersion::V1Token,
        Some("REQUEST") => PayloadVersion::RestRequest,
        other => {
            return Err(crate::Error::unavailable(format!(
            "authorizer {id} is {other:?}: the emulator runs Lambda TOKEN and REQUEST authorizers"
        )))
        }
    };
    let uri = a.authorizer_uri().unwrap_or_default();
    let function = function_from_uri(uri).ok_or_else(|| {
        crate::Error::unavailable(format!(
            "authorizer {id}: no Lambda function in its URI {uri:?}"
        ))
    })?;
    Ok(RestAuthorizer {
        route: RouteAuthorizer {
            id: id.to_owned(),
            payload,
            identity_sources: identity_sources(a.identity_source()),
            validation_expression: a
                .identity_validation_expression()
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
            // Unset means API Gateway's default, 300 s.
            ttl_seconds: a
                .authorizer_result_ttl_in_seconds()
                .map_or(300, |t| u64::try_from(t).unwrap_or(0)),
        },
        function,
        qualifier: qualifier_from_uri(uri),
    })
}

/// `identitySource` is one comma-separated string on REST APIs.
pub fn identity_sources(source: Option<&str>) -> Vec<String> {
    source
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GetStage` on a REST API: its method throttling. The `*/*` entry is
/// the stage default; `RESOURCE/METHOD` entries (`hello/GET`,
/// `pets/{id}/*`) are returned as `(resource path, method, rate, burst)`.
/// An entry with neither a rate nor a burst (0 and 0: only metrics or
/// logging set) carries no throttling.
///
/// # Errors
/// A one-line message naming the call and the stage.
pub async fn method_throttling(
    apigw: &aws_sdk_apigateway::Client,
    api: &str,
    stage: &str,
) -> crate::Result<MethodThrottling> {
    let out = apigw
        .get_stage()
        .rest_api_id(api)
        .stage_name(stage)
        .send()
        .await
        .map_err(|e| {
            crate::Error::aws_about(
                "API Gateway",
                "GetStage",
                e,
                format!("REST API {api}, stage {stage}"),
            )
        })?;
    let mut t = MethodThrottling::default();
    for (key, m) in out.method_settings().into_iter().flatten() {
        let (rate, burst) = (
            m.throttling_rate_limit(),
            f64::from(m.throttling_burst_limit()),
        );
        if rate <= 0.0 && burst <= 0.0 {
            continue;
        }
        if key == "*/*" {
            t.default = Some((rate, burst));
            continue;
        }
        let key = key.replace("~1", "/");
        if let Some((resource, method)) = key.rsplit_once('/') {
            t.methods.push((
                format!("/{}", resource.trim_start_matches('/')),
                method.to_owned(),
                rate,
                burst,
            ));
        }
    }
    t.methods.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(t)
}

/// A REST stage's throttling as `GetStage` gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MethodThrottling {
    /// `*/*`: (rate, burst).
    pub default: Option<(f64, f64)>,
    /// (resource path, method or `*`, rate, burst).
    pub methods: Vec<(String, String, f64, f64)>,
}

impl MethodThrottling {
    /// As [`StageLimits`] over route keys (`GET /hello`).
    pub fn limits(&self, routes: &[RouteConfig]) -> StageLimits {
        let mut out = StageLimits {
            default: self.default,
            routes: Vec::new(),
        };
        for r in routes {
            let Some((method, path)) = r.key.split_once(' ') else {
                continue;
            };
            // An exact method entry wins over the resource's `*`.
            let own = self
                .methods
                .iter()
                .find(|m| m.0 == path && m.1 == method)
                .or_else(|| self.methods.iter().find(|m| m.0 == path && m.1 == "*"));
            if let Some(m) = own {
                out.routes.push((r.key.clone(), m.2, m.3));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{
        function_from_uri, identity_sources, qualifier_from_uri, MethodThrottling, RouteConfig,
    };

    #[test]
    fn method_settings_map_onto_route_keys() {
        let t = MethodThrottling {
            default: Some((100.0, 50.0)),
            methods: vec![
                ("/hello".into(), "GET".into(), 5.0, 2.0),
                ("/pets/{id}".into(), "*".into(), 7.0, 3.0),
            ],
        };
        let routes = [
            RouteConfig::new("GET /hello", true),
            RouteConfig::new("POST /hello", true),
            RouteConfig::new("DELETE /pets/{id}", true),
        ];
        let l = t.limits(&routes);
        assert_eq!(l.default, Some((100.0, 50.0)));
        assert_eq!(
            l.routes,
            [
                ("GET /hello".to_owned(), 5.0, 2.0),
                ("DELETE /pets/{id}".to_owned(), 7.0, 3.0)
            ]
        );
    }

    #[test]
    fn identity_sources_split_on_commas() {
        assert_eq!(
            identity_sources(Some(
                "method.request.header.Authorization, method.request.querystring.v"
            )),
            [
                "method.request.header.Authorization",
                "method.request.querystring.v"
            ]
        );
        assert!(identity_sources(None).is_empty());
    }

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
