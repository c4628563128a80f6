//! Configuration: raw environment strings → a validated, typed [`Config`],
//! once, at cold start. A bad value fails init with one message naming the
//! variable. There is no switch that disables signature or claims checks;
//! the only opt-outs are the explicit, logged `!unchecked` values for `iss`
//! and `aud` that legacy issuers need.

use crate::crypto::Backend;
use crate::keys::{self, StaticKey};
pub use crate::vars::{env, ConfigError};

/// The value of `JWT_ISSUER` / `JWT_AUDIENCE` that opts out of that check.
pub const UNCHECKED: &str = "!unchecked";
/// Largest accepted `JWT_LEEWAY_SECONDS`.
pub const MAX_LEEWAY_SECONDS: u32 = 300;
/// Default `JWT_MAX_TOKEN_BYTES`.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8192;
/// Default `JWT_CACHE_MAX_ENTRIES`.
pub const DEFAULT_CACHE_MAX_ENTRIES: usize = 10_000;
/// Default `JWT_CACHE_MAX_BYTES`: 16 MiB, an eighth of the module's default
/// 128 MB function memory (the binary itself runs in about 10 MB).
pub const DEFAULT_CACHE_MAX_BYTES: usize = 16 << 20;
/// Default `JWT_KMS_REFRESH_SECONDS`: 15 minutes.
pub const DEFAULT_KMS_REFRESH_SECONDS: u64 = 900;
/// Default `JWT_KEY_MAX_STALE_SECONDS`: 6 hours (24 refresh intervals at
/// the default; a KMS outage shorter than that costs nothing).
pub const DEFAULT_KEY_MAX_STALE_SECONDS: u64 = 21_600;
/// Default `JWT_METRICS_NAMESPACE`.
pub const DEFAULT_METRICS_NAMESPACE: &str = "JwtAuthorizer";

/// What `iss` must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerCheck {
    /// `iss` required and exactly equal to this.
    Exactly(String),
    /// Explicit opt-out (`JWT_ISSUER=!unchecked`): `iss` not required.
    Unchecked,
}

/// What `aud` must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudienceCheck {
    /// `aud` required and containing at least one of these.
    AnyOf(Vec<String>),
    /// Explicit opt-out (`JWT_AUDIENCE=!unchecked`): `aud` not required.
    Unchecked,
}

/// The payload 2.0 response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `{"isAuthorized": bool, "context": {...}}`.
    Simple,
    /// An IAM policy document.
    Policy,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Keys known at cold start without a network call (PEM and JWKS).
    pub static_keys: Vec<StaticKey>,
    /// KMS key ids, ARNs or aliases to fetch at cold start.
    pub kms_key_ids: Vec<String>,
    /// The `iss` rule (no default: required).
    pub issuer: IssuerCheck,
    /// The `aud` rule (no default: required).
    pub audience: AudienceCheck,
    /// Leeway for `exp`, `nbf` and `iat`, seconds (default 0, ≤ 300).
    pub leeway_seconds: u32,
    /// Largest accepted token (default 8192).
    pub max_token_bytes: usize,
    /// Largest accepted `exp - iat` (default unset).
    pub max_lifetime_seconds: Option<u64>,
    /// Refuse bare tokens (default false).
    pub require_bearer: bool,
    /// Payload 2.0 response format (default simple).
    pub response_format: ResponseFormat,
    /// Extra claims copied into the context (default none).
    pub context_claims: Vec<String>,
    /// Decision cache size (default 10000; 0 = off).
    pub cache_max_entries: usize,
    /// Decision cache memory bound, bytes as the cache counts them (default
    /// 16 MiB; 0 = off).
    pub cache_max_bytes: usize,
    /// How often KMS keys are re-fetched, seconds (default 900; 0 = never).
    pub kms_refresh_seconds: u64,
    /// How long a KMS key that refreshes cannot reach is kept, seconds
    /// since its last fetch (default 21600).
    pub key_max_stale_seconds: u64,
    /// The verification backend.
    pub backend: Backend,
    /// The CloudWatch namespace of the EMF metrics; `None` with
    /// `JWT_METRICS=off` (default: on, `JwtAuthorizer`).
    pub metrics_namespace: Option<String>,
}

