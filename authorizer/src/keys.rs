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

use crate::crypto::Backend;
use crate::crypto::{Algorithm, Curve, KeyError, PublicKey};
use crate::reason::RejectReason;
use crate::token::Allowed;
use crate::vars::{env, ConfigError};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;

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
    /// A stable, non-secret name for logs (a kid or thumbprint); shared,
    /// so naming the key on a decision (and in a cache entry) never copies.
    pub label: std::sync::Arc<str>,
}

/// Checks keys from every source together: no `kid` names two keys, and
/// no key is trusted under two algorithms (one key, one algorithm: RFC 8725
/// §3.1). The same key twice under one algorithm is left alone.
///
/// # Errors
/// One line naming the kid, or the key's two labels and algorithms.
pub fn check_set(keys: &[StaticKey]) -> Result<(), String> {
    let mut kids: std::collections::HashMap<&str, &StaticKey> = std::collections::HashMap::new();
    let mut prints: std::collections::HashMap<String, &StaticKey> =
        std::collections::HashMap::new();
    for k in keys {
        for kid in &k.kids {
            if let Some(other) = kids.insert(kid, k) {
                if !std::ptr::eq(other, k) {
                    return Err(format!(
                        "kid {kid:?} names two keys ({} from {:?} and {} from {:?}): a kid selects one key",
                        other.label, other.source, k.label, k.source
                    ));
                }
            }
        }
        if let Some(other) = prints.insert(k.key.thumbprint(), k) {
            if other.key.algorithm() != k.key.algorithm() {
                return Err(format!(
                    "one key is trusted under two algorithms ({} as {} and {} as {}): one key, one algorithm (RFC 8725 §3.1)",
                    other.label,
                    other.key.algorithm(),
                    k.label,
                    k.key.algorithm()
                ));
            }
        }
    }
    Ok(())
}

/// The keys in force.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<StaticKey>,
    allowed: Allowed,
}

impl KeySet {
    /// A key set from loaded keys.
    pub fn new(keys: Vec<StaticKey>) -> Self {
        let allowed = Allowed::of(keys.iter().map(|k| &k.key));
        Self { keys, allowed }
    }

    /// What identifies this set: each key's thumbprint, algorithm and kids.
    pub(crate) fn fingerprint(&self) -> Vec<(String, Algorithm, Vec<String>)> {
        let mut f: Vec<_> = self
            .keys
            .iter()
            .map(|k| (k.key.thumbprint(), k.key.algorithm(), k.kids.clone()))
            .collect();
        f.sort();
        f
    }

    /// What these keys allow before one is chosen (algorithms, lengths).
    pub(crate) fn allowed(&self) -> &Allowed {
        &self.allowed
    }

    /// The keys that may verify a token with this `kid` and `alg`: the key
    /// the `kid` names; with no `kid`, the single key, or — with several
    /// keys, as while a rotation trusts two — every key of the token's
    /// algorithm, tried in order (the key set is the operator's, so the
    /// work is bounded by it). A key's algorithm is checked by the caller.
    ///
    /// # Errors
    /// [`RejectReason::UnknownKid`] for a `kid` no key carries (unless the
    /// single key binds none); [`RejectReason::AlgNotAllowed`] for a
    /// kid-less token whose algorithm no key has.
    pub fn select(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Candidates<'_>, RejectReason> {
        let one = |k| Candidates {
            first: Some(k),
            rest: [].iter(),
            alg,
        };
        if let Some(kid) = kid {
            if let Some(k) = self.keys.iter().find(|k| k.kids.iter().any(|x| x == kid)) {
                return Ok(one(k));
            }
        }
        match (self.keys.as_slice(), kid) {
            ([only], None) => Ok(one(only)),
            ([only], Some(_)) if !only.binds_kid => Ok(one(only)),
            (_, Some(_)) => Err(RejectReason::UnknownKid),
            (keys, None) if keys.iter().any(|k| k.key.algorithm() == alg) => Ok(Candidates {
                first: None,
                rest: keys.iter(),
                alg,
            }),
            (_, None) => Err(RejectReason::AlgNotAllowed),
        }
    }
}

