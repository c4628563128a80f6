//! The emulator as the data plane of a REST API (API Gateway v1) registered
//! in a control plane: `harness gateway --rest-api-id ID --endpoint-url URL`
//! reads the resources and their methods (`GetResources`, methods
//! embedded), each method's authorizer (`GetAuthorizer`: type, identity
//! source, validation expression, TTL, function), the stage's method
//! throttling (`GetStage` method settings) and the function (Lambda
//! `GetFunctionConfiguration`), once at start. The function's
//! configuration is followed while serving, as for HTTP APIs; the API's is
//! not (restart the emulator after changing it).

use super::config::{ApiType, GatewayConfig, PayloadVersion, RouteAuthorizer, RouteConfig};
use super::control_plane::{pick_stage, read_function, with_route_limits, FunctionSettings};
use crate::apigw::{function_from_uri, StageLimits};
use std::collections::BTreeMap;

/// What the control plane says about a REST API.
#[derive(Debug, Clone, PartialEq)]
pub struct RestRegistered {
    /// One route per method (`GET /hello`), with its own authorizer.
    pub routes: Vec<RouteConfig>,
    /// The stage served.
    pub stage: String,
    /// Its method throttling (`*/*` as the default, per-method overrides
    /// as route keys).
    pub limits: StageLimits,
    /// The function every authorizer invokes.
    pub function: String,
    /// Its configuration.
    pub settings: FunctionSettings,
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

/// `GetAuthorizer` on a REST API.
///
/// # Errors
/// The call failed, or the authorizer is not a Lambda TOKEN or REQUEST
/// authorizer.
pub async fn authorizer(
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
        qualifier: crate::apigw::qualifier_from_uri(uri),
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

/// Reads everything the emulator serves for the REST API `api` (the stage
/// named `stage`, or the API's only stage).
///
/// # Errors
/// A one-line message naming the call or the setting the emulator cannot
/// reproduce.
pub async fn read(
    apigw: &aws_sdk_apigateway::Client,
    lambda: &aws_sdk_lambda::Client,
    api: &str,
    stage: &str,
) -> crate::Result<RestRegistered> {
    let mut pages = apigw
        .get_resources()
        .rest_api_id(api)
        .embed("methods")
        .into_paginator()
        .items()
        .send();
    let mut routes = Vec::new();
    let mut authorizers: BTreeMap<String, RestAuthorizer> = BTreeMap::new();
    while let Some(resource) = pages.next().await {
        let resource = resource.map_err(|e| {
            crate::Error::aws_about("API Gateway", "GetResources", e, format!("REST API {api}"))
        })?;
        let path = resource.path().unwrap_or("/").to_owned();
        let mut methods: Vec<_> = resource.resource_methods().into_iter().flatten().collect();
        methods.sort_by(|a, b| a.0.cmp(b.0));
        for (verb, method) in methods {
            let key = format!("{verb} {path}");
            let kind = method.authorization_type().unwrap_or("NONE");
            let mut route = RouteConfig::new(key.clone(), kind != "NONE");
            route.resource_id = resource.id().map(str::to_owned);
            match kind {
                "NONE" => {}
                "CUSTOM" => {
                    let id = method.authorizer_id().unwrap_or_default().to_owned();
                    if !authorizers.contains_key(&id) {
                        let a = authorizer(apigw, api, &id).await?;
                        authorizers.insert(id.clone(), a);
                    }
                    route.authorizer = authorizers.get(&id).map(|a| a.route.clone());
                }
                other => {
                    return Err(crate::Error::unavailable(format!(
                        "method {key:?} uses {other} authorization: the emulator runs Lambda authorizers"
                    )))
                }
            }
            routes.push(route);
        }
    }
    if routes.is_empty() {
        return Err(crate::Error::unavailable(format!(
            "REST API {api} has no methods (GetResources)"
        )));
    }
    routes.sort_by(|a, b| a.key.cmp(&b.key));
    let mut functions: Vec<&str> = authorizers.values().map(|a| a.function.as_str()).collect();
    functions.dedup();
    let function = match functions.as_slice() {
        [one] => (*one).to_owned(),
        [] => {
            return Err(crate::Error::unavailable(format!(
                "no method of REST API {api} uses a Lambda authorizer"
            )))
        }
        many => {
            return Err(crate::Error::unavailable(format!(
                "the authorizers of REST API {api} invoke functions {}: the emulator runs one",
                many.join(", ")
            )))
        }
    };

    let stages = apigw
        .get_stages()
        .rest_api_id(api)
        .send()
        .await
        .map_err(|e| {
            crate::Error::aws_about("API Gateway", "GetStages", e, format!("REST API {api}"))
        })?;
    let names: Vec<&str> = stages
        .item()
        .iter()
        .filter_map(|s| s.stage_name())
        .collect();
    let stage = pick_stage(&format!("REST API {api}"), &names, stage)?;
    let limits = method_throttling(apigw, api, &stage).await?.limits(&routes);
    let settings = read_function(lambda, &function).await?;
    Ok(RestRegistered {
        routes,
        stage,
        limits,
        function,
        settings,
    })
}

/// Applies what was read onto the emulator's settings.
pub fn apply(cfg: &mut GatewayConfig, r: &RestRegistered) {
    cfg.api_type = ApiType::Rest;
    cfg.routes = with_route_limits(&r.routes, &r.limits);
    cfg.stage.clone_from(&r.stage);
    cfg.rate = r.limits.default.map(|l| l.0);
    cfg.burst = r.limits.default.map(|l| l.1);
    cfg.env.clone_from(&r.settings.env);
    cfg.memory_mb = r.settings.memory_mb;
    cfg.lambda_function = Some(r.function.clone());
    cfg.log_group = Some(r.settings.log_group.clone());
    // REST authorizers answer with an IAM policy.
    cfg.simple_responses = false;
    if cfg.lambda_endpoint_url.is_none() {
        cfg.lambda_endpoint_url.clone_from(&cfg.endpoint_url);
    }
    if cfg.logs_endpoint_url.is_none() {
        cfg.logs_endpoint_url.clone_from(&cfg.endpoint_url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