/// The keys configured inline (`JWT_PUBLIC_KEY_PEM` with its kids and
/// algorithms, `JWT_JWKS`) and the KMS key ids to fetch; at least one
/// source, and no kid twice.
fn key_sources(
    get: &dyn Fn(&str) -> Option<String>,
    backend: Backend,
) -> Result<(Vec<StaticKey>, Vec<String>), ConfigError> {
    let mut static_keys = Vec::new();
    if let Some(pem) = get(env::PUBLIC_KEY_PEM) {
        let algs = match get(env::PUBLIC_KEY_ALG) {
            Some(a) => list(env::PUBLIC_KEY_ALG, &a)?
                .iter()
                .map(|a| keys::algorithm(env::PUBLIC_KEY_ALG, a))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let mut pem_keys = keys::parse_pem(&pem, backend, &algs)?;
        if let Some(kids) = get(env::PUBLIC_KEY_KIDS) {
            // One group of kids per PEM key, in order, separated by `;`.
            let groups: Vec<&str> = kids.split(';').collect();
            if groups.len() != pem_keys.len() {
                return Err(ConfigError::invalid(
                    env::PUBLIC_KEY_KIDS,
                    format!(
                        "has {} group(s) of kids for {} PEM keys: separate one group per key, in order, with ';'",
                        groups.len(),
                        pem_keys.len()
                    ),
                ));
            }
            for (key, group) in pem_keys.iter_mut().zip(groups) {
                key.kids.extend(list(env::PUBLIC_KEY_KIDS, group)?);
                key.binds_kid = true;
            }
        }
        static_keys.extend(pem_keys);
    } else if let Some(var) = [env::PUBLIC_KEY_KIDS, env::PUBLIC_KEY_ALG]
        .into_iter()
        .find(|v| get(v).is_some())
    {
        return Err(ConfigError::invalid(var, "set without JWT_PUBLIC_KEY_PEM"));
    }
    if let Some(jwks) = get(env::JWKS) {
        static_keys.extend(keys::parse_jwks(&jwks, backend)?);
    }
    let kms_raw = match (get(env::KMS_KEY_IDS), get(env::KMS_KEY_ID_LEGACY)) {
        (Some(v), _) => Some((env::KMS_KEY_IDS, v)),
        (None, Some(v)) => Some((env::KMS_KEY_ID_LEGACY, v)),
        (None, None) => None,
    };
    let kms_key_ids = match kms_raw {
        Some((var, v)) => list(var, &v)?,
        None => Vec::new(),
    };
    for entry in &kms_key_ids {
        let (_, alg) = keys::split_kms_entry(env::KMS_KEY_IDS, entry)?;
        if let Some(a) = alg.filter(|a| !backend.verifies(*a)) {
            return Err(ConfigError::invalid(
                env::KMS_KEY_IDS,
                format!("the {} backend cannot verify {a} ({entry})", backend.name()),
            ));
        }
    }
    if static_keys.is_empty() && kms_key_ids.is_empty() {
        return Err(ConfigError::NoKeySource);
    }
    // The lean build has no AWS SDK: a KMS key it cannot fetch must fail
    // init by name, not deny every token with `key_unavailable`.
    if !cfg!(feature = "kms") && !kms_key_ids.is_empty() {
        return Err(ConfigError::invalid(
            kms_raw_var(get),
            "is set, but this is the lean build without the KMS key source: deploy the KMS build (authorizer-kms.zip, lambda_kms_zip_path) or trust the key as PEM",
        ));
    }
    let var = if get(env::JWKS).is_some() {
        env::JWKS
    } else {
        env::PUBLIC_KEY_PEM
    };
    keys::check_set(&static_keys).map_err(|why| ConfigError::invalid(var, why))?;
    // One KMS key listed twice (`k:RS256,k:PS256`) would trust it under two
    // algorithms; the same key reached through an alias and its id is
    // caught when the keys are fetched.
    let mut listed = std::collections::HashSet::new();
    for entry in &kms_key_ids {
        let (id, _) = keys::split_kms_entry(env::KMS_KEY_IDS, entry)?;
        if !listed.insert(id.clone()) {
            return Err(ConfigError::invalid(
                env::KMS_KEY_IDS,
                format!("lists key {id} twice: one key, one algorithm (RFC 8725 §3.1)"),
            ));
        }
    }
    Ok((static_keys, kms_key_ids))
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any name → value lookup.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // Every value is trimmed of surrounding whitespace before it is
        // interpreted, the same way for every variable: a trailing newline
        // from `$(cat file)` or a Terraform heredoc must not turn
        // `JWT_ISSUER` into a value no real token carries. Blank = unset.
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let backend = match get(env::VERIFY_BACKEND) {
            None => Backend::default_backend(),
            Some(v) => Backend::from_name(&v).ok_or_else(|| {
                let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
                ConfigError::invalid(
                    env::VERIFY_BACKEND,
                    format!("expected one of {} (this build)", names.join(", ")),
                )
            })?,
        };

        let (static_keys, kms_key_ids) = key_sources(&get, backend)?;

        let issuer = match get(env::ISSUER) {
            None => {
                return Err(ConfigError::Missing(
                    env::ISSUER,
                    " (the exact `iss`; `!unchecked` opts out explicitly)",
                ))
            }
            Some(v) if v == UNCHECKED => IssuerCheck::Unchecked,
            Some(v) => IssuerCheck::Exactly(v),
        };
        let audience =
            match get(env::AUDIENCE) {
                None => return Err(ConfigError::Missing(
                    env::AUDIENCE,
                    " (accepted `aud` values, comma-separated; `!unchecked` opts out explicitly)",
                )),
                Some(v) if v == UNCHECKED => AudienceCheck::Unchecked,
                Some(v) => AudienceCheck::AnyOf(list(env::AUDIENCE, &v)?),
            };

        let leeway_seconds = match get(env::LEEWAY_SECONDS) {
            None => 0,
            Some(v) => number::<u32>(env::LEEWAY_SECONDS, &v, 0, MAX_LEEWAY_SECONDS)?,
        };
        let max_token_bytes = match get(env::MAX_TOKEN_BYTES) {
            None => DEFAULT_MAX_TOKEN_BYTES,
            Some(v) => number::<usize>(env::MAX_TOKEN_BYTES, &v, 256, 1 << 20)?,
        };
        let max_lifetime_seconds = match get(env::MAX_LIFETIME_SECONDS) {
            None => None,
            Some(v) => Some(number::<u64>(
                env::MAX_LIFETIME_SECONDS,
                &v,
                1,
                10 * 365 * 86_400,
            )?),
        };
        let require_bearer = match get(env::REQUIRE_BEARER) {
            None => false,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(ConfigError::invalid(
                        env::REQUIRE_BEARER,
                        "expected true or false",
                    ))
                }
            },
        };
        let response_format = match get(env::RESPONSE_FORMAT) {
            None => ResponseFormat::Simple,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "simple" => ResponseFormat::Simple,
                "policy" => ResponseFormat::Policy,
                _ => {
                    return Err(ConfigError::invalid(
                        env::RESPONSE_FORMAT,
                        "expected simple or policy",
                    ))
                }
            },
        };
        let context_claims = match get(env::CONTEXT_CLAIMS) {
            None => Vec::new(),
            Some(v) => list(env::CONTEXT_CLAIMS, &v)?,
        };
        let cache_max_entries = match get(env::CACHE_MAX_ENTRIES) {
            None => DEFAULT_CACHE_MAX_ENTRIES,
            Some(v) => number::<usize>(env::CACHE_MAX_ENTRIES, &v, 0, 1_000_000)?,
        };
        let cache_max_bytes = match get(env::CACHE_MAX_BYTES) {
            None => DEFAULT_CACHE_MAX_BYTES,
            Some(v) => number::<usize>(env::CACHE_MAX_BYTES, &v, 0, 1 << 32)?,
        };
        let kms_refresh_seconds = match get(env::KMS_REFRESH_SECONDS) {
            None => DEFAULT_KMS_REFRESH_SECONDS,
            Some(v) => number::<u64>(env::KMS_REFRESH_SECONDS, &v, 0, 86_400)?,
        };
        let key_max_stale_seconds = match get(env::KEY_MAX_STALE_SECONDS) {
            None => DEFAULT_KEY_MAX_STALE_SECONDS,
            Some(v) => number::<u64>(env::KEY_MAX_STALE_SECONDS, &v, 1, 7 * 86_400)?,
        };
        let metrics_namespace = metrics_namespace(&get)?;
        Ok(Self {
            static_keys,
            kms_key_ids,
            issuer,
            audience,
            leeway_seconds,
            max_token_bytes,
            max_lifetime_seconds,
            require_bearer,
            response_format,
            context_claims,
            cache_max_entries,
            cache_max_bytes,
            kms_refresh_seconds,
            key_max_stale_seconds,
            backend,
            metrics_namespace,
        })
    }

    /// Warnings to log at cold start (explicit opt-outs).
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut w = Vec::new();
        if self.issuer == IssuerCheck::Unchecked {
            w.push("JWT_ISSUER=!unchecked: tokens are accepted without an `iss` check");
        }
        if self.audience == AudienceCheck::Unchecked {
            w.push("JWT_AUDIENCE=!unchecked: tokens are accepted without an `aud` check");
        }
        w
    }
}

