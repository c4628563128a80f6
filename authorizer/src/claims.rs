//! The claims policy (RFC 7519 §4.1), applied only after the signature
//! verified. Time is injected as [`UnixTime`] so every boundary is testable.

use crate::config::{AudienceCheck, Config, IssuerCheck};
use crate::json::{self, Member, Shallow};
use crate::reason::RejectReason;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Seconds since the Unix epoch (fractional allowed, as NumericDate is).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct UnixTime(pub f64);

impl UnixTime {
    /// The current time from the system clock.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self(d.as_secs_f64())
    }

    /// Whole seconds since the epoch.
    pub fn from_secs(secs: i64) -> Self {
        // Precision: exact for any realistic time (< 2^53).
        #[allow(clippy::cast_precision_loss)]
        Self(secs as f64)
    }
}

/// Largest NumericDate accepted in a time claim: 9999-12-31T23:59:59Z.
/// Larger values (2^64, 1e300) are a deny rather than "never expires".
pub const MAX_NUMERIC_DATE: f64 = 253_402_300_799.0;

/// The claim rules, derived from [`Config`].
#[derive(Debug, Clone)]
pub(crate) struct ClaimsPolicy {
    issuer: IssuerCheck,
    audience: AudienceCheck,
    leeway: f64,
    max_lifetime: Option<f64>,
    /// The claims copied into the context: `sub`, `iss`, `exp`, `scope`,
    /// then `JWT_CONTEXT_CLAIMS`, each once.
    context_names: Vec<String>,
}

/// What an accepted token grants: the subject, its expiry and the context
/// handed to API Gateway.
#[derive(Debug, Clone)]
pub struct Grant {
    /// `sub`, if present.
    pub sub: Option<String>,
    /// `exp`.
    pub exp: f64,
    /// A JSON object of `sub`, `iss`, `exp`, `scope` when present, and
    /// `JWT_CONTEXT_CLAIMS` (flat strings, numbers and booleans only), in
    /// that order. Kept as its JSON text: one allocation whatever the
    /// number of claims, so the decision cache counts what an entry really
    /// costs, and a response copies it as is.
    pub context: Box<RawValue>,
}

impl PartialEq for Grant {
    fn eq(&self, other: &Self) -> bool {
        self.sub == other.sub && self.exp == other.exp && self.context.get() == other.context.get()
    }
}

impl Grant {
    /// The context as a JSON map (for tests and tools; the authorizer itself
    /// never parses it back).
    pub fn context_map(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(self.context.get()).unwrap_or_default()
    }
}

/// The context claims of one token, serialised straight from its parsed
/// members (no map in between).
struct Context<'p, 'a> {
    names: &'p [String],
    claims: &'p Shallow<'a>,
}

impl Serialize for Context<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for name in self.names {
            match self.claims.get(name) {
                Some(Member::Str(s)) => map.serialize_entry(name, s.as_ref())?,
                Some(Member::Num(n)) => map.serialize_entry(name, n)?,
                Some(Member::Bool(b)) => map.serialize_entry(name, b)?,
                _ => {}
            }
        }
        map.end()
    }
}

impl ClaimsPolicy {
    pub(crate) fn from_config(c: &Config) -> Self {
        #[allow(clippy::cast_precision_loss)]
        Self {
            issuer: c.issuer.clone(),
            audience: c.audience.clone(),
            leeway: f64::from(c.leeway_seconds),
            max_lifetime: c.max_lifetime_seconds.map(|s| s as f64),
            context_names: ["sub", "iss", "exp", "scope"]
                .into_iter()
                .map(str::to_owned)
                .chain(c.context_claims.iter().cloned())
                .fold(Vec::new(), |mut names, n| {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                    names
                }),
        }
    }

    /// The instant from which [`ClaimsPolicy::check`] answers `expired` for
    /// a token it granted: `exp + leeway`. The decision cache uses it so cache
    /// and policy agree on validity.
    pub(crate) fn valid_until(&self, grant: &Grant) -> f64 {
        grant.exp + self.leeway
    }

