//! One request's walk: match the route → throttle → resolve identity sources
//! → the authorizer (cache, invoke, interpret) → the integration.

use super::authorize::{authorize, Effective};
use super::event::{resolve_identity, Call};
use super::http::{failure, json_response, message, Received};
use super::integrate::integrate;
use super::policy;
use super::routes;
use super::state::{Cached, State};
use crate::config::ApiType;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

pub(super) async fn pipeline(req: &Received, state: &State, rid: &str) -> Response<Full<Bytes>> {
    let cfg = &state.cfg;
    let rest = cfg.api_type == ApiType::Rest;
    // REST answers an unknown resource or method with 403 (gateway
    // response MISSING_AUTHENTICATION_TOKEN); HTTP APIs with 404.
    let not_found = || {
        if rest {
            message(StatusCode::FORBIDDEN, "Missing Authentication Token", rid)
        } else {
            message(StatusCode::NOT_FOUND, "Not Found", rid)
        }
    };
    // Named stages are served under /{stage}/; rawPath keeps the prefix.
    let route_path = if cfg.stage == "$default" {
        req.path.as_str()
    } else {
        match req.path.strip_prefix(&format!("/{}", cfg.stage)) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
            _ => return not_found(),
        }
    };
    let Some(matched) = routes::best(&state.routes, &req.method, route_path) else {
        return not_found();
    };
    let route_cfg = &cfg.routes[matched.index];

    // Throttling: the route (or stage default) bucket inside the account bucket.
    let route_bucket = state.route_buckets[matched.index].as_ref();
    if let Some(b) = route_bucket {
        if !b.try_take() {
            return message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", rid);
        }
    }
    if let Some(acct) = &state.account {
        if !acct.try_take() {
            if let Some(b) = route_bucket {
                b.give_back();
            }
            return message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", rid);
        }
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now_ms = now.as_millis() as i64;
    let route_arn = format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
        cfg.region,
        cfg.account_id,
        cfg.api_id,
        cfg.stage,
        req.method,
        route_path.trim_start_matches('/')
    );
    let mut granted = None;
    if route_cfg.authorized {
        let auth = match &route_cfg.authorizer {
            Some(a) => Effective {
                id: &a.id,
                payload: a.payload,
                identity_sources: &a.identity_sources,
                ttl: a.ttl_seconds,
                validation: state.validations[matched.index].as_ref(),
            },
            None => Effective {
                id: "",
                payload: cfg.payload,
                identity_sources: &cfg.identity_sources,
                ttl: state.ttl.load(Ordering::SeqCst),
                validation: None,
            },
        };
        // Identity sources: any missing or empty → 401 without invoking;
        // a TOKEN that fails the validation expression likewise.
        let mut identity = Vec::with_capacity(auth.identity_sources.len());
        for src in auth.identity_sources {
            match resolve_identity(src, req, &route_cfg.key, cfg) {
                Some(v) if !v.is_empty() => identity.push(v),
                _ => return message(StatusCode::UNAUTHORIZED, "Unauthorized", rid),
            }
        }
        if let (Some(re), Some(token)) = (auth.validation, identity.first()) {
            if !re.is_match(token) {
                return message(StatusCode::UNAUTHORIZED, "Unauthorized", rid);
            }
        }
        let call = Call {
            req,
            rid,
            identity: &identity,
            route: route_cfg,
            route_arn: &route_arn,
            params: &matched.params,
            now_ms,
        };
        let verdict = match authorize(call, &auth, state).await {
            Ok(v) => v,
            Err(status) => return failure(status, rest, rid),
        };
        let (access, ctx, principal) = match verdict {
            Cached::Simple { allow, context } => (
                if allow {
                    policy::Access::Allow
                } else {
                    policy::Access::ImplicitDeny
                },
                context,
                Value::Null,
            ),
            Cached::Policy {
                document,
                context,
                principal,
            } => match policy::evaluate(&document, &route_arn) {
                Some(a) => (a, context, principal),
                None => return failure(StatusCode::INTERNAL_SERVER_ERROR, rest, rid),
            },
        };
        match (access, rest) {
            (policy::Access::Allow, _) => {}
            (_, false) => return message(StatusCode::FORBIDDEN, "Forbidden", rid),
            (policy::Access::ExplicitDeny, true) => {
                return json_response(
                    StatusCode::FORBIDDEN,
                    &json!({ "Message": "User is not authorized to access this resource with an explicit deny" }),
                    rid,
                )
            }
            (policy::Access::ImplicitDeny, true) => {
                return json_response(
                    StatusCode::FORBIDDEN,
                    &json!({ "Message": "User is not authorized to access this resource" }),
                    rid,
                )
            }
        }
        granted = Some((ctx, principal));
    }
    integrate(req, state, rid, route_cfg, &matched.params, granted).await
}
