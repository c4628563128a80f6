//! The emulator as the data plane of a REST API (API Gateway v1) registered
//! in a control plane: `harness gateway --rest-api-id ID --endpoint-url URL`
//! reads the resources and their methods (`GetResources`, methods
//! embedded), each method's authorizer (`GetAuthorizer`: type, identity
//! source, validation expression, TTL, function), the stage's method
//! throttling (`GetStage` method settings) and the function (Lambda
//! `GetFunctionConfiguration`), once at start. The function's
//! configuration is followed while serving, as for HTTP APIs; the API's is
//! not (restart the emulator after changing it).

use super::control_plane::with_route_limits;
use crate::apigw::{
    method_throttling, pick_stage, read_function, rest_authorizer, FunctionSettings,
    RestAuthorizer, StageLimits,
};
use crate::config::{ApiType, GatewayConfig, RouteConfig};
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

/// Reads everything the emulator serves for the REST API `api` (the stage
/// named `stage`, or the API's only stage).
///
/// # Errors
/// A one-line message naming the call or the setting the emulator cannot
/// reproduce.
pub async fn read_rest_api(
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
                        let a = rest_authorizer(apigw, api, &id).await?;
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
pub fn apply_rest_api(cfg: &mut GatewayConfig, r: &RestRegistered) {
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
