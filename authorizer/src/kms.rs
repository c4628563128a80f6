//! KMS key source: `GetPublicKey` for each configured key, concurrently, at
//! cold start. Each key must be `SIGN_VERIFY` with a supported spec (ECC
//! P-256/P-384/P-521/secp256k1: the curve's algorithm; RSA 2048–4096: the
//! algorithm named in the entry, `alias/jwt-rsa:PS256`) whose signing
//! algorithms include it, and answers to the configured name, its KeyId and
//! ARN.
//! If KMS cannot be reached the function still starts, denies with
//! `key_unavailable`, and retries with exponential back-off on later
//! invocations — only for a token that got as far as key selection, and
//! never past that invocation's deadline (less a margin). `kms:Verify` is never called: it would spend money and quota
//! on unauthenticated input.

use crate::authorizer::Authorizer;
use crate::crypto::Backend;
use crate::crypto::PublicKey;
use crate::crypto::{Algorithm, Curve};
use crate::keys::{KeySource, StaticKey};
#[allow(deprecated)]
use aws_sdk_kms::types::CustomerMasterKeySpec;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why KMS keys could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KmsError {
    /// The call failed (network, credentials, throttling, not found): retried.
    #[error("GetPublicKey for {key} failed: {detail}")]
    Unreachable {
        /// The configured key name.
        key: String,
        /// The SDK's error, without request data.
        detail: String,
    },
    /// KMS answered definitively that the key is gone or unusable (not
    /// found, disabled, pending deletion, an invalid ARN): a configuration
    /// error at cold start; at a refresh the key is dropped.
    #[error("KMS key {key} is gone: {detail}")]
    Gone {
        /// The configured key name.
        key: String,
        /// KMS's answer.
        detail: String,
    },
    /// The key exists but cannot be used as configured: a configuration error.
    #[error("KMS key {key} cannot be used: {why}")]
    WrongKey {
        /// The configured key name.
        key: String,
        /// What is wrong with it.
        why: String,
    },
}

/// A failed refresh: the last good key set stays in force.
#[derive(Debug, thiserror::Error)]
#[error("{error} (keeping the key set fetched {}s ago)", key_set_age.as_secs())]
pub struct RefreshError {
    /// Why the fetch failed.
    pub error: KmsError,
    /// How old the key set still in force is.
    pub key_set_age: Duration,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Builds a KMS client from the usual SDK environment (`AWS_REGION`,
/// `AWS_ENDPOINT_URL_KMS`, credentials), with short timeouts so a cold start
/// never waits out Lambda's 10 s init limit.
pub async fn client() -> aws_sdk_kms::Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(4))
        .build();
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
        .load()
        .await;
    aws_sdk_kms::Client::new(&conf)
}

/// Fetches every key concurrently.
///
/// # Errors
/// The first [`KmsError`]; a definitive one (`WrongKey`, `Gone`) takes
/// precedence over `Unreachable`.
pub async fn fetch_keys(
    client: &aws_sdk_kms::Client,
    ids: &[String],
    backend: Backend,
) -> Result<Vec<StaticKey>, KmsError> {
    let results = fetch_each(client, ids, backend).await;
    if let Some(Err(e)) = results
        .iter()
        .find(|r| r.as_ref().is_err_and(KmsError::is_definitive))
    {
        return Err(e.clone());
    }
    results.into_iter().collect()
}

impl KmsError {
    /// Whether KMS answered for the key itself (not found, disabled, wrong
    /// spec…), as opposed to not answering.
    pub fn is_definitive(&self) -> bool {
        !matches!(self, Self::Unreachable { .. })
    }
}

/// Fetches every key concurrently: one result per entry of `ids`, in order.
async fn fetch_each(
    client: &aws_sdk_kms::Client,
    ids: &[String],
    backend: Backend,
) -> Vec<Result<StaticKey, KmsError>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().enumerate() {
        let (client, id) = (client.clone(), id.clone());
        set.spawn(async move { (i, fetch_one(&client, &id, backend).await) });
    }
    let mut results: Vec<Option<Result<StaticKey, KmsError>>> = vec![None; ids.len()];
    while let Some(joined) = set.join_next().await {
        if let Ok((i, r)) = joined {
            results[i] = Some(r);
        }
    }
    // A task that did not finish (it panicked) is a key not fetched.
    results
        .into_iter()
        .zip(ids)
        .map(|(r, id)| {
            r.unwrap_or_else(|| {
                Err(KmsError::Unreachable {
                    key: id.clone(),
                    detail: "the fetch task failed".into(),
                })
            })
        })
        .collect()
}