    /// Checks the claims JSON.
    ///
    /// # Errors
    /// `BadClaims`, `Expired`, `NotYetValid`, `IssuedInFuture`,
    /// `LifetimeTooLong`, `WrongIssuer` or `WrongAudience`.
    pub(crate) fn check(&self, payload: &[u8], now: UnixTime) -> Result<Grant, RejectReason> {
        let claims = json::parse_shallow(payload).ok_or(RejectReason::BadClaims)?;
        let now = now.0;
        let exp = time_claim(&claims, "exp")?.ok_or(RejectReason::BadClaims)?;
        let nbf = time_claim(&claims, "nbf")?;
        let iat = time_claim(&claims, "iat")?;
        if exp <= 0.0 {
            return Err(RejectReason::BadClaims);
        }
        let sub = match claims.get("sub") {
            None => None,
            Some(Member::Str(s)) => Some(s.as_ref().to_owned()),
            Some(_) => return Err(RejectReason::BadClaims),
        };
        // RFC 7519 §4.1.4: the current time MUST be before exp.
        if now >= exp + self.leeway {
            return Err(RejectReason::Expired);
        }
        // §4.1.5: at or after nbf.
        if nbf.is_some_and(|nbf| nbf > now + self.leeway) {
            return Err(RejectReason::NotYetValid);
        }
        if iat.is_some_and(|iat| iat > now + self.leeway) {
            return Err(RejectReason::IssuedInFuture);
        }
        if let Some(max) = self.max_lifetime {
            // Without iat, the remaining lifetime is what is bounded.
            if exp - iat.unwrap_or(now) > max {
                return Err(RejectReason::LifetimeTooLong);
            }
        }
        self.check_issuer(claims.get("iss"))?;
        self.check_audience(claims.get("aud"))?;
        Ok(Grant {
            sub,
            exp,
            // Serialising strings, numbers and booleans cannot fail; if it
            // ever did, the token is denied rather than granted without
            // its context.
            context: serde_json::value::to_raw_value(&Context {
                names: &self.context_names,
                claims: &claims,
            })
            .map_err(|_| RejectReason::BadClaims)?,
        })
    }

    fn check_issuer(&self, iss: Option<&Member<'_>>) -> Result<(), RejectReason> {
        match (&self.issuer, iss) {
            (IssuerCheck::Exactly(want), Some(Member::Str(got))) if got == want => Ok(()),
            (IssuerCheck::Unchecked, None | Some(Member::Str(_))) => Ok(()),
            _ => Err(RejectReason::WrongIssuer),
        }
    }

    /// RFC 7519 §4.1.3: `aud` is a string or an array of strings. A present
    /// `aud` must have that shape even under `!unchecked`; an empty array is
    /// well-formed (an array of zero strings), so it passes `!unchecked` and
    /// fails every `JWT_AUDIENCE` list (it names no audience of ours).
    fn check_audience(&self, aud: Option<&Member<'_>>) -> Result<(), RejectReason> {
        let values: &[Cow<'_, str>] = match aud {
            None => &[],
            Some(Member::Str(s)) => std::slice::from_ref(s),
            Some(Member::Array(Some(items))) => items,
            Some(_) => return Err(RejectReason::WrongAudience),
        };
        match &self.audience {
            AudienceCheck::AnyOf(accepted)
                if values.iter().any(|v| accepted.iter().any(|a| a == v)) =>
            {
                Ok(())
            }
            AudienceCheck::Unchecked => Ok(()),
            _ => Err(RejectReason::WrongAudience),
        }
    }
}

