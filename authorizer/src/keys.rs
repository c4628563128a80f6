//! Verification keys and how a token picks one. Keys come from PEM
//! (`JWT_PUBLIC_KEY_PEM`), a JWKS (`JWT_JWKS`) or KMS (`JWT_KMS_KEY_IDS`,
//! see `kms.rs`); each is parsed once at cold start.
//!
//! Selection: a present `kid` must name a key (KMS keys answer to their
//! configured name, KeyId and ARN; JWKS keys to their `kid`; PEM keys to their
//! RFC 7638 thumbprint and `JWT_PUBLIC_KEY_KIDS`). A single PEM key without
//! `JWT_PUBLIC_KEY_KIDS` does not bind kids, so any well-formed `kid` selects
//! it (the Go issuer sent none). A token without `kid` is
//! accepted only when exactly one key is configured: we never try every key.

use crate::config::{env, ConfigError};
use crate::crypto::{KeyError, PublicKey, POINT_LEN};
use crate::{Backend, RejectReason};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `JWT_PUBLIC_KEY_PEM`.
    Pem,
    /// `JWT_JWKS`.
    Jwks,
    /// `JWT_KMS_KEY_IDS` via `GetPublicKey`.
    Kms,
}

impl KeySource {
    /// Label for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeySource::Pem => "pem",
            KeySource::Jwks => "jwks",
            KeySource::Kms => "kms",
        }
    }
}

/// A verification key with the kids it answers to.
#[derive(Debug, Clone)]
pub struct StaticKey {
    /// The parsed key.
    pub key: PublicKey,
    /// Every `kid` that selects this key.
    pub kids: Vec<String>,
    /// Where it came from.
    pub source: KeySource,
    /// Whether a present `kid` must name this key even when it is the only
    /// one (KMS and JWKS keys always; PEM keys with `JWT_PUBLIC_KEY_KIDS`).
    pub binds_kid: bool,
    /// A stable, non-secret name for logs (a kid or thumbprint).
    pub label: String,
}

/// The keys in force.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<StaticKey>,
}

impl KeySet {
    /// A key set from loaded keys.
    pub fn new(keys: Vec<StaticKey>) -> Self {
        Self { keys }
    }

    /// The keys.
    pub fn keys(&self) -> &[StaticKey] {
        &self.keys
    }

    /// Chooses the key for a token's `kid`.
    ///
    /// # Errors
    /// [`RejectReason::UnknownKid`].
    pub fn select(&self, kid: Option<&str>) -> Result<&StaticKey, RejectReason> {
        if let Some(kid) = kid {
            if let Some(k) = self.keys.iter().find(|k| k.kids.iter().any(|x| x == kid)) {
                return Ok(k);
            }
        }
        match self.keys.as_slice() {
            [only] if kid.is_none() || !only.binds_kid => Ok(only),
            _ => Err(RejectReason::UnknownKid),
        }
    }
}

/// RFC 7638 JWK thumbprint of a P-521 key (SHA-256, base64url).
pub fn thumbprint(point: &[u8; POINT_LEN]) -> String {
    let x = URL_SAFE_NO_PAD.encode(&point[1..67]);
    let y = URL_SAFE_NO_PAD.encode(&point[67..]);
    let canonical = format!(r#"{{"crv":"P-521","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Parses one or more PEM `PUBLIC KEY` blocks. A value carrying literal `\n`
/// sequences (as some tools write multi-line variables) is accepted too.
pub(crate) fn parse_pem(text: &str, backend: Backend) -> Result<Vec<StaticKey>, ConfigError> {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let bad = |why: &str| ConfigError::invalid(env::PUBLIC_KEY_PEM, why);
    let text = if !text.contains('\n') {
        text.replace("\\n", "\n")
    } else {
        text.to_owned()
    };
    let mut rest = text.trim();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let body = rest
            .strip_prefix(BEGIN)
            .ok_or_else(|| bad("expected -----BEGIN PUBLIC KEY-----"))?;
        let end = body
            .find(END)
            .ok_or_else(|| bad("missing -----END PUBLIC KEY-----"))?;
        let b64: String = body[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = STANDARD
            .decode(b64)
            .map_err(|_| bad("the PEM body is not base64"))?;
        let key = PublicKey::from_spki_der(backend, &der)
            .map_err(|e| key_error(env::PUBLIC_KEY_PEM, e))?;
        let tp = thumbprint(key.point());
        out.push(StaticKey {
            key,
            kids: vec![tp.clone()],
            source: KeySource::Pem,
            binds_kid: false,
            label: tp,
        });
        rest = body[end + END.len()..].trim_start();
    }
    if out.is_empty() {
        return Err(bad("no PUBLIC KEY block"));
    }
    Ok(out)
}

/// Parses a JWKS: every key must be `kty` EC, `crv` P-521, with a `kid`;
/// `use` (if present) `sig`, `alg` (if present) `ES512`, and no private `d`.
pub(crate) fn parse_jwks(text: &str, backend: Backend) -> Result<Vec<StaticKey>, ConfigError> {
    let bad = |why: String| ConfigError::invalid(env::JWKS, why);
    let doc: Value = serde_json::from_str(text).map_err(|_| bad("not JSON".into()))?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("expected {\"keys\": [...]}".into()))?;
    if keys.is_empty() {
        return Err(bad("no keys".into()));
    }
    let mut out = Vec::new();
    for (i, jwk) in keys.iter().enumerate() {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let kid = field("kid")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| bad(format!("key {i}: kid is required")))?;
        if field("kty") != Some("EC") || field("crv") != Some("P-521") {
            return Err(bad(format!("key {kid:?}: expected kty EC and crv P-521")));
        }
        if jwk.get("use").is_some_and(|u| u != "sig") {
            return Err(bad(format!("key {kid:?}: use must be sig")));
        }
        if jwk.get("alg").is_some_and(|a| a != "ES512") {
            return Err(bad(format!("key {kid:?}: alg must be ES512")));
        }
        if jwk.get("d").is_some() {
            return Err(bad(format!("key {kid:?}: contains a private key (d)")));
        }
        let coord = |name: &str| {
            field(name)
                .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
                .filter(|b| b.len() == 66)
                .ok_or_else(|| bad(format!("key {kid:?}: {name} is not 66 base64url bytes")))
        };
        let mut point = Vec::with_capacity(POINT_LEN);
        point.push(0x04);
        point.extend(coord("x")?);
        point.extend(coord("y")?);
        let key = PublicKey::from_point(backend, &point).map_err(|e| key_error(env::JWKS, e))?;
        out.push(StaticKey {
            key,
            kids: vec![kid.to_owned()],
            source: KeySource::Jwks,
            binds_kid: true,
            label: kid.to_owned(),
        });
    }
    Ok(out)
}