/// The keys [`KeySet::select`] chose, in the order to try them (no
/// allocation on the request path).
#[derive(Debug, Clone)]
pub struct Candidates<'a> {
    /// The one key a `kid` (or a single-key set) names.
    first: Option<&'a StaticKey>,
    /// Without a `kid` and with several keys: those of `alg`.
    rest: std::slice::Iter<'a, StaticKey>,
    alg: Algorithm,
}

impl<'a> Iterator for Candidates<'a> {
    type Item = &'a StaticKey;

    fn next(&mut self) -> Option<&'a StaticKey> {
        if let Some(k) = self.first.take() {
            return Some(k);
        }
        let alg = self.alg;
        self.rest.find(|k| k.key.algorithm() == alg)
    }
}

/// RFC 7638 JWK thumbprint of a P-521 key (SHA-256, base64url).
///
/// # Errors
/// [`KeyError::InvalidPoint`] for a point that is not on P-521.
pub fn thumbprint(point: &[u8]) -> Result<String, KeyError> {
    Ok(PublicKey::from_point(Backend::default_backend(), point)?.thumbprint())
}

/// A named algorithm from a variable: the exact JWS name.
///
/// # Errors
/// [`ConfigError`] naming `var`.
pub(crate) fn algorithm(var: &'static str, name: &str) -> Result<Algorithm, ConfigError> {
    Algorithm::from_name(name).ok_or_else(|| {
        ConfigError::invalid(
            var,
            format!(
                "unknown algorithm {name:?}: one of {}",
                Algorithm::ALL.map(Algorithm::name).join(", ")
            ),
        )
    })
}

/// Splits a `JWT_KMS_KEY_IDS` entry into the key and an optional pinned
/// algorithm: `alias/jwt-rsa:PS256`, `arn:aws:kms:…:key/ID:RS256`, or just
/// the id, ARN or alias (an ARN has five colons of its own).
///
/// # Errors
/// [`ConfigError`] for an unknown algorithm name.
pub fn split_kms_entry(
    var: &'static str,
    entry: &str,
) -> Result<(String, Option<Algorithm>), ConfigError> {
    let own_colons = if entry.starts_with("arn:") { 5 } else { 0 };
    if entry.matches(':').count() > own_colons {
        if let Some((id, alg)) = entry.rsplit_once(':') {
            return Ok((id.to_owned(), Some(algorithm(var, alg)?)));
        }
    }
    Ok((entry.to_owned(), None))
}