/// Which variable named the KMS keys (the legacy name only when the new one
/// is unset).
fn kms_raw_var(get: &dyn Fn(&str) -> Option<String>) -> &'static str {
    if get(env::KMS_KEY_IDS).is_none() && get(env::KMS_KEY_ID_LEGACY).is_some() {
        env::KMS_KEY_ID_LEGACY
    } else {
        env::KMS_KEY_IDS
    }
}

/// `JWT_METRICS` and `JWT_METRICS_NAMESPACE`: the namespace, or `None` when
/// metrics are off. A namespace is what CloudWatch accepts (1–255 of
/// letters, digits and `. - _ / # :` and space) and not `AWS/…`, which is
/// reserved for AWS services.
fn metrics_namespace(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>, ConfigError> {
    let on = match get(env::METRICS).map(|v| v.to_ascii_lowercase()) {
        None => true,
        Some(v) if v == "emf" => true,
        Some(v) if v == "off" => false,
        Some(_) => return Err(ConfigError::invalid(env::METRICS, "expected emf or off")),
    };
    let namespace = get(env::METRICS_NAMESPACE).unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.into());
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
    if namespace.len() > 255 || !namespace.chars().all(allowed) {
        return Err(ConfigError::invalid(
            env::METRICS_NAMESPACE,
            "expected 1-255 letters, digits, spaces or . - _ / # :",
        ));
    }
    if namespace.starts_with("AWS/") {
        return Err(ConfigError::invalid(
            env::METRICS_NAMESPACE,
            "AWS/ namespaces are reserved for AWS services",
        ));
    }
    Ok(on.then_some(namespace))
}

