//! An independent model of the claims policy, written from the README's
//! policy text and not from the authorizer's code. The property tests sign
//! random claim sets genuinely and require the authorizer to agree with it,
//! decision and reason.

use authorizer::RejectReason;
use serde_json::{Map, Value};

/// What the policy says about a claims object (leeway 0, no lifetime cap).
pub(crate) fn claims_verdict(
    claims: &Map<String, Value>,
    now: f64,
    issuer: &str,
    audiences: &[&str],
) -> Result<(), RejectReason> {
    // Time claims must be JSON numbers within year 9999 when present; exp
    // is required and positive; sub, when present, is a string.
    let number = |name: &str| -> Result<Option<f64>, RejectReason> {
        match claims.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v.abs() <= 253_402_300_799.0 => Ok(Some(v)),
                _ => Err(RejectReason::BadClaims),
            },
            Some(_) => Err(RejectReason::BadClaims),
        }
    };
    let exp = number("exp")?;
    let nbf = number("nbf")?;
    let iat = number("iat")?;
    let Some(exp) = exp else {
        return Err(RejectReason::BadClaims);
    };
    if exp <= 0.0 {
        return Err(RejectReason::BadClaims);
    }
    if claims.get("sub").is_some_and(|s| !s.is_string()) {
        return Err(RejectReason::BadClaims);
    }
    if now >= exp {
        return Err(RejectReason::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now) {
        return Err(RejectReason::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > now) {
        return Err(RejectReason::IssuedInFuture);
    }
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(RejectReason::WrongIssuer);
    }
    let ok = match claims.get("aud") {
        Some(Value::String(a)) => audiences.contains(&a.as_str()),
        Some(Value::Array(items)) => {
            items.iter().all(Value::is_string)
                && items
                    .iter()
                    .any(|a| a.as_str().is_some_and(|a| audiences.contains(&a)))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(RejectReason::WrongAudience)
    }
}