/// KMS error codes that are an answer about the key itself.
const GONE: [&str; 4] = [
    "NotFoundException",
    "DisabledException",
    "KMSInvalidStateException",
    "InvalidArnException",
];

// moto's GetPublicKey omits KeySpec; its deprecated twin is the fallback.
#[allow(deprecated)]
async fn fetch_one(
    client: &aws_sdk_kms::Client,
    entry: &str,
    backend: Backend,
) -> Result<StaticKey, KmsError> {
    let wrong = |why: String| KmsError::WrongKey {
        key: entry.to_owned(),
        why,
    };
    let (id, pinned) = crate::keys::split_kms_entry(crate::vars::env::KMS_KEY_IDS, entry)
        .map_err(|e| wrong(e.to_string()))?;
    let id = id.as_str();
    let out = client
        .get_public_key()
        .key_id(id)
        .send()
        .await
        .map_err(|e| {
            use aws_sdk_kms::error::ProvideErrorMetadata;
            let detail = crate::aws_error::describe("KMS", "GetPublicKey", &e);
            let code = e.as_service_error().and_then(ProvideErrorMetadata::code);
            if code.is_some_and(|c| GONE.contains(&c)) {
                KmsError::Gone {
                    key: id.to_owned(),
                    detail,
                }
            } else {
                KmsError::Unreachable {
                    key: id.to_owned(),
                    detail,
                }
            }
        })?;
    let spec = out
        .key_spec()
        .map(KeySpec::as_str)
        .or(out
            .customer_master_key_spec()
            .map(CustomerMasterKeySpec::as_str))
        .unwrap_or("unknown");
    let alg = algorithm_for(spec, pinned, entry).map_err(|e| wrong(e.to_string()))?;
    if out.key_usage() != Some(&KeyUsageType::SignVerify) {
        return Err(wrong("key usage is not SIGN_VERIFY".into()));
    }
    if !out
        .signing_algorithms()
        .iter()
        .any(|s| s.as_str() == alg.kms_name())
    {
        return Err(wrong(format!(
            "its signing algorithms do not include {} ({alg})",
            alg.kms_name()
        )));
    }
    let der = out
        .public_key()
        .ok_or_else(|| wrong("no public key returned".into()))?;
    let key = PublicKey::from_spki_der_as(backend, der.as_ref(), Some(alg))
        .map_err(|e| wrong(e.to_string()))?;
    // The configured name, the returned KeyId (an ARN on AWS), and the bare
    // key id inside any key ARN.
    let mut kids = vec![id.to_owned()];
    kids.extend(out.key_id().map(str::to_owned));
    let bare: Vec<String> = kids
        .iter()
        .filter_map(|k| k.rsplit_once(":key/"))
        .map(|(_, id)| id.to_owned())
        .collect();
    kids.extend(bare);
    kids.sort();
    kids.dedup();
    let label = out.key_id().unwrap_or(id).into();
    Ok(StaticKey {
        key,
        kids,
        source: KeySource::Kms,
        binds_kid: true,
        label,
    })
}

/// Why a KMS key spec cannot be trusted for the algorithm asked of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// A key whose spec fixes its algorithm (EC, Ed25519, ML-DSA) named
    /// with another.
    #[error("{spec} verifies {verifies} only, not {asked}")]
    NotItsAlgorithm {
        /// The key spec.
        spec: String,
        /// The curve's algorithm.
        verifies: Algorithm,
        /// The algorithm named.
        asked: Algorithm,
    },
    /// An RSA key without a named algorithm.
    #[error("{spec} allows several algorithms: name one, e.g. {entry}:PS256")]
    AlgorithmRequired {
        /// The key spec.
        spec: String,
        /// The configured entry, quoted in the example.
        entry: String,
    },
    /// Not a signing key spec this authorizer verifies.
    #[error("key spec {spec} is not a supported signing key spec")]
    Unsupported {
        /// The key spec.
        spec: String,
    },
}

/// The one algorithm a KMS key of `spec` is trusted for: the key spec
/// fixes it for EC, Ed25519 and ML-DSA keys; an RSA key allows six, so the operator names one
/// (`alias/jwt-rsa:PS256`). `entry` is only quoted in the message.
///
/// # Errors
/// Why the key cannot be used.
pub fn algorithm_for(
    spec: &str,
    pinned: Option<Algorithm>,
    entry: &str,
) -> Result<Algorithm, SpecError> {
    match (spec_algorithm(spec), pinned) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(a)) if a == own => Ok(a),
        (Some(own), Some(a)) => Err(SpecError::NotItsAlgorithm {
            spec: spec.to_owned(),
            verifies: own,
            asked: a,
        }),
        (None, Some(a)) if spec.starts_with("RSA_") && a.is_rsa() => Ok(a),
        (None, None) if spec.starts_with("RSA_") => Err(SpecError::AlgorithmRequired {
            spec: spec.to_owned(),
            entry: entry.to_owned(),
        }),
        (None, _) => Err(SpecError::Unsupported {
            spec: spec.to_owned(),
        }),
    }
}