/// Parses one or more PEM `PUBLIC KEY` blocks. A value carrying literal `\n`
/// sequences (as some tools write multi-line variables) is accepted too.
/// `algs` (`JWT_PUBLIC_KEY_ALG`) pins the keys: none, one for every key, or
/// one per key in order. Optional for EC keys (their curve decides; if given
/// it must agree), required for RSA keys.
pub(crate) fn parse_pem(
    text: &str,
    backend: Backend,
    algs: &[Algorithm],
) -> Result<Vec<StaticKey>, ConfigError> {
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
        let alg = match algs {
            [one] => Some(*one),
            many => many.get(out.len()).copied(),
        };
        let key = PublicKey::from_spki_der_as(backend, &der, alg).map_err(|e| match e {
            KeyError::RsaNeedsAlgorithm => ConfigError::invalid(
                env::PUBLIC_KEY_PEM,
                "an RSA key needs JWT_PUBLIC_KEY_ALG (RS256, RS384, RS512, PS256, PS384 or PS512)",
            ),
            e => key_error(env::PUBLIC_KEY_PEM, e),
        })?;
        let tp = key.thumbprint();
        out.push(StaticKey {
            key,
            kids: vec![tp.clone()],
            source: KeySource::Pem,
            binds_kid: false,
            label: tp.into(),
        });
        rest = body[end + END.len()..].trim_start();
    }
    if out.is_empty() {
        return Err(bad("no PUBLIC KEY block"));
    }
    if algs.len() > 1 && algs.len() != out.len() {
        return Err(ConfigError::invalid(
            env::PUBLIC_KEY_ALG,
            format!(
                "lists {} algorithms for {} PEM keys: give one for all, or one per key in order",
                algs.len(),
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Parses a JWKS as strictly as a token: strict JSON (no duplicate members
/// at any depth); every key with a `kid`; `kty` `EC` with `crv` P-256,
/// P-384, P-521 or secp256k1 (the algorithm is the curve's; `alg`, if
/// present, must say so), or `kty` `RSA` with `n`, `e` and a required `alg`
/// (RS* or PS*), 2048 bits or more, or `kty` `OKP` with `crv` `Ed25519` and
/// `x` (RFC 8037; `alg`, if present, `Ed25519` or `EdDSA`), or `kty` `AKP`
/// with `pub` and a required `alg` `ML-DSA-44`, `ML-DSA-65` or `ML-DSA-87`
/// (RFC 9964); `use`, if present, `sig`; `key_ops`, if present, distinct
/// strings including `verify`; no private member (`d`, `p`, `q`, `dp`,
/// `dq`, `qi`, `oth`, `k`, `priv`). Each failure names the key and the
/// member.
pub(crate) fn parse_jwks(text: &str, backend: Backend) -> Result<Vec<StaticKey>, ConfigError> {
    let bad = |why: String| ConfigError::invalid(env::JWKS, why);
    let doc = crate::json::parse_object_explained(text.as_bytes())
        .map_err(|e| bad(format!("not a strict JSON object: {e}")))?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("expected {\"keys\": [...]}".into()))?;
    if keys.is_empty() {
        return Err(bad("no keys".into()));
    }
    let mut out = Vec::new();
    for (i, jwk) in keys.iter().enumerate() {
        let jwk = jwk
            .as_object()
            .ok_or_else(|| bad(format!("key {i}: not a JSON object")))?;
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let kid = field("kid")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| bad(format!("key {i}: kid is required (a non-empty string)")))?;
        let member = |name: &str, why: &str| bad(format!("key {kid:?}: member {name:?} {why}"));
        if jwk.get("use").is_some_and(|u| u != "sig") {
            return Err(member("use", "must be \"sig\" when present"));
        }
        if let Some(ops) = jwk.get("key_ops") {
            key_ops_allow_verify(ops).map_err(|why| member("key_ops", why))?;
        }
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"] {
            if jwk.contains_key(private) {
                return Err(member(
                    private,
                    "is private key material: a JWKS for verification must not carry it",
                ));
            }
        }
        let named = match jwk.get("alg") {
            None => None,
            Some(Value::String(a)) => Some(
                Algorithm::ALL
                    .into_iter()
                    .find(|alg| alg.is_named(a))
                    .ok_or_else(|| member("alg", "is not a supported JWS algorithm"))?,
            ),
            Some(_) => return Err(member("alg", "must be a string when present")),
        };
        let b64 = |name: &str| {
            field(name)
                .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
                .ok_or_else(|| member(name, "must be base64url"))
        };
        let key = match field("kty") {
            Some("EC") => {
                let curve = field("crv")
                    .and_then(Curve::from_jwk_name)
                    .ok_or_else(|| member("crv", "must be P-256, P-384, P-521 or secp256k1"))?;
                if named.is_some_and(|a| a != curve.algorithm()) {
                    return Err(member(
                        "alg",
                        &format!(
                            "must be {} (the key's algorithm) when present",
                            curve.algorithm()
                        ),
                    ));
                }
                let l = curve.scalar_len();
                let coord = |name: &str| -> Result<Vec<u8>, ConfigError> {
                    let bytes = b64(name)?;
                    if bytes.len() == l {
                        Ok(bytes)
                    } else {
                        Err(member(name, &format!("must be {l} bytes of base64url")))
                    }
                };
                let mut point = Vec::with_capacity(1 + 2 * l);
                point.push(0x04);
                point.extend(coord("x")?);
                point.extend(coord("y")?);
                PublicKey::from_ec_point(backend, curve, &point)
                    .map_err(|e| key_error(env::JWKS, e))?
            }
            Some("RSA") => {
                let alg = named.filter(|a| a.is_rsa()).ok_or_else(|| {
                    member(
                        "alg",
                        "is required for an RSA key: RS256, RS384, RS512, PS256, PS384 or PS512",
                    )
                })?;
                PublicKey::from_rsa_components(backend, &b64("n")?, &b64("e")?, alg)
                    .map_err(|e| bad(format!("key {kid:?}: {e}")))?
            }
            Some("OKP") => {
                if field("crv") != Some("Ed25519") {
                    return Err(member(
                        "crv",
                        "must be Ed25519 (the OKP curve KMS signs with)",
                    ));
                }
                if named.is_some_and(|a| a != Algorithm::Ed25519) {
                    return Err(member(
                        "alg",
                        "must be Ed25519 (or EdDSA, RFC 8037) when present",
                    ));
                }
                PublicKey::from_raw(backend, Algorithm::Ed25519, &b64("x")?)
                    .map_err(|e| bad(format!("key {kid:?}: member \"x\": {e}")))?
            }
            Some("AKP") => {
                let alg = named.filter(|a| a.is_ml_dsa()).ok_or_else(|| {
                    member(
                        "alg",
                        "is required for an AKP key: ML-DSA-44, ML-DSA-65 or ML-DSA-87",
                    )
                })?;
                PublicKey::from_raw(backend, alg, &b64("pub")?)
                    .map_err(|e| bad(format!("key {kid:?}: member \"pub\": {e}")))?
            }
            _ => return Err(member("kty", "must be \"EC\", \"RSA\", \"OKP\" or \"AKP\"")),
        };
        out.push(StaticKey {
            key,
            kids: vec![kid.to_owned()],
            source: KeySource::Jwks,
            binds_kid: true,
            label: kid.into(),
        });
    }
    Ok(out)
}

/// RFC 7517 §4.3: `key_ops` is an array of strings without duplicates; a
/// verification key must list `verify`.
fn key_ops_allow_verify(ops: &Value) -> Result<(), &'static str> {
    let items = ops
        .as_array()
        .ok_or("must be an array of strings when present")?;
    let mut seen = std::collections::HashSet::new();
    for op in items {
        let op = op
            .as_str()
            .ok_or("must be an array of strings when present")?;
        if !seen.insert(op) {
            return Err("must not repeat a value (RFC 7517 §4.3)");
        }
    }
    if seen.contains("verify") {
        Ok(())
    } else {
        Err("must include \"verify\" when present")
    }
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
            label: kids.first().copied().unwrap_or("x").into(),
        }
    }

    fn labels(
        set: &KeySet,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Vec<String>, RejectReason> {
        set.select(kid, alg)
            .map(|keys| keys.map(|k| k.label.to_string()).collect())
    }

    const ES512: Algorithm = Algorithm::Es512;

    #[test]
    fn one_key_without_kid_is_selected() {
        let set = KeySet::new(vec![key(1, KeySource::Kms, &["a"])]);
        assert_eq!(labels(&set, None, ES512), Ok(vec!["a".into()]));
        assert_eq!(labels(&set, Some("a"), ES512), Ok(vec!["a".into()]));
        assert_eq!(
            labels(&set, Some("b"), ES512),
            Err(RejectReason::UnknownKid)
        );
    }

    #[test]
    fn single_pem_key_does_not_bind_kid() {
        let set = KeySet::new(vec![key(1, KeySource::Pem, &["tp"])]);
        assert!(set.select(Some("anything"), ES512).is_ok());
        assert!(set.select(None, ES512).is_ok());
    }

    #[test]
    fn several_keys_take_a_kid_or_try_every_key_of_the_algorithm() {
        let set = KeySet::new(vec![
            key(1, KeySource::Jwks, &["a"]),
            key(2, KeySource::Pem, &["tp2"]),
        ]);
        // No kid (a rotation trusting two keys, an issuer without kids):
        // every key of the token's algorithm, in order; none of another.
        assert_eq!(
            labels(&set, None, ES512),
            Ok(vec!["a".into(), "tp2".into()])
        );
        assert_eq!(
            labels(&set, None, Algorithm::Es256),
            Err(RejectReason::AlgNotAllowed)
        );
        // A kid names exactly one key, or none.
        assert_eq!(
            labels(&set, Some("zzz"), ES512),
            Err(RejectReason::UnknownKid)
        );
        assert_eq!(labels(&set, Some("a"), ES512), Ok(vec!["a".into()]));
        assert_eq!(labels(&set, Some("tp2"), ES512), Ok(vec!["tp2".into()]));
    }

    #[test]
    fn pem_parses_several_blocks_and_escaped_newlines() {
        let (a, b) = (TestKey::new(1), TestKey::new(2));
        let both = format!("{}\n{}", a.pem(), b.pem());
        let keys = parse_pem(&both, Backend::default_backend(), &[]).expect("two keys");
        assert_eq!(keys.len(), 2);
        assert_eq!(&*keys[0].label, thumbprint(&a.point()).expect("thumbprint"));
        let escaped = a.pem().replace('\n', "\\n");
        assert_eq!(
            parse_pem(&escaped, Backend::default_backend(), &[])
                .expect("escaped")
                .len(),
            1
        );
        for bad in [
            "junk",
            "-----BEGIN PUBLIC KEY-----\nAAAA",
            "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----",
        ] {
            assert!(
                parse_pem(bad, Backend::default_backend(), &[]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn jwks_rules() {
        let k = TestKey::new(3);
        let good = k.jwks("k1");
        let keys = parse_jwks(&good, Backend::default_backend()).expect("jwks");
        assert_eq!(keys[0].kids, vec!["k1".to_owned()]);
        assert_eq!(keys[0].key.point(), Some(&k.point()[..]));
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
    fn jwks_is_parsed_as_strictly_as_a_token() {
        let k = TestKey::new(3);
        let good = k.jwks("k1");
        let member_ok = |json: &str| parse_jwks(json, Backend::default_backend());
        // Each mutation of the genuine key, and the member its error must name.
        let cases: &[(&str, &str)] = &[
            (r#""alg":"ES256","alg":"ES512""#, "\"alg\""),
            (r#""alg":"ES512","alg":"ES512""#, "\"alg\""),
            (r#""use":"enc""#, "\"use\""),
            (r#""use":5"#, "\"use\""),
            (r#""key_ops":["sign"]"#, "\"key_ops\""),
            (r#""key_ops":["verify","verify"]"#, "\"key_ops\""),
            (r#""key_ops":"verify""#, "\"key_ops\""),
            (r#""key_ops":[1]"#, "\"key_ops\""),
            (r#""alg":"ES384""#, "\"alg\""),
            (r#""alg":null"#, "\"alg\""),
            (r#""d":"AAAA""#, "\"d\""),
        ];
        let base = good
            .replace(r#""alg":"ES512","#, "")
            .replace(r#""use":"sig","#, "");
        assert!(member_ok(&base).is_ok(), "{base}");
        for (extra, name) in cases {
            let doc = base.replacen(r#""kty":"EC""#, &format!(r#""kty":"EC",{extra}"#), 1);
            let e = member_ok(&doc).expect_err(&doc).to_string();
            assert!(e.starts_with("JWT_JWKS") && e.contains(name), "{doc}: {e}");
        }
        for ok in [
            r#""key_ops":["verify"]"#,
            r#""key_ops":["verify","sign"]"#,
            r#""use":"sig""#,
        ] {
            let doc = base.replacen(r#""kty":"EC""#, &format!(r#""kty":"EC",{ok}"#), 1);
            assert!(member_ok(&doc).is_ok(), "{doc}");
        }
        let dup_top = format!(r#"{{"keys":[],{}"#, &good[1..]);
        assert!(member_ok(&dup_top)
            .expect_err("dup keys")
            .to_string()
            .contains("\"keys\""));
    }

    #[test]
    fn thumbprint_is_rfc7638s_published_example() {
        // RFC 7638 §3.1: the RSA key of RFC 7517 Appendix A.1 and its
        // thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwks = serde_json::json!({"keys": [{"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}]})
            .to_string();
        let keys = parse_jwks(&jwks, Backend::default_backend()).expect("RFC 7517 A.1 key");
        assert_eq!(
            keys[0].key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(keys[0].key.algorithm(), Algorithm::Rs256);
        // The same modulus with e = 3 (or an even e) is a cold-start error
        // naming the key and the exponent, not a key that denies every token.
        for (e, value) in [("Aw", "e = 3"), ("AQAA", "e = 65536")] {
            let weak = serde_json::json!({"keys": [{"kty": "RSA", "n": n, "e": e, "alg": "RS256", "kid": "weak"}]})
                .to_string();
            let err = parse_jwks(&weak, Backend::default_backend())
                .expect_err("a weak exponent")
                .to_string();
            assert!(err.starts_with("JWT_JWKS"), "{err}");
            assert!(
                err.contains("key \"weak\"") && err.contains(&format!("RSA exponent {value}")),
                "{err}"
            );
        }
    }

    #[test]
    fn one_key_one_algorithm_and_one_key_per_kid_across_sources() {
        // RFC 7517 A.1's modulus under RS256 and PS256 (two kids): refused
        // at cold start, naming both.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let twice = serde_json::json!({"keys": [
            {"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "r"},
            {"kty": "RSA", "n": n, "e": "AQAB", "alg": "PS256", "kid": "p"},
        ]})
        .to_string();
        let keys = parse_jwks(&twice, Backend::default_backend()).expect("each key parses");
        let err = check_set(&keys).expect_err("two algorithms");
        assert!(err.contains("(r as RS256 and p as PS256)"), "{err}");
        assert!(err.contains("RFC 8725"), "{err}");
        // Under one algorithm twice it is the same trust: left alone.
        let same = [keys[0].clone(), {
            let mut k = keys[0].clone();
            k.kids = vec!["r2".into()];
            k
        }];
        assert_eq!(check_set(&same), Ok(()));
        // A kid a PEM key and a KMS key share.
        let shared = [
            key(1, KeySource::Pem, &["k"]),
            key(2, KeySource::Kms, &["k", "arn:k"]),
        ];
        let err = check_set(&shared).expect_err("shared kid");
        assert!(err.contains("kid \"k\" names two keys"), "{err}");
        assert!(err.contains("Pem") && err.contains("Kms"), "{err}");
        // Distinct keys and kids pass.
        assert_eq!(
            check_set(&[
                key(1, KeySource::Pem, &["a"]),
                key(2, KeySource::Kms, &["b", "arn:b"])
            ]),
            Ok(())
        );
    }

    #[test]
    fn kms_entries_may_pin_an_algorithm() {
        let v = env::KMS_KEY_IDS;
        assert_eq!(
            split_kms_entry(v, "alias/jwt").expect("ok"),
            ("alias/jwt".into(), None)
        );
        assert_eq!(
            split_kms_entry(v, "alias/jwt-rsa:PS256").expect("ok"),
            ("alias/jwt-rsa".into(), Some(Algorithm::Ps256))
        );
        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd";
        assert_eq!(split_kms_entry(v, arn).expect("ok"), (arn.into(), None));
        assert_eq!(
            split_kms_entry(v, &format!("{arn}:RS512")).expect("ok"),
            (arn.into(), Some(Algorithm::Rs512))
        );
        let e = split_kms_entry(v, "alias/jwt:RS257").expect_err("unknown");
        assert!(e.to_string().contains("RS257"), "{e}");
    }
}