fn list(var: &'static str, v: &str) -> Result<Vec<String>, ConfigError> {
    let items: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err(ConfigError::invalid(
            var,
            "empty entry in comma-separated list",
        ));
    }
    Ok(items)
}

fn number<T>(var: &'static str, v: &str, min: T, max: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match v.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(ConfigError::invalid(
            var,
            format!("expected an integer from {min} to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TestKey;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    fn base(pem: &str) -> Vec<(&'static str, String)> {
        vec![
            (env::PUBLIC_KEY_PEM, pem.to_owned()),
            (env::ISSUER, "https://issuer.example".to_owned()),
            (env::AUDIENCE, "api".to_owned()),
        ]
    }

    #[test]
    fn metrics_are_on_by_default_and_refuse_bad_values_by_name() {
        let pem = TestKey::new(3).pem();
        let c = with(&pem, &[]).expect("defaults");
        assert_eq!(
            c.metrics_namespace.as_deref(),
            Some(DEFAULT_METRICS_NAMESPACE)
        );
        let off = with(&pem, &[(env::METRICS, "OFF")]).expect("off");
        assert_eq!(off.metrics_namespace, None);
        let named = with(&pem, &[(env::METRICS_NAMESPACE, "Team/Auth")]).expect("ns");
        assert_eq!(named.metrics_namespace.as_deref(), Some("Team/Auth"));
        for (var, value) in [
            (env::METRICS, "prometheus"),
            (env::METRICS_NAMESPACE, "AWS/Lambda"),
            (env::METRICS_NAMESPACE, "bad{ns}"),
        ] {
            let err = with(&pem, &[(var, value)]).expect_err(value);
            assert!(err.to_string().starts_with(var), "{err}");
        }
    }

    fn with(pem: &str, extra: &[(&'static str, &str)]) -> Result<Config, ConfigError> {
        let mut v = base(pem);
        for (k, val) in extra {
            v.retain(|(kk, _)| kk != k);
            v.push((k, (*val).to_owned()));
        }
        let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
        cfg(&refs)
    }

    #[test]
    fn defaults() {
        let k = TestKey::new(1);
        let c = with(&k.pem(), &[]).expect("valid");
        assert_eq!(c.leeway_seconds, 0);
        assert_eq!(c.max_token_bytes, 8192);
        assert_eq!(c.max_lifetime_seconds, None);
        assert!(!c.require_bearer);
        assert_eq!(c.response_format, ResponseFormat::Simple);
        assert_eq!(c.cache_max_entries, 10_000);
        assert_eq!(c.cache_max_bytes, 16 << 20);
        assert_eq!(c.kms_refresh_seconds, 900);
        assert_eq!(
            c.issuer,
            IssuerCheck::Exactly("https://issuer.example".into())
        );
        assert_eq!(c.audience, AudienceCheck::AnyOf(vec!["api".into()]));
        assert!(c.warnings().is_empty());
    }

    #[test]
    fn issuer_and_audience_are_required_unless_explicitly_unchecked() {
        let k = TestKey::new(1);
        let pem = k.pem();
        let e = cfg(&[(env::PUBLIC_KEY_PEM, &pem), (env::AUDIENCE, "api")]).unwrap_err();
        assert!(e.to_string().contains("JWT_ISSUER"), "{e}");
        let e = cfg(&[(env::PUBLIC_KEY_PEM, &pem), (env::ISSUER, "i")]).unwrap_err();
        assert!(e.to_string().contains("JWT_AUDIENCE"), "{e}");
        let e = cfg(&[
            (env::PUBLIC_KEY_PEM, &pem),
            (env::ISSUER, " "),
            (env::AUDIENCE, "a"),
        ])
        .unwrap_err();
        assert!(
            e.to_string().contains("JWT_ISSUER"),
            "empty is not an opt-out: {e}"
        );
        let c = with(
            &pem,
            &[(env::ISSUER, UNCHECKED), (env::AUDIENCE, UNCHECKED)],
        )
        .expect("ok");
        assert_eq!(c.issuer, IssuerCheck::Unchecked);
        assert_eq!(c.audience, AudienceCheck::Unchecked);
        assert_eq!(c.warnings().len(), 2);
    }

    #[test]
    fn audience_is_a_trimmed_list() {
        let k = TestKey::new(1);
        let c = with(&k.pem(), &[(env::AUDIENCE, "a, b ,c")]).expect("ok");
        assert_eq!(
            c.audience,
            AudienceCheck::AnyOf(vec!["a".into(), "b".into(), "c".into()])
        );
        let e = with(&k.pem(), &[(env::AUDIENCE, "a,,b")]).unwrap_err();
        assert!(e.to_string().contains("JWT_AUDIENCE"));
    }

    #[test]
    fn every_value_is_trimmed_the_same_way() {
        let k = TestKey::new(1);
        let pem = k.pem();
        let padded = |v: &str| format!(" \t{v}\r\n");
        let c = cfg(&[
            (env::PUBLIC_KEY_PEM, &padded(&pem)),
            (env::PUBLIC_KEY_KIDS, &padded("k1, k2")),
            (env::ISSUER, &padded("https://issuer.example")),
            (env::AUDIENCE, &padded("api")),
            (env::LEEWAY_SECONDS, &padded("30")),
            (env::MAX_TOKEN_BYTES, &padded("4096")),
            (env::MAX_LIFETIME_SECONDS, &padded("600")),
            (env::REQUIRE_BEARER, &padded("true")),
            (env::RESPONSE_FORMAT, &padded("policy")),
            (env::CONTEXT_CLAIMS, &padded("tenant")),
            (env::CACHE_MAX_ENTRIES, &padded("5")),
            (env::CACHE_MAX_BYTES, &padded("1000")),
        ])
        .expect("padded values parse");
        assert_eq!(
            c.issuer,
            IssuerCheck::Exactly("https://issuer.example".into()),
            "a trailing newline is not part of the issuer"
        );
        assert_eq!(c.audience, AudienceCheck::AnyOf(vec!["api".into()]));
        assert_eq!(
            c.static_keys[0].kids[1..],
            ["k1".to_owned(), "k2".to_owned()]
        );
        assert_eq!(
            (c.leeway_seconds, c.max_token_bytes, c.max_lifetime_seconds),
            (30, 4096, Some(600))
        );
        assert!(c.require_bearer);
        assert_eq!(c.response_format, ResponseFormat::Policy);
        assert_eq!(c.context_claims, vec!["tenant".to_owned()]);
        assert_eq!((c.cache_max_entries, c.cache_max_bytes), (5, 1000));
        let c = with(
            &pem,
            &[
                (env::ISSUER, "!unchecked\n"),
                (env::AUDIENCE, " !unchecked"),
            ],
        )
        .expect("opt-outs trimmed too");
        assert_eq!(c.issuer, IssuerCheck::Unchecked);
        assert_eq!(c.audience, AudienceCheck::Unchecked);
        let jwks = with(&pem, &[(env::JWKS, &padded(&TestKey::new(2).jwks("j")))]).expect("jwks");
        assert_eq!(jwks.static_keys.len(), 2);
        let kms = kms_accepted(
            &[
                (env::KMS_KEY_IDS, &padded("alias/jwt")),
                (env::ISSUER, "i"),
                (env::AUDIENCE, "a"),
            ],
            env::KMS_KEY_IDS,
        );
        if let Some(kms) = kms {
            assert_eq!(kms.kms_key_ids, vec!["alias/jwt".to_owned()]);
        }
    }

    #[test]
    fn one_kms_key_listed_under_two_algorithms_is_refused() {
        let err = cfg(&[
            (env::KMS_KEY_IDS, "alias/jwt-rsa:RS256,alias/jwt-rsa:PS256"),
            (env::ISSUER, "i"),
            (env::AUDIENCE, "a"),
        ])
        .expect_err("one key, one algorithm")
        .to_string();
        assert!(err.starts_with(env::KMS_KEY_IDS), "{err}");
        if cfg!(feature = "kms") {
            assert!(
                err.contains("lists key alias/jwt-rsa twice") && err.contains("RFC 8725"),
                "{err}"
            );
        }
    }

    /// A KMS key configuration: accepted by the KMS build (returned),
    /// refused at cold start by the lean build, naming `var`.
    fn kms_accepted(vars: &[(&str, &str)], var: &str) -> Option<Config> {
        let result = cfg(vars);
        if cfg!(feature = "kms") {
            Some(result.expect("the KMS build accepts KMS keys"))
        } else {
            let e = result
                .expect_err("the lean build refuses KMS keys")
                .to_string();
            assert!(e.starts_with(var) && e.contains("lean build"), "{e}");
            None
        }
    }

    #[test]
    fn a_key_source_is_required() {
        let e = cfg(&[(env::ISSUER, "i"), (env::AUDIENCE, "a")]).unwrap_err();
        assert_eq!(e, ConfigError::NoKeySource);
        let c = kms_accepted(
            &[
                (env::KMS_KEY_ID_LEGACY, "alias/jwt"),
                (env::ISSUER, "i"),
                (env::AUDIENCE, "a"),
            ],
            env::KMS_KEY_ID_LEGACY,
        );
        if let Some(c) = c {
            assert_eq!(c.kms_key_ids, vec!["alias/jwt".to_owned()]);
        }
    }

    #[test]
    fn numeric_limits_are_enforced() {
        let k = TestKey::new(1);
        let pem = k.pem();
        assert_eq!(
            with(&pem, &[(env::LEEWAY_SECONDS, "300")])
                .expect("ok")
                .leeway_seconds,
            300
        );
        for (var, bad) in [
            (env::LEEWAY_SECONDS, "301"),
            (env::LEEWAY_SECONDS, "-1"),
            (env::LEEWAY_SECONDS, "1.5"),
            (env::MAX_TOKEN_BYTES, "10"),
            (env::MAX_TOKEN_BYTES, "x"),
            (env::MAX_LIFETIME_SECONDS, "0"),
            (env::CACHE_MAX_ENTRIES, "-5"),
            (env::REQUIRE_BEARER, "maybe"),
            (env::RESPONSE_FORMAT, "iam"),
            (env::VERIFY_BACKEND, "openssl"),
            (env::VERIFY_BACKEND, "P521"),
        ] {
            let e = with(&pem, &[(var, bad)]).unwrap_err();
            assert!(e.to_string().starts_with(var), "{var}={bad}: {e}");
        }
        let c = with(
            &pem,
            &[
                (env::REQUIRE_BEARER, "TRUE"),
                (env::RESPONSE_FORMAT, "policy"),
            ],
        )
        .expect("ok");
        assert!(c.require_bearer);
        assert_eq!(c.response_format, ResponseFormat::Policy);
    }

    #[test]
    fn bad_pem_names_the_variable() {
        let e = with(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().starts_with(env::PUBLIC_KEY_PEM), "{e}");
    }
}