/// The one algorithm of a key spec that fixes it (every signing spec but
/// RSA's): an ECC curve's ECDSA, Ed25519 (`ED25519_SHA_512`), ML-DSA
/// (`ML_DSA_SHAKE_256` at the spec's parameter set).
fn spec_algorithm(spec: &str) -> Option<Algorithm> {
    Some(match spec {
        "ECC_NIST_P256" => Curve::P256.algorithm(),
        "ECC_NIST_P384" => Curve::P384.algorithm(),
        "ECC_NIST_P521" => Curve::P521.algorithm(),
        "ECC_SECG_P256K1" => Curve::Secp256k1.algorithm(),
        "ECC_NIST_EDWARDS25519" => Algorithm::Ed25519,
        "ML_DSA_44" => Algorithm::MlDsa44,
        "ML_DSA_65" => Algorithm::MlDsa65,
        "ML_DSA_87" => Algorithm::MlDsa87,
        _ => return None,
    })
}

/// Loads KMS keys into an [`Authorizer`], at cold start and, after a
/// failure, again on later invocations with exponential back-off
/// (1 s doubling to 60 s).
#[derive(Debug)]
pub struct KmsLoader {
    client: aws_sdk_kms::Client,
    ids: Vec<String>,
    backend: Backend,
    retry: Mutex<Retry>,
    refresh: Mutex<Refresh>,
    /// Per entry of `ids`: the key in force and when it was fetched.
    held: Mutex<Vec<Option<(StaticKey, Instant)>>>,
    /// A key refreshes cannot reach is dropped this long after its fetch.
    max_stale: Duration,
}

/// What a refresh did.
#[derive(Debug, Default)]
pub struct RefreshReport {
    /// Keys in force from KMS after it.
    pub keys: usize,
    /// Keys dropped, each with why: KMS said it is gone (not found,
    /// disabled, pending deletion, unusable), or it could not be re-fetched
    /// for longer than the staleness bound.
    pub dropped: Vec<String>,
    /// Keys KMS did not answer for, kept from their last fetch (within the
    /// bound).
    pub kept_stale: Vec<KmsError>,
}

#[derive(Debug)]
struct Retry {
    next: Instant,
    delay: Duration,
}

/// Periodic re-fetching of a loaded key set (`JWT_KMS_REFRESH_SECONDS`).
#[derive(Debug)]
struct Refresh {
    /// `None`: never refresh.
    every: Option<Duration>,
    /// When the key set in force was fetched.
    loaded_at: Option<Instant>,
    /// The next refresh is due.
    next: Option<Instant>,
    /// A refresh is running (at most one at a time).
    running: bool,
}

/// After a failed refresh, the next attempt comes this soon (capped by the
/// refresh interval); the last good key set stays in force meanwhile.
const REFRESH_RETRY: Duration = Duration::from_secs(30);

/// Time kept back from a request's deadline for deciding and answering.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(250);
/// A KMS retry is not started with less time than this left.
pub const MIN_KMS_BUDGET: Duration = Duration::from_millis(100);

const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(60);

impl KmsLoader {
    /// A loader for `ids`.
    pub fn new(client: aws_sdk_kms::Client, ids: Vec<String>, backend: Backend) -> Self {
        Self {
            client,
            ids,
            backend,
            retry: Mutex::new(Retry {
                next: Instant::now(),
                delay: FIRST_DELAY,
            }),
            refresh: Mutex::new(Refresh {
                every: None,
                loaded_at: None,
                next: None,
                running: false,
            }),
            held: Mutex::new(Vec::new()),
            max_stale: Duration::from_secs(crate::config::DEFAULT_KEY_MAX_STALE_SECONDS),
        }
    }

    /// Drop a key that refreshes cannot reach this long after its last
    /// fetch (`JWT_KEY_MAX_STALE_SECONDS`).
    #[must_use]
    pub fn with_max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// Re-fetch the keys every `every` once loaded (`None` or zero: never).
    #[must_use]
    pub fn with_refresh(self, every: Option<Duration>) -> Self {
        lock(&self.refresh).every = every.filter(|d| !d.is_zero());
        self
    }

