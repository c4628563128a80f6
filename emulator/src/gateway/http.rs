//! HTTP plumbing: the request as the pipeline sees it, JSON and gateway
//! error responses with their request id, header and query string reading.

use super::state::State;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

/// Largest request payload API Gateway accepts (10 MB).
pub(super) const MAX_BODY: usize = 10 * 1024 * 1024;

/// The request as the pipeline sees it.
pub(super) struct Received {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Bytes,
    pub(super) peer: SocketAddr,
}

pub(super) fn message(status: StatusCode, text: &str, request_id: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "message": text }), request_id)
}

pub(super) fn json_response(
    status: StatusCode,
    body: &Value,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = hyper::header::HeaderValue::from_str(request_id) {
        h.insert("apigw-requestid", v);
    }
    r
}

/// An authorizer failure's response: REST sends `{"message": null}` for a
/// 500 (`AUTHORIZER_CONFIGURATION_ERROR`), HTTP APIs the status text.
pub(super) fn failure(status: StatusCode, rest: bool, rid: &str) -> Response<Full<Bytes>> {
    if rest && status == StatusCode::INTERNAL_SERVER_ERROR {
        json_response(status, &json!({ "message": null }), rid)
    } else {
        message(status, status_text(status), rid)
    }
}

pub(super) fn status_text(s: StatusCode) -> &'static str {
    match s.as_u16() {
        401 => "Unauthorized",
        403 => "Forbidden",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    }
}

pub(super) fn request_id(state: &State) -> String {
    use base64::Engine;
    let n = state.seq.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let mut raw = [0u8; 10];
    raw[..8].copy_from_slice(&(t ^ n.rotate_left(40)).to_be_bytes());
    raw[8..].copy_from_slice(&(n as u16).to_be_bytes());
    base64::engine::general_purpose::STANDARD.encode(raw)
}

pub(super) fn header_value(req: &Received, name: &str) -> Option<String> {
    let name = name.to_ascii_lowercase();
    let values: Vec<&str> = req
        .headers
        .iter()
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

pub(super) fn query_params(query: &str) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        match out.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

pub(super) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing_joins_duplicates_and_decodes() {
        let q = query_params("a=1&b=x%20y&a=2&c=&d");
        assert_eq!(q["a"], "1,2");
        assert_eq!(q["b"], "x y");
        assert_eq!(q["c"], "");
        assert_eq!(q["d"], "");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
