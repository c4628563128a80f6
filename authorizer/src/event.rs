//! API Gateway events in, API Gateway responses out: the only module that
//! knows their JSON. The event shape is detected from the event itself:
//!
//! | event | detected by | allow | deny |
//! |---|---|---|---|
//! | HTTP API, payload 2.0 | `version` `"2.0"`, `type` `REQUEST` | `{"isAuthorized":true,"context"}` or an Allow policy (`JWT_RESPONSE_FORMAT=policy`) | `{"isAuthorized":false}` or a Deny policy |
//! | HTTP API, payload 1.0 | `version` `"1.0"`, `methodArn` | Allow policy | Deny policy |
//! | REST API TOKEN | `type` `TOKEN`, no `version` | Allow policy | function error `Unauthorized` (→ 401) |
//! | REST API REQUEST | `type` `REQUEST`, `methodArn`, no `version` | Allow policy | function error `Unauthorized` (→ 401) |
//!
//! Policies allow the whole stage (`…/apiId/stage/*/*`), so one cached
//! result serves every route.

use crate::authorizer::{AuthRequest, Authorizer, Decision, Outcome};
use crate::claims::UnixTime;
use crate::config::ResponseFormat;
use crate::reason::RejectReason;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// Largest event the authorizer reads (256 KiB). API Gateway's authorizer
/// events carry at most the request line, headers (10 KB on HTTP APIs) and
/// request context, a few KB once JSON-encoded; anything larger is a direct
/// invocation and is refused before a JSON tree is built.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// Why a raw event was refused before parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over [`MAX_EVENT_BYTES`].
    TooLarge,
    /// Not UTF-8.
    InvalidUtf8,
    /// Not one JSON value (lone surrogates, out-of-range numbers, nesting of
    /// 128+ levels, trailing text…).
    InvalidJson,
}

/// The member that marks a refused event, replacing the event's content.
const REFUSED_MARKER: &str = "authorizer:refused_event";

impl Refusal {
    /// Label for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::TooLarge => "too_large",
            Refusal::InvalidUtf8 => "invalid_utf8",
            Refusal::InvalidJson => "invalid_json",
        }
    }

    /// The small JSON event that stands in for a refused one. It matches no
    /// API Gateway shape, so [`handle`] denies it with `bad_event`.
    pub const fn marker_event(self) -> &'static str {
        match self {
            Refusal::TooLarge => r#"{"authorizer:refused_event":"too_large"}"#,
            Refusal::InvalidUtf8 => r#"{"authorizer:refused_event":"invalid_utf8"}"#,
            Refusal::InvalidJson => r#"{"authorizer:refused_event":"invalid_json"}"#,
        }
    }

    /// The refusal a marker event stands for.
    pub fn of_marker(event: &Value) -> Option<Self> {
        match s(event, REFUSED_MARKER)? {
            "too_large" => Some(Refusal::TooLarge),
            "invalid_utf8" => Some(Refusal::InvalidUtf8),
            "invalid_json" => Some(Refusal::InvalidJson),
            _ => None,
        }
    }
}

/// Checks a raw event before it is deserialized: size first (no work on
/// anything larger), then UTF-8, then that it is exactly one JSON value as
/// serde_json reads it (the same parse the runtime then does).
///
/// # Errors
/// The [`Refusal`].
pub fn screen(raw: &[u8]) -> Result<(), Refusal> {
    if raw.len() > MAX_EVENT_BYTES {
        return Err(Refusal::TooLarge);
    }
    if std::str::from_utf8(raw).is_err() {
        return Err(Refusal::InvalidUtf8);
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(_) => Ok(()),
        Err(_) => Err(Refusal::InvalidJson),
    }
}

/// The event shapes the authorizer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// HTTP API, payload format 2.0.
    HttpV2,
    /// HTTP API, payload format 1.0.
    HttpV1,
    /// REST API TOKEN authorizer.
    RestToken,
    /// REST API REQUEST authorizer.
    RestRequest,
    /// Anything else.
    Unknown,
}

impl EventKind {
    /// Label for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::HttpV2 => "http_v2",
            EventKind::HttpV1 => "http_v1",
            EventKind::RestToken => "rest_token",
            EventKind::RestRequest => "rest_request",
            EventKind::Unknown => "unknown",
        }
    }
}

/// The REST convention for "deny": the function fails with exactly
/// `Unauthorized`, which API Gateway turns into 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unauthorized;

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unauthorized")
    }
}

impl std::error::Error for Unauthorized {}