    /// Whether a refresh is due now (keys loaded, interval elapsed, none
    /// running); marks it running when it is, so a caller that gets `true`
    /// must call [`KmsLoader::refresh`].
    pub fn take_due_refresh(&self, auth: &Authorizer) -> bool {
        let mut r = lock(&self.refresh);
        let due = auth.keys_ready()
            && !r.running
            && r.every.is_some()
            && r.next.is_some_and(|next| Instant::now() >= next);
        if due {
            r.running = true;
        }
        due
    }

    /// Re-fetches the keys and installs them (an alias re-pointed to a new
    /// key is picked up here), key by key: a fresh copy replaces the old; a
    /// key KMS says is gone (not found, disabled, pending deletion) is
    /// dropped at once; a key KMS does not answer for keeps its last copy
    /// (stale-if-error) until [`KmsLoader::with_max_stale`] after its last
    /// fetch, then is dropped. When nothing was fetched and nothing dropped
    /// the set in force stays as is and the next attempt comes after
    /// [`REFRESH_RETRY`].
    ///
    /// # Errors
    /// Nothing fetched and nothing to drop (KMS unreachable within the
    /// bound), or the new set breaks [`crate::keys::check_set`]: the set in
    /// force stays, with its age.
    pub async fn refresh(&self, auth: &Authorizer) -> Result<RefreshReport, RefreshError> {
        let results = fetch_each(&self.client, &self.ids, self.backend).await;
        let now = Instant::now();
        let mut held = lock(&self.held).clone();
        held.resize(self.ids.len(), None);
        let mut report = RefreshReport::default();
        let mut fetched = 0;
        for (slot, result) in held.iter_mut().zip(results) {
            match result {
                Ok(key) => {
                    *slot = Some((key, now));
                    fetched += 1;
                }
                Err(e) if e.is_definitive() => {
                    *slot = None;
                    report.dropped.push(e.to_string());
                }
                Err(e) => match slot {
                    Some((_, at)) if now.duration_since(*at) > self.max_stale => {
                        report.dropped.push(format!(
                            "{e}; last fetched {} s ago, over JWT_KEY_MAX_STALE_SECONDS ({} s)",
                            now.duration_since(*at).as_secs(),
                            self.max_stale.as_secs()
                        ));
                        *slot = None;
                    }
                    _ => report.kept_stale.push(e),
                },
            }
        }
        let mut r = lock(&self.refresh);
        r.running = false;
        let every = r.every.unwrap_or(REFRESH_RETRY);
        let age = r.loaded_at.map(|t| t.elapsed()).unwrap_or_default();
        if fetched == 0 && report.dropped.is_empty() {
            r.next = Some(now + every.min(REFRESH_RETRY));
            let error = report
                .kept_stale
                .into_iter()
                .next()
                .unwrap_or(KmsError::Unreachable {
                    key: self.ids.join(","),
                    detail: "no key fetched".into(),
                });
            return Err(RefreshError {
                error,
                key_set_age: age,
            });
        }
        let keys: Vec<StaticKey> = held.iter().flatten().map(|(k, _)| k.clone()).collect();
        report.keys = keys.len();
        if let Err(why) = auth.install_kms_keys(keys) {
            r.next = Some(now + every.min(REFRESH_RETRY));
            return Err(RefreshError {
                error: KmsError::WrongKey {
                    key: self.ids.join(","),
                    why,
                },
                key_set_age: age,
            });
        }
        *lock(&self.held) = held;
        // The set's age is that of its oldest copy; a partial refresh
        // retries sooner.
        r.loaded_at = lock(&self.held).iter().flatten().map(|(_, at)| *at).min();
        r.next = Some(
            now + if report.kept_stale.is_empty() {
                every
            } else {
                every.min(REFRESH_RETRY)
            },
        );
        Ok(report)
    }

    /// How old the key set in force is (`None` before the first load).
    pub fn key_set_age(&self) -> Option<Duration> {
        lock(&self.refresh).loaded_at.map(|t| t.elapsed())
    }

    fn loaded(&self) {
        let mut r = lock(&self.refresh);
        r.loaded_at = Some(Instant::now());
        r.next = r.every.map(|e| Instant::now() + e);
    }

    /// Fetches the keys now and installs them on success.
    ///
    /// # Errors
    /// [`KmsError`]; on `Unreachable` the next retry is scheduled.
    pub async fn load(&self, auth: &Authorizer) -> Result<usize, KmsError> {
        self.load_within(auth, None).await
    }