/// A NumericDate claim: absent, or a finite JSON number within range.
fn time_claim(claims: &Shallow<'_>, name: &str) -> Result<Option<f64>, RejectReason> {
    match claims.get(name) {
        None => Ok(None),
        Some(Member::Num(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v.abs() <= MAX_NUMERIC_DATE => Ok(Some(v)),
            _ => Err(RejectReason::BadClaims),
        },
        Some(_) => Err(RejectReason::BadClaims),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RejectReason::*;

    const NOW: i64 = 1_700_000_000;

    fn policy() -> ClaimsPolicy {
        ClaimsPolicy {
            issuer: IssuerCheck::Exactly("https://issuer.example".into()),
            audience: AudienceCheck::AnyOf(vec!["api".into(), "api2".into()]),
            leeway: 0.0,
            max_lifetime: None,
            context_names: ["sub", "iss", "exp", "scope", "tenant", "roles"]
                .map(str::to_owned)
                .to_vec(),
        }
    }

    fn claims(extra: &str) -> String {
        let base = format!(
            r#""iss":"https://issuer.example","aud":"api","exp":{}"#,
            NOW + 60
        );
        if extra.is_empty() {
            format!("{{{base}}}")
        } else {
            format!("{{{base},{extra}}}")
        }
    }

    fn check_with(p: &ClaimsPolicy, json: &str) -> Result<Grant, RejectReason> {
        p.check(json.as_bytes(), UnixTime::from_secs(NOW))
    }

    fn check(json: &str) -> Result<Grant, RejectReason> {
        check_with(&policy(), json)
    }

    #[test]
    fn accepts_valid_claims_and_builds_context() {
        let g = check(&claims(
            r#""sub":"alice","scope":"read","tenant":"t1","roles":["a"],"x":{"y":1}"#,
        ))
        .expect("allowed");
        assert_eq!(g.sub.as_deref(), Some("alice"));
        // One JSON object, claims in the configured order.
        assert_eq!(
            g.context.get(),
            format!(
                r#"{{"sub":"alice","iss":"https://issuer.example","exp":{},"scope":"read","tenant":"t1"}}"#,
                NOW + 60
            )
        );
        let ctx = g.context_map();
        assert_eq!(ctx["sub"], "alice");
        assert_eq!(ctx["iss"], "https://issuer.example");
        assert_eq!(ctx["scope"], "read");
        assert_eq!(ctx["tenant"], "t1");
        assert!(!ctx.contains_key("roles"), "non-flat claims are not copied");
        assert!(!ctx.contains_key("x"));
        assert_eq!(ctx["exp"], NOW + 60);
    }

    #[test]
    fn exp_is_required_and_numeric() {
        let no_exp = r#"{"iss":"https://issuer.example","aud":"api"}"#;
        assert_eq!(check(no_exp).err(), Some(BadClaims));
        for bad in [
            r#""1900000000""#,
            "true",
            "null",
            "[]",
            "{}",
            "-1",
            "0",
            "1e300",
        ] {
            let j = format!(r#"{{"iss":"https://issuer.example","aud":"api","exp":{bad}}}"#);
            assert_eq!(check(&j).err(), Some(BadClaims), "{bad}");
        }
        let j = format!(
            r#"{{"iss":"https://issuer.example","aud":"api","exp":{}.5}}"#,
            NOW + 60
        );
        assert!(check(&j).is_ok(), "fractional exp allowed");
    }

    #[test]
    fn exp_boundary_and_leeway() {
        let at =
            |exp: i64| format!(r#"{{"iss":"https://issuer.example","aud":"api","exp":{exp}}}"#);
        assert_eq!(check(&at(NOW - 1)).err(), Some(Expired));
        assert_eq!(
            check(&at(NOW)).err(),
            Some(Expired),
            "exp == now is expired"
        );
        assert!(check(&at(NOW + 1)).is_ok());
        let mut p = policy();
        p.leeway = 60.0;
        assert_eq!(check_with(&p, &at(NOW - 60)).err(), Some(Expired));
        assert!(check_with(&p, &at(NOW - 59)).is_ok());
    }

    #[test]
    fn nbf_and_iat() {
        assert_eq!(
            check(&claims(&format!(r#""nbf":{}"#, NOW + 1))).err(),
            Some(NotYetValid)
        );
        assert!(check(&claims(&format!(r#""nbf":{NOW}"#))).is_ok());
        assert_eq!(check(&claims(r#""nbf":"x""#)).err(), Some(BadClaims));
        assert_eq!(
            check(&claims(&format!(r#""iat":{}"#, NOW + 3600))).err(),
            Some(IssuedInFuture)
        );
        assert!(check(&claims(&format!(r#""iat":{NOW}"#))).is_ok());
        assert_eq!(check(&claims(r#""iat":null"#)).err(), Some(BadClaims));
        let mut p = policy();
        p.leeway = 30.0;
        assert!(check_with(&p, &claims(&format!(r#""nbf":{}"#, NOW + 30))).is_ok());
        assert!(check_with(&p, &claims(&format!(r#""iat":{}"#, NOW + 30))).is_ok());
    }

    #[test]
    fn max_lifetime() {
        let mut p = policy();
        p.max_lifetime = Some(3600.0);
        let j = |iat: i64, exp: i64| {
            format!(r#"{{"iss":"https://issuer.example","aud":"api","iat":{iat},"exp":{exp}}}"#)
        };
        assert!(check_with(&p, &j(NOW - 100, NOW + 3500)).is_ok());
        assert_eq!(
            check_with(&p, &j(NOW - 100, NOW + 3501)).err(),
            Some(LifetimeTooLong)
        );
        let no_iat = format!(
            r#"{{"iss":"https://issuer.example","aud":"api","exp":{}}}"#,
            NOW + 3601
        );
        assert_eq!(check_with(&p, &no_iat).err(), Some(LifetimeTooLong));
    }

    #[test]
    fn issuer_exact() {
        let j = |iss: &str| format!(r#"{{"iss":{iss},"aud":"api","exp":{}}}"#, NOW + 60);
        for bad in [
            r#""https://issuer.example/""#,
            r#""HTTPS://issuer.example""#,
            "123",
            r#"["https://issuer.example"]"#,
            r#""""#,
        ] {
            assert_eq!(check(&j(bad)).err(), Some(WrongIssuer), "{bad}");
        }
        let missing = format!(r#"{{"aud":"api","exp":{}}}"#, NOW + 60);
        assert_eq!(check(&missing).err(), Some(WrongIssuer));
        let mut p = policy();
        p.issuer = IssuerCheck::Unchecked;
        assert!(check_with(&p, &missing).is_ok());
        assert_eq!(check_with(&p, &j("1")).err(), Some(WrongIssuer));
    }

    #[test]
    fn audience_rules() {
        let j = |aud: &str| {
            format!(
                r#"{{"iss":"https://issuer.example","aud":{aud},"exp":{}}}"#,
                NOW + 60
            )
        };
        assert!(check(&j(r#""api2""#)).is_ok());
        assert!(check(&j(r#"["other","api"]"#)).is_ok());
        for bad in [
            r#""other""#,
            "[]",
            r#"["other"]"#,
            r#"["api",1]"#,
            "5",
            "{}",
            "null",
            r#""API""#,
        ] {
            assert_eq!(check(&j(bad)).err(), Some(WrongAudience), "{bad}");
        }
        let missing = format!(r#"{{"iss":"https://issuer.example","exp":{}}}"#, NOW + 60);
        assert_eq!(check(&missing).err(), Some(WrongAudience));
        let mut p = policy();
        p.audience = AudienceCheck::Unchecked;
        assert!(check_with(&p, &missing).is_ok());
        assert!(check_with(&p, &j(r#""anything""#)).is_ok());
        assert_eq!(check_with(&p, &j("5")).err(), Some(WrongAudience));
        // The opt-out's exact meaning: shape checked, content not.
        assert!(check_with(&p, &j("[]")).is_ok(), "[] is well-formed");
        assert!(check_with(&p, &j(r#"["x","y"]"#)).is_ok());
        for malformed in [r#"["api",1]"#, "{}", "null", "true", "[[]]"] {
            assert_eq!(
                check_with(&p, &j(malformed)).err(),
                Some(WrongAudience),
                "{malformed}"
            );
        }
    }

    #[test]
    fn claims_must_be_a_strict_object() {
        for bad in ["[]", r#""x""#, "null", "1"] {
            assert_eq!(check(bad).err(), Some(BadClaims), "{bad}");
        }
        let dup = format!(
            r#"{{"iss":"https://issuer.example","aud":"api","exp":1,"exp":{}}}"#,
            NOW + 60
        );
        assert_eq!(check(&dup).err(), Some(BadClaims));
        let case = format!(
            r#"{{"iss":"https://issuer.example","aud":"api","EXP":{}}}"#,
            NOW + 60
        );
        assert_eq!(check(&case).err(), Some(BadClaims), "EXP is not exp");
        assert_eq!(check(&claims(r#""sub":5"#)).err(), Some(BadClaims));
    }

    #[test]
    fn unknown_claims_are_fine() {
        assert!(check(&claims(r#""__proto__":{},"custom":[1,2,3]"#)).is_ok());
    }
}
