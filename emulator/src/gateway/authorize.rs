//! The authorizer call: the result cache, the invocation through the
//! environment pool, and the answer interpreted (error, timeout or
//! malformed → 500; deny → 403; allow → the integration's context).

use super::event::{build_event, Call};
use super::pool::InvokeFailure;
use super::state::{Cached, State};
use crate::config::{ApiType, GatewayConfig, PayloadVersion};
use crate::lambda::InvokeResult;
use bytes::Bytes;
use hyper::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The authorizer a route uses, with its settings resolved.
pub(super) struct Effective<'a> {
    /// Cache namespace (the authorizer's id; empty for the gateway-wide one).
    pub(super) id: &'a str,
    pub(super) payload: PayloadVersion,
    pub(super) identity_sources: &'a [String],
    pub(super) ttl: u64,
    pub(super) validation: Option<&'a regex_lite::Regex>,
}

pub(super) async fn authorize(
    call: Call<'_>,
    auth: &Effective<'_>,
    state: &State,
) -> Result<Cached, StatusCode> {
    let Call { rid, identity, .. } = call;
    let cfg = &state.cfg;
    // API Gateway caches per authorizer: the TOKEN, or the identity values.
    let key = format!("{}\u{0}{}", auth.id, identity.join("\u{0}"));
    let ttl = auth.ttl;
    if ttl > 0 {
        let hit = state.cache.lock().ok().and_then(|c| {
            c.get(&key)
                .filter(|(exp, _)| Instant::now() < *exp)
                .map(|(_, v)| v.clone())
        });
        state.stats.cache(hit.is_some());
        if let Some(v) = hit {
            return Ok(v);
        }
    }
    let event = build_event(call, auth.payload, state);
    let answered = match state.pool.invoke(Bytes::from(event.to_string())).await {
        Ok(a) => a,
        Err(InvokeFailure::Throttled) => {
            state.stats.lambda_throttle();
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Err(InvokeFailure::Init(e)) => {
            state.stats.failed_init();
            eprintln!("INIT_FAILURE {e}");
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Err(InvokeFailure::Failed(e, cold_init)) => {
            if let Some(init) = cold_init {
                state.stats.cold_start(init);
            }
            state.stats.function_error();
            eprintln!("INVOKE_FAILURE RequestId: {rid} {e}");
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let inv = &answered.invocation;
    if let Some(init) = answered.cold_init {
        state.stats.cold_start(init);
    }
    state.stats.invocation(inv.duration, answered.max_rss_kib);
    if cfg.log_reports || state.logs.is_some() {
        let ms = inv.duration.as_secs_f64() * 1000.0;
        let init = answered
            .cold_init
            .map(|d| format!("\tInit Duration: {:.2} ms", d.as_secs_f64() * 1000.0))
            .unwrap_or_default();
        let report = format!(
            "REPORT RequestId: {}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB{init}",
            inv.request_id,
            ms.ceil() as u64,
            cfg.memory_mb,
            answered.max_rss_kib.map_or(0, |k| k.div_ceil(1024)),
        );
        if let Some((sink, stream)) = &state.logs {
            let _ = sink.send(crate::cwlogs::LogRecord {
                stream: stream.clone(),
                timestamp_ms: crate::civil_time::now_ms(),
                message: report.clone(),
            });
        }
        if cfg.log_reports {
            eprintln!("{report}");
        }
    }
    let verdict = match &inv.result {
        InvokeResult::FunctionError { message, .. } => {
            state.stats.function_error();
            let status = if message == "Unauthorized" {
                if auth.payload.rest() {
                    401
                } else {
                    cfg.unauthorized_error_status
                }
            } else {
                500
            };
            return Err(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        }
        InvokeResult::Response(body) => interpret(body, auth.payload, cfg).ok_or_else(|| {
            state.stats.function_error();
            StatusCode::INTERNAL_SERVER_ERROR
        })?,
    };
    if ttl > 0 {
        if let Ok(mut c) = state.cache.lock() {
            if c.len() >= 100_000 {
                c.clear();
            }
            c.insert(
                key,
                (Instant::now() + Duration::from_secs(ttl), verdict.clone()),
            );
        }
    }
    Ok(verdict)
}

/// Reads the authorizer's answer; `None` for anything malformed.
pub(super) fn interpret(
    body: &[u8],
    payload: PayloadVersion,
    cfg: &GatewayConfig,
) -> Option<Cached> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let context = match v.get("context") {
        None | Some(Value::Null) => json!({}),
        Some(c @ Value::Object(_)) => c.clone(),
        Some(_) => return None,
    };
    // REST: context values are strings, numbers or booleans; anything else
    // is AUTHORIZER_CONFIGURATION_ERROR (500).
    if payload.rest()
        && context
            .as_object()
            .is_some_and(|m| m.values().any(|x| x.is_object() || x.is_array()))
    {
        return None;
    }
    let simple_ok = payload == PayloadVersion::V2 && cfg.simple_responses;
    if simple_ok {
        if let Some(a) = v.get("isAuthorized") {
            // A non-boolean isAuthorized is malformed (→ 500).
            return a.as_bool().map(|allow| Cached::Simple { allow, context });
        }
        if !cfg.accept_policy_with_simple {
            return None;
        }
    }
    let document = v.get("policyDocument")?;
    if !document.is_object() {
        return None;
    }
    Some(Cached::Policy {
        document: document.clone(),
        context,
        principal: v.get("principalId").cloned().unwrap_or(Value::Null),
    })
}

/// The integration's view of what the authorizer granted: HTTP APIs nest
/// the context under `lambda`; REST flattens it beside `principalId`.
pub(super) fn authorizer_context(api: ApiType, granted: Option<(Value, Value)>) -> Value {
    let (context, principal) = granted.unwrap_or((Value::Null, Value::Null));
    match api {
        ApiType::Http => json!({ "lambda": context }),
        ApiType::Rest => {
            let mut flat = context.as_object().cloned().unwrap_or_default();
            if !principal.is_null() {
                flat.insert("principalId".into(), principal);
            }
            Value::Object(flat)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpret_answers() {
        let cfg = GatewayConfig::default();
        // REST: a policy only, with a flat context.
        let policy = br#"{"principalId":"p","policyDocument":{"Statement":[]},"context":{"a":"1","n":2,"b":true}}"#;
        for rest in [PayloadVersion::V1Token, PayloadVersion::RestRequest] {
            assert!(matches!(
                interpret(policy, rest, &cfg),
                Some(Cached::Policy { principal, .. }) if principal == "p"
            ));
            assert!(interpret(br#"{"isAuthorized":true}"#, rest, &cfg).is_none());
            assert!(interpret(
                br#"{"principalId":"p","policyDocument":{"Statement":[]},"context":{"a":{"b":1}}}"#,
                rest,
                &cfg
            )
            .is_none());
        }
        assert!(matches!(
            interpret(
                br#"{"isAuthorized":true,"context":{"a":1}}"#,
                PayloadVersion::V2,
                &cfg
            ),
            Some(Cached::Simple { allow: true, .. })
        ));
        assert!(
            interpret(br#"{"isAuthorized":"true"}"#, PayloadVersion::V2, &cfg).is_none(),
            "non-boolean is malformed"
        );
        assert!(interpret(b"not json", PayloadVersion::V2, &cfg).is_none());
        assert!(interpret(
            br#"{"isAuthorized":true,"context":[1]}"#,
            PayloadVersion::V2,
            &cfg
        )
        .is_none());
        assert!(matches!(
            interpret(
                br#"{"principalId":"x","policyDocument":{"Statement":[]}}"#,
                PayloadVersion::V2,
                &cfg
            ),
            Some(Cached::Policy { .. })
        ));
        let strict = GatewayConfig {
            accept_policy_with_simple: false,
            ..GatewayConfig::default()
        };
        assert!(interpret(
            br#"{"principalId":"x","policyDocument":{"Statement":[]}}"#,
            PayloadVersion::V2,
            &strict
        )
        .is_none());
    }
}
