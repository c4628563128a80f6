//! The integration behind an allowed request: the upstream, or an echo of
//! the route and the authorizer's context.

use super::authorize::authorizer_context;
use super::http::{json_response, message, Received};
use super::state::State;
use crate::config::RouteConfig;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

pub(super) async fn integrate(
    req: &Received,
    state: &State,
    rid: &str,
    route: &RouteConfig,
    params: &std::collections::BTreeMap<String, String>,
    granted: Option<(Value, Value)>,
) -> Response<Full<Bytes>> {
    let route_key = route.key.as_str();
    let authorizer = authorizer_context(state.cfg.api_type, granted);
    if let (Some(client), Some(base)) = (&state.upstream, &state.cfg.upstream) {
        let url = format!(
            "{}{}{}{}",
            base.trim_end_matches('/'),
            req.path,
            if req.query.is_empty() { "" } else { "?" },
            req.query
        );
        let method =
            reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut r = client.request(method, url).body(req.body.clone());
        for (k, v) in &req.headers {
            if !matches!(
                k.as_str(),
                "host" | "connection" | "content-length" | "transfer-encoding"
            ) {
                r = r.header(k, v);
            }
        }
        r = r.header("x-apigw-authorizer-context", authorizer.to_string());
        return match r.send().await {
            Ok(resp) => {
                let status =
                    StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
                let body = resp.bytes().await.unwrap_or_default();
                let mut out = Response::new(Full::new(body));
                *out.status_mut() = status;
                if let Ok(v) = hyper::header::HeaderValue::from_str(rid) {
                    out.headers_mut().insert("apigw-requestid", v);
                }
                out
            }
            Err(e) if e.is_timeout() => {
                message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", rid)
            }
            Err(_) => message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                rid,
            ),
        };
    }
    let echo = json!({
        "message": "Hello from the local integration",
        "routeKey": route_key,
        "rawPath": req.path,
        "rawQueryString": req.query,
        "pathParameters": params,
        "requestContext": { "requestId": rid, "authorizer": authorizer },
    });
    json_response(StatusCode::OK, &echo, rid)
}
