//! Minting: token pools signed in parallel, and the time and claim values
//! the `mint` command takes.

use crate::jws::signing_input;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Mints `count` distinct valid tokens in parallel (all cores): each gets
/// its own `jti` and `sub`, with `exp = now + lifetime`, signed by `sign`
/// as `alg` (a local key's algorithm and signature).
pub fn pool(
    alg: authorizer::Algorithm,
    sign: impl Fn(&[u8]) -> Vec<u8> + Sync,
    count: usize,
    issuer: &str,
    audience: &str,
    now: i64,
    lifetime: i64,
) -> Vec<String> {
    use rayon::prelude::*;
    let header = serde_json::json!({"alg": alg.name(), "typ": "JWT"}).to_string();
    (0..count)
        .into_par_iter()
        .map(|i| {
            let claims = serde_json::json!({
                "iss": issuer, "aud": audience, "sub": format!("user-{i}"), "jti": format!("{now:x}-{i:x}"),
                "iat": now, "exp": now + lifetime,
            });
            let input = signing_input(&header, &claims.to_string());
            let sig = sign(input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
        })
        .collect()
}

/// Parses `--exp`: `+N` seconds from now, `-N` seconds ago, or an absolute
/// NumericDate.
///
/// # Errors
/// When it is not a number.
pub fn parse_time(spec: &str, now: i64) -> crate::Result<i64> {
    let bad = || {
        crate::Error::invalid(format!(
            "not a time: {spec:?} (use +SECONDS, -SECONDS or an absolute epoch)"
        ))
    };
    if let Some(rel) = spec.strip_prefix('+') {
        rel.parse::<i64>().map(|d| now + d).map_err(|_| bad())
    } else if let Some(rel) = spec.strip_prefix('-') {
        rel.parse::<i64>().map(|d| now - d).map_err(|_| bad())
    } else {
        spec.parse::<i64>().map_err(|_| bad())
    }
}

/// Parses `--claim k=v`: the value as JSON when it parses (numbers, true,
/// arrays), else as a string.
///
/// # Errors
/// When there is no `=`.
pub fn parse_claim(kv: &str) -> crate::Result<(String, serde_json::Value)> {
    let (k, v) = kv
        .split_once('=')
        .ok_or_else(|| crate::Error::invalid(format!("--claim needs key=value, got {kv:?}")))?;
    let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_owned()));
    Ok((k.to_owned(), value))
}