/// The result of handling one event.
#[derive(Debug)]
pub struct Handled {
    /// What to return to the Lambda runtime: the response's JSON text (an
    /// allow's context is copied into it as the grant holds it).
    pub response: Result<Box<RawValue>, Unauthorized>,
    /// The decision and its details.
    pub outcome: Outcome,
    /// The detected event shape.
    pub kind: EventKind,
}

impl Handled {
    /// The response as a JSON value (for tests and tools; the Lambda
    /// binary sends [`Handled::response`]'s text as it is).
    ///
    /// # Errors
    /// [`Unauthorized`]: the answer is the function error.
    pub fn response_json(&self) -> Result<Value, Unauthorized> {
        let text = self.response.as_ref().map_err(|u| *u)?;
        serde_json::from_str(text.get()).map_err(|_| Unauthorized)
    }
}

/// The pieces of an event the authorizer needs.
#[derive(Clone, Copy)]
struct Parts<'a> {
    kind: EventKind,
    authorization: Option<&'a str>,
    resource_arn: Option<&'a str>,
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn detect(event: &Value) -> Parts<'_> {
    let version = s(event, "version");
    let ty = s(event, "type");
    let headers = event.get("headers");
    match (version, ty) {
        (Some("2.0"), Some("REQUEST")) => Parts {
            kind: EventKind::HttpV2,
            authorization: header(headers, "authorization").or_else(|| {
                event
                    .get("identitySource")
                    .and_then(|v| v.get(0))
                    .and_then(Value::as_str)
            }),
            resource_arn: s(event, "routeArn"),
        },
        (Some("1.0"), Some("REQUEST")) => Parts {
            kind: EventKind::HttpV1,
            authorization: header(headers, "authorization"),
            resource_arn: s(event, "methodArn"),
        },
        (None, Some("TOKEN")) => Parts {
            kind: EventKind::RestToken,
            authorization: s(event, "authorizationToken"),
            resource_arn: s(event, "methodArn"),
        },
        (None, Some("REQUEST")) if event.get("methodArn").is_some() => Parts {
            kind: EventKind::RestRequest,
            authorization: header(headers, "authorization"),
            resource_arn: s(event, "methodArn"),
        },
        _ => Parts {
            kind: EventKind::Unknown,
            authorization: None,
            resource_arn: None,
        },
    }
}

/// Case-insensitive header lookup.
fn header<'a>(headers: Option<&'a Value>, name: &str) -> Option<&'a str> {
    headers?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// `arn:aws:execute-api:region:account:apiId/stage/METHOD/path` →
/// `arn:aws:execute-api:region:account:apiId/stage/*/*`.
pub fn stage_wildcard(arn: &str) -> Option<String> {
    let mut slashes = arn.match_indices('/').map(|(i, _)| i);
    let _api_end = slashes.next()?;
    let stage_end = slashes.next().unwrap_or(arn.len());
    let prefix = &arn[..stage_end];
    let api = prefix.split('/').nth(1)?;
    (prefix.starts_with("arn:") && !api.is_empty()).then(|| format!("{prefix}/*/*"))
}

/// Handles one Lambda event at time `now`. Never panics, never fails except
/// with the REST `Unauthorized` convention.
pub fn handle(auth: &Authorizer, event: &Value, now: UnixTime) -> Handled {
    let parts = detect(event);
    let mut outcome = if parts.kind == EventKind::Unknown {
        Outcome {
            decision: Decision::Deny(RejectReason::BadEvent),
            cache_hit: false,
            key: None,
            verify_time: None,
        }
    } else {
        auth.decide_detailed(
            &AuthRequest {
                authorization: parts.authorization,
            },
            now,
        )
    };
    // An allow needs a resource to put in the policy.
    let policy_resource = parts.resource_arn.and_then(stage_wildcard);
    let needs_policy = match parts.kind {
        EventKind::HttpV2 => auth.response_format() == ResponseFormat::Policy,
        EventKind::HttpV1 | EventKind::RestToken | EventKind::RestRequest => true,
        EventKind::Unknown => false,
    };
    if needs_policy && policy_resource.is_none() && outcome.decision.is_allow() {
        outcome.decision = Decision::Deny(RejectReason::BadEvent);
    }
    let response = respond(
        parts.kind,
        needs_policy,
        &outcome.decision,
        policy_resource.as_deref(),
    );
    Handled {
        response,
        outcome,
        kind: parts.kind,
    }
}