    /// [`KmsLoader::load`], abandoned after `budget` (a request's remaining
    /// time): KMS that accepts connections and never answers costs a request
    /// at most its budget, and counts as a failure for the back-off.
    async fn load_within(
        &self,
        auth: &Authorizer,
        budget: Option<Duration>,
    ) -> Result<usize, KmsError> {
        let fetch = fetch_keys(&self.client, &self.ids, self.backend);
        let result = match budget {
            None => fetch.await,
            Some(budget) => tokio::time::timeout(budget, fetch)
                .await
                .unwrap_or_else(|_| {
                    Err(KmsError::Unreachable {
                        key: self.ids.join(","),
                        detail: format!(
                            "no answer within the invocation's remaining time ({} ms)",
                            budget.as_millis()
                        ),
                    })
                }),
        };
        let mut retry = self
            .retry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let result = result.and_then(|keys| {
            let n = keys.len();
            // Every key was fetched just now: the copies refreshes start from.
            let fetched_at = Instant::now();
            let copies: Vec<_> = keys.iter().map(|k| Some((k.clone(), fetched_at))).collect();
            auth.install_kms_keys(keys)
                .map(|()| {
                    *lock(&self.held) = copies;
                    n
                })
                .map_err(|why| KmsError::WrongKey {
                    key: self.ids.join(","),
                    why,
                })
        });
        match result {
            Ok(n) => {
                retry.delay = FIRST_DELAY;
                drop(retry);
                self.loaded();
                Ok(n)
            }
            Err(e) => {
                retry.next = Instant::now() + retry.delay;
                retry.delay = (retry.delay * 2).min(MAX_DELAY);
                Err(e)
            }
        }
    }

    /// Retries if the keys are missing and the back-off has elapsed.
    /// `None` when nothing was attempted.
    pub async fn retry_if_due(&self, auth: &Authorizer) -> Option<Result<usize, KmsError>> {
        if !self.due(auth) {
            return None;
        }
        Some(self.load(auth).await)
    }

    /// [`KmsLoader::retry_if_due`] for a request that must answer by
    /// `deadline`: the attempt gets the time left minus [`DEADLINE_MARGIN`],
    /// and is not made at all when less than [`MIN_KMS_BUDGET`] would be
    /// left. `None` when nothing was attempted.
    pub async fn retry_before(
        &self,
        auth: &Authorizer,
        deadline: Instant,
    ) -> Option<Result<usize, KmsError>> {
        let budget = deadline
            .checked_duration_since(Instant::now())?
            .checked_sub(DEADLINE_MARGIN)?;
        if budget < MIN_KMS_BUDGET || !self.due(auth) {
            return None;
        }
        Some(self.load_within(auth, Some(budget)).await)
    }

    fn due(&self, auth: &Authorizer) -> bool {
        !auth.keys_ready()
            && Instant::now()
                >= self
                    .retry
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_spec_fixes_its_algorithm_except_rsa() {
        for (spec, alg) in [
            ("ECC_NIST_P256", Algorithm::Es256),
            ("ECC_NIST_P384", Algorithm::Es384),
            ("ECC_NIST_P521", Algorithm::Es512),
            ("ECC_SECG_P256K1", Algorithm::Es256k),
            ("ECC_NIST_EDWARDS25519", Algorithm::Ed25519),
            ("ML_DSA_44", Algorithm::MlDsa44),
            ("ML_DSA_65", Algorithm::MlDsa65),
            ("ML_DSA_87", Algorithm::MlDsa87),
        ] {
            assert_eq!(algorithm_for(spec, None, "k"), Ok(alg), "{spec}");
            assert_eq!(algorithm_for(spec, Some(alg), "k"), Ok(alg), "{spec}");
            for other in Algorithm::ALL.into_iter().filter(|o| *o != alg) {
                assert!(
                    matches!(
                        algorithm_for(spec, Some(other), "k"),
                        Err(SpecError::NotItsAlgorithm { .. })
                    ),
                    "{spec} pinned to {other}"
                );
            }
        }
        assert!(matches!(
            algorithm_for("RSA_2048", None, "k"),
            Err(SpecError::AlgorithmRequired { .. })
        ));
        assert_eq!(
            algorithm_for("RSA_3072", Some(Algorithm::Ps256), "k"),
            Ok(Algorithm::Ps256)
        );
        for not_rsa in [Algorithm::Es256, Algorithm::Ed25519, Algorithm::MlDsa65] {
            assert!(algorithm_for("RSA_2048", Some(not_rsa), "k").is_err());
        }
        for spec in [
            "SYMMETRIC_DEFAULT",
            "HMAC_256",
            "ML_KEM_768",
            "SM2",
            "unknown",
        ] {
            assert!(
                matches!(
                    algorithm_for(spec, None, "k"),
                    Err(SpecError::Unsupported { .. })
                ),
                "{spec}"
            );
        }
    }
}
