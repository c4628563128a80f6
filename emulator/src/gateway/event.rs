//! The authorizer's event: identity sources resolved from the request, and
//! the payload built for HTTP APIs (2.0, 1.0 TOKEN) and REST APIs (REQUEST)
//! as `apigw-lambda-spec.md` describes it.

use super::http::{header_value, percent_decode, query_params, Received};
use super::state::State;
use crate::config::{GatewayConfig, PayloadVersion, RouteConfig};
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;

/// One request on its way to the authorizer.
#[derive(Clone, Copy)]
pub(super) struct Call<'a> {
    pub(super) req: &'a Received,
    pub(super) rid: &'a str,
    pub(super) identity: &'a [String],
    pub(super) route: &'a RouteConfig,
    pub(super) route_arn: &'a str,
    pub(super) params: &'a std::collections::BTreeMap<String, String>,
    pub(super) now_ms: i64,
}

pub(super) fn resolve_identity(
    src: &str,
    req: &Received,
    route_key: &str,
    cfg: &GatewayConfig,
) -> Option<String> {
    if let Some(h) = src
        .strip_prefix("$request.header.")
        .or_else(|| src.strip_prefix("method.request.header."))
    {
        return header_value(req, h);
    }
    if let Some(q) = src
        .strip_prefix("$request.querystring.")
        .or_else(|| src.strip_prefix("method.request.querystring."))
    {
        return query_params(&req.query)
            .get(q)
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    let context = src
        .strip_prefix("$context.")
        .or_else(|| src.strip_prefix("context."));
    match context {
        Some("routeKey") => Some(route_key.to_owned()),
        Some("resourcePath") => route_key.split_once(' ').map(|(_, p)| p.to_owned()),
        Some("stage") => Some(cfg.stage.clone()),
        Some("httpMethod") => Some(req.method.clone()),
        Some("path") => Some(req.path.clone()),
        Some("identity.sourceIp") => Some(req.peer.ip().to_string()),
        _ => None, // unknown context variables and stage variables: absent
    }
}

pub(super) fn build_event(call: Call<'_>, payload: PayloadVersion, state: &State) -> Value {
    let Call {
        req,
        rid,
        identity,
        route,
        route_arn,
        params,
        now_ms,
    } = call;
    let route_key = route.key.as_str();
    let cfg = &state.cfg;
    match payload {
        PayloadVersion::V1Token => {
            return json!({ "type": "TOKEN", "authorizationToken": identity.first(), "methodArn": route_arn });
        }
        PayloadVersion::RestRequest => return rest_request_event(call, state),
        PayloadVersion::V2 => {}
    }
    let mut headers = Map::new();
    let mut cookies: Vec<String> = Vec::new();
    for (k, v) in &req.headers {
        if k == "cookie" {
            cookies.extend(
                v.split(';')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        match headers.get_mut(k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(v);
            }
            _ => {
                headers.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    let host = header_value(req, "host")
        .unwrap_or_else(|| format!("{}.execute-api.{}.amazonaws.com", cfg.api_id, cfg.region));
    headers
        .entry("x-forwarded-for")
        .or_insert_with(|| Value::String(req.peer.ip().to_string()));
    headers
        .entry("x-forwarded-port")
        .or_insert_with(|| Value::String(req.peer.port().to_string()));
    headers
        .entry("x-forwarded-proto")
        .or_insert_with(|| Value::String("http".into()));
    headers.entry("x-amzn-trace-id").or_insert_with(|| {
        Value::String(format!(
            "Root=1-{:08x}-{:024x}",
            now_ms / 1000,
            state.seq.load(Ordering::Relaxed)
        ))
    });
    let user_agent = header_value(req, "user-agent").unwrap_or_default();
    let mut ev = json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn,
        "identitySource": identity,
        "routeKey": route_key,
        "rawPath": req.path,
        "rawQueryString": req.query,
        "headers": headers,
        "requestContext": {
            "accountId": cfg.account_id,
            "apiId": cfg.api_id,
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or(""),
            "http": { "method": req.method, "path": req.path, "protocol": "HTTP/1.1", "sourceIp": req.peer.ip().to_string(), "userAgent": user_agent },
            "requestId": rid,
            "routeKey": route_key,
            "stage": cfg.stage,
            "time": crate::civil_time::clf_time(now_ms / 1000),
            "timeEpoch": now_ms,
        },
    });
    if !cookies.is_empty() {
        ev["cookies"] = json!(cookies);
    }
    let q = query_params(&req.query);
    if !q.is_empty() {
        ev["queryStringParameters"] = Value::Object(q);
    }
    if !params.is_empty() {
        ev["pathParameters"] = json!(params);
    }
    ev
}

/// The REST REQUEST authorizer event (`apigw-lambda-spec.md` §3). Header
/// names arrive lowercased (the emulator's HTTP stack normalises them);
/// API Gateway keeps the client's case.
pub(super) fn rest_request_event(call: Call<'_>, state: &State) -> Value {
    let cfg = &state.cfg;
    let req = call.req;
    let resource = call
        .route
        .key
        .split_once(' ')
        .map_or("/", |(_, p)| p)
        .to_owned();
    let path = req
        .path
        .strip_prefix(&format!("/{}", cfg.stage))
        .filter(|p| p.is_empty() || p.starts_with('/'))
        .unwrap_or(&req.path);
    let mut headers = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in &req.headers {
        headers.insert(k.clone(), Value::String(v.clone()));
        match multi.get_mut(k) {
            Some(Value::Array(vs)) => vs.push(Value::String(v.clone())),
            _ => {
                multi.insert(k.clone(), json!([v]));
            }
        }
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for pair in req.query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        query.insert(k.clone(), Value::String(v.clone()));
        match multi_query.get_mut(&k) {
            Some(Value::Array(vs)) => vs.push(Value::String(v)),
            _ => {
                multi_query.insert(k, json!([v]));
            }
        }
    }
    json!({
        "type": "REQUEST",
        "methodArn": call.route_arn,
        "resource": resource,
        "path": if path.is_empty() { "/" } else { path },
        "httpMethod": req.method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": call.params,
        "stageVariables": {},
        "requestContext": {
            "path": req.path,
            "accountId": cfg.account_id,
            "resourceId": call.route.resource_id.clone().unwrap_or_default(),
            "stage": cfg.stage,
            "requestId": call.rid,
            "identity": {
                "apiKey": null,
                "sourceIp": req.peer.ip().to_string(),
                "userAgent": header_value(req, "user-agent"),
                "clientCert": null,
            },
            "resourcePath": resource,
            "httpMethod": req.method,
            "apiId": cfg.api_id,
            "requestTimeEpoch": call.now_ms,
        },
    })
}