fn key_error(var: &'static str, e: KeyError) -> ConfigError {
    ConfigError::invalid(var, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TestKey;

    fn key(seed: u8, source: KeySource, kids: &[&str]) -> StaticKey {
        let k = TestKey::new(seed);
        StaticKey {
            key: PublicKey::from_point(Backend::default_backend(), &k.point()).expect("point"),
            kids: kids.iter().map(|s| (*s).to_owned()).collect(),
            source,
            binds_kid: source != KeySource::Pem,
            label: kids.first().copied().unwrap_or("x").to_owned(),
        }
    }

    #[test]
    fn one_key_without_kid_is_selected() {
        let set = KeySet::new(vec![key(1, KeySource::Kms, &["a"])]);
        assert_eq!(set.select(None).expect("one").label, "a");
        assert_eq!(set.select(Some("a")).expect("match").label, "a");
        assert_eq!(set.select(Some("b")).err(), Some(RejectReason::UnknownKid));
    }

    #[test]
    fn single_pem_key_does_not_bind_kid() {
        let set = KeySet::new(vec![key(1, KeySource::Pem, &["tp"])]);
        assert!(set.select(Some("anything")).is_ok());
        assert!(set.select(None).is_ok());
    }

    #[test]
    fn several_keys_require_a_matching_kid() {
        let set = KeySet::new(vec![
            key(1, KeySource::Jwks, &["a"]),
            key(2, KeySource::Pem, &["tp2"]),
        ]);
        assert_eq!(set.select(None).err(), Some(RejectReason::UnknownKid));
        assert_eq!(
            set.select(Some("zzz")).err(),
            Some(RejectReason::UnknownKid)
        );
        assert_eq!(set.select(Some("a")).expect("a").label, "a");
        assert_eq!(set.select(Some("tp2")).expect("tp2").label, "tp2");
    }

    #[test]
    fn pem_parses_several_blocks_and_escaped_newlines() {
        let (a, b) = (TestKey::new(1), TestKey::new(2));
        let both = format!("{}\n{}", a.pem(), b.pem());
        let keys = parse_pem(&both, Backend::default_backend()).expect("two keys");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].label, thumbprint(&a.point()));
        let escaped = a.pem().replace('\n', "\\n");
        assert_eq!(
            parse_pem(&escaped, Backend::default_backend())
                .expect("escaped")
                .len(),
            1
        );
        for bad in [
            "junk",
            "-----BEGIN PUBLIC KEY-----\nAAAA",
            "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----",
        ] {
            assert!(parse_pem(bad, Backend::default_backend()).is_err(), "{bad}");
        }
    }

    #[test]
    fn jwks_rules() {
        let k = TestKey::new(3);
        let good = k.jwks("k1");
        let keys = parse_jwks(&good, Backend::default_backend()).expect("jwks");
        assert_eq!(keys[0].kids, vec!["k1".to_owned()]);
        assert_eq!(keys[0].key.point(), &k.point());
        let jwk: Value = serde_json::from_str(&good).expect("json");
        let base = jwk["keys"][0].clone();
        let mutate = |f: &dyn Fn(&mut Value)| {
            let mut j = base.clone();
            f(&mut j);
            serde_json::json!({ "keys": [j] }).to_string()
        };
        for bad in [
            mutate(&|j| {
                j.as_object_mut().expect("o").remove("kid");
            }),
            mutate(&|j| j["crv"] = "P-256".into()),
            mutate(&|j| j["kty"] = "RSA".into()),
            mutate(&|j| j["use"] = "enc".into()),
            mutate(&|j| j["alg"] = "ES256".into()),
            mutate(&|j| j["d"] = "AAAA".into()),
            mutate(&|j| j["x"] = "AAAA".into()),
            mutate(&|j| j["y"] = j["x"].clone()),
            r#"{"keys":[]}"#.to_owned(),
            "[]".to_owned(),
        ] {
            let e = parse_jwks(&bad, Backend::default_backend()).expect_err(&bad);
            assert!(e.to_string().starts_with("JWT_JWKS"), "{e}");
        }
    }

    #[test]
    fn thumbprint_matches_rfc7638_shape() {
        let tp = thumbprint(&TestKey::new(1).point());
        assert_eq!(tp.len(), 43);
    }
}