fn respond(
    kind: EventKind,
    policy: bool,
    decision: &Decision,
    resource: Option<&str>,
) -> Result<Box<RawValue>, Unauthorized> {
    let resource = resource.unwrap_or("*");
    let text = match (decision, kind, policy) {
        (Decision::Deny(_), EventKind::RestToken | EventKind::RestRequest, _) => {
            return Err(Unauthorized)
        }
        (Decision::Allow(grant), _, true) => serde_json::value::to_raw_value(&PolicyResponse::new(
            grant.sub.as_deref().unwrap_or("anonymous"),
            "Allow",
            resource,
            &*grant.context,
        )),
        (Decision::Allow(grant), _, false) => serde_json::value::to_raw_value(&SimpleResponse {
            is_authorized: true,
            context: &*grant.context,
        }),
        (Decision::Deny(reason), _, true) => serde_json::value::to_raw_value(&PolicyResponse::new(
            "unauthorized",
            "Deny",
            resource,
            ReasonContext::of(*reason),
        )),
        (Decision::Deny(reason), _, false) => serde_json::value::to_raw_value(&SimpleResponse {
            is_authorized: false,
            context: ReasonContext::of(*reason),
        }),
    };
    // Writing strings and raw JSON cannot fail; if it ever did, the answer
    // is the one that grants nothing.
    text.map_err(|_| Unauthorized)
}

/// An HTTP API's simple response (payload 2.0).
#[derive(Serialize)]
struct SimpleResponse<C> {
    #[serde(rename = "isAuthorized")]
    is_authorized: bool,
    context: C,
}

/// A deny's context: `{"reason": "…"}`.
#[derive(Serialize)]
struct ReasonContext {
    reason: &'static str,
}

impl ReasonContext {
    fn of(reason: RejectReason) -> Self {
        Self {
            reason: reason.as_str(),
        }
    }
}

/// An IAM policy response, one statement for `execute-api:Invoke`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyResponse<'a, C> {
    principal_id: &'a str,
    policy_document: PolicyDocument<'a>,
    context: C,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDocument<'a> {
    version: &'static str,
    statement: [Statement<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Statement<'a> {
    action: &'static str,
    effect: &'a str,
    resource: &'a str,
}

impl<'a, C> PolicyResponse<'a, C> {
    fn new(principal_id: &'a str, effect: &'a str, resource: &'a str, context: C) -> Self {
        Self {
            principal_id,
            policy_document: PolicyDocument {
                version: "2012-10-17",
                statement: [Statement {
                    action: "execute-api:Invoke",
                    effect,
                    resource,
                }],
            },
            context,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stage_wildcard_covers_the_stage() {
        assert_eq!(
            stage_wildcard(
                "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/hello/world"
            )
            .as_deref(),
            Some("arn:aws:execute-api:us-east-1:123456789012:abc123/$default/*/*")
        );
        assert_eq!(
            stage_wildcard("arn:aws:execute-api:eu-west-1:1:api/dev/GET/").as_deref(),
            Some("arn:aws:execute-api:eu-west-1:1:api/dev/*/*")
        );
        assert_eq!(
            stage_wildcard("arn:aws:execute-api:eu-west-1:1:api/dev").as_deref(),
            Some("arn:aws:execute-api:eu-west-1:1:api/dev/*/*")
        );
        assert_eq!(stage_wildcard("nonsense"), None);
        assert_eq!(stage_wildcard("x/y/z"), None);
    }

    #[test]
    fn detects_shapes() {
        let v2 = json!({"version":"2.0","type":"REQUEST","headers":{"Authorization":"Bearer a"},"routeArn":"arn:x"});
        let p = detect(&v2);
        assert_eq!(
            (p.kind, p.authorization),
            (EventKind::HttpV2, Some("Bearer a"))
        );
        let v2_fallback = json!({"version":"2.0","type":"REQUEST","identitySource":["Bearer b"]});
        assert_eq!(detect(&v2_fallback).authorization, Some("Bearer b"));
        let tok = json!({"type":"TOKEN","authorizationToken":"Bearer c","methodArn":"arn:y"});
        assert_eq!(detect(&tok).kind, EventKind::RestToken);
        let req = json!({"type":"REQUEST","methodArn":"arn:y","headers":{"AUTHORIZATION":"d"}});
        let p = detect(&req);
        assert_eq!(
            (p.kind, p.authorization),
            (EventKind::RestRequest, Some("d"))
        );
        let v1 = json!({"version":"1.0","type":"REQUEST","methodArn":"arn:y","headers":{}});
        assert_eq!(detect(&v1).kind, EventKind::HttpV1);
        for junk in [
            json!(null),
            json!([]),
            json!({"version":"3.0","type":"REQUEST"}),
            json!({"type":"REQUEST"}),
            json!("x"),
        ] {
            assert_eq!(detect(&junk).kind, EventKind::Unknown, "{junk}");
        }
    }
}
