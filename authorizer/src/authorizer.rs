//! The pipeline, composed: extract → size limit → split → strict decode →
//! header checks → key selection → signature → claims → decision.
//! `decide` is synchronous, takes the clock as an argument and never logs.

use crate::cache::DecisionCache;
use crate::claims::{ClaimsPolicy, Grant, UnixTime};
use crate::config::{Config, ResponseFormat};
use crate::extract;
use crate::keys::{KeySet, StaticKey};
use crate::reason::RejectReason;
use crate::token;
use crate::token::{Allowed, Faults};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// What the authorizer was asked: the `Authorization` value as received.
#[derive(Clone, Copy)]
pub struct AuthRequest<'a> {
    /// The raw header value (or `identitySource[0]`, or a TOKEN event's
    /// `authorizationToken`); `None` if absent.
    pub authorization: Option<&'a str>,
}

// Hand-written so a token never reaches a log through `{:?}`.
impl std::fmt::Debug for AuthRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("authorization_len", &self.authorization.map(str::len))
            .finish()
    }
}

/// The verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Allowed, with what the token grants.
    Allow(Arc<Grant>),
    /// Denied, with the first rule the request broke.
    Deny(RejectReason),
}

impl Decision {
    /// `true` for [`Decision::Allow`].
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The reason, for a deny.
    pub fn reason(&self) -> Option<RejectReason> {
        match self {
            Decision::Allow(_) => None,
            Decision::Deny(r) => Some(*r),
        }
    }
}

/// A decision plus what the decision log line needs.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The verdict.
    pub decision: Decision,
    /// Answered from the decision cache.
    pub cache_hit: bool,
    /// The label of the key that verified the token: `None` unless the
    /// signature verified (never the token's unverified `kid`).
    pub key: Option<Arc<str>>,
    /// How long signature verification took, when it ran (a cache hit or a
    /// token refused before the signature has none).
    pub verify_time: Option<Duration>,
}

enum KeyState {
    Ready(Arc<KeySet>),
    /// Waiting for KMS; everything is denied with `key_unavailable`.
    Pending,
}

/// The authorizer: validated configuration, keys, and the decision cache.
pub struct Authorizer {
    policy: ClaimsPolicy,
    max_token_bytes: usize,
    require_bearer: bool,
    response_format: ResponseFormat,
    static_keys: Vec<StaticKey>,
    keys: RwLock<KeyState>,
    /// What a token may claim while KMS keys are still loading.
    pending: Allowed,
    cache: Mutex<DecisionCache>,
    faults: Faults,
}

/// Deliberate weaknesses for proving that `harness check` catches
/// regressions. Only constructible with the `dangerous-test-faults` feature.
#[cfg(feature = "dangerous-test-faults")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DangerousFault {
    /// Ignore a `crit` header.
    AcceptCrit,
    /// Compare `alg` case-insensitively.
    AlgCaseInsensitive,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer")
            .field("keys_ready", &self.keys_ready())
            .finish_non_exhaustive()
    }
}

impl Authorizer {
    /// Builds the authorizer. With KMS key ids configured, it denies with
    /// `key_unavailable` until [`Authorizer::install_kms_keys`] is called.
    pub fn new(config: &Config) -> Self {
        let state = if config.kms_key_ids.is_empty() {
            KeyState::Ready(Arc::new(KeySet::new(config.static_keys.clone())))
        } else {
            KeyState::Pending
        };
        Self {
            policy: ClaimsPolicy::from_config(config),
            max_token_bytes: config.max_token_bytes,
            require_bearer: config.require_bearer,
            response_format: config.response_format,
            static_keys: config.static_keys.clone(),
            keys: RwLock::new(state),
            pending: Allowed::pending(),
            cache: Mutex::new(DecisionCache::new(
                config.cache_max_entries,
                config.cache_max_bytes,
            )),
            faults: Faults::default(),
        }
    }

    /// A deliberately broken authorizer, for testing the harness.
    #[cfg(feature = "dangerous-test-faults")]
    pub fn dangerous_with_fault(config: &Config, fault: DangerousFault) -> Self {
        let mut a = Self::new(config);
        match fault {
            DangerousFault::AcceptCrit => a.faults.accept_crit = true,
            DangerousFault::AlgCaseInsensitive => a.faults.alg_case_insensitive = true,
        }
        a
    }

    /// Adds the keys fetched from KMS to the static ones and starts serving.
    ///
    /// On a refresh that changes the keys (an alias re-pointed, a key
    /// removed), the decision cache is emptied: a grant verified with a key
    /// that is no longer trusted must not outlive it.
    ///
    /// # Errors
    /// The whole set breaks [`crate::keys::check_set`] (a kid shared with a
    /// PEM or JWKS key, one key under two algorithms): nothing is installed,
    /// and the set in force, if any, stays.
    pub fn install_kms_keys(&self, kms: Vec<StaticKey>) -> Result<(), String> {
        let mut all = self.static_keys.clone();
        all.extend(kms);
        crate::keys::check_set(&all)?;
        let new = KeySet::new(all);
        let mut state = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        let changed = match &*state {
            KeyState::Ready(old) => old.fingerprint() != new.fingerprint(),
            KeyState::Pending => false,
        };
        *state = KeyState::Ready(Arc::new(new));
        drop(state);
        if changed {
            self.cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
        Ok(())
    }

    /// Whether every key source has loaded.
    pub fn keys_ready(&self) -> bool {
        matches!(
            *self.keys.read().unwrap_or_else(PoisonError::into_inner),
            KeyState::Ready(_)
        )
    }

    /// The payload 2.0 response format in force.
    pub fn response_format(&self) -> ResponseFormat {
        self.response_format
    }

    /// Decides a request at time `now`.
    pub fn decide(&self, request: &AuthRequest<'_>, now: UnixTime) -> Decision {
        self.decide_detailed(request, now).decision
    }

    /// Decides a request at time `now`, with cache and key details.
    pub fn decide_detailed(&self, request: &AuthRequest<'_>, now: UnixTime) -> Outcome {
        let mut outcome = Outcome {
            decision: Decision::Deny(RejectReason::MissingToken),
            cache_hit: false,
            key: None,
            verify_time: None,
        };
        outcome.decision = match self.run(request, now, &mut outcome) {
            Ok(grant) => Decision::Allow(grant),
            Err(reason) => Decision::Deny(reason),
        };
        outcome
    }

    fn run(
        &self,
        request: &AuthRequest<'_>,
        now: UnixTime,
        outcome: &mut Outcome,
    ) -> Result<Arc<Grant>, RejectReason> {
        // A cheap cap first, so a megabyte header is not even trimmed twice.
        if request
            .authorization
            .is_some_and(|v| v.len() > self.max_token_bytes + 256)
        {
            return Err(RejectReason::TooLarge);
        }
        let token = extract::bearer_token(request.authorization, self.require_bearer)?;
        if token.len() > self.max_token_bytes {
            return Err(RejectReason::TooLarge);
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let key: Option<[u8; 32]> = cache
            .enabled()
            .then(|| Sha256::digest(token.as_bytes()).into());
        if let Some(k) = &key {
            if let Some((grant, key_label)) = cache.get(k, now) {
                outcome.cache_hit = true;
                // The key that verified the cached decision.
                outcome.key = Some(key_label);
                return Ok(grant);
            }
        }
        drop(cache);

        let keys = match &*self.keys.read().unwrap_or_else(PoisonError::into_inner) {
            KeyState::Ready(keys) => Some(Arc::clone(keys)),
            KeyState::Pending => None,
        };
        let allowed = keys.as_ref().map_or(&self.pending, |k| k.allowed());
        let parsed = token::parse(token, self.faults, allowed)?;
        let Some(keys) = keys else {
            return Err(RejectReason::KeyUnavailable);
        };
        let candidates = keys.select(parsed.kid.as_deref(), parsed.alg)?;
        let mut verified = None;
        let mut failure = RejectReason::BadSignature;
        let started = Instant::now();
        for key_entry in candidates {
            // The key's algorithm is fixed by the key: the token's `alg` must
            // equal it (RFC 8725 §2.1), whatever else the key set allows.
            if parsed.alg != key_entry.key.algorithm() {
                return Err(RejectReason::AlgNotAllowed);
            }
            match key_entry
                .key
                .verify(parsed.signing_input.as_bytes(), &parsed.signature)
            {
                Ok(()) => {
                    verified = Some(key_entry);
                    break;
                }
                Err(e) => failure = e,
            }
        }
        outcome.verify_time = Some(started.elapsed());
        let Some(key_entry) = verified else {
            return Err(failure);
        };
        // Only a verified token is attributed to a key: an unverified `kid`
        // is the sender's claim, and logs must not present it as ours.
        outcome.key = Some(Arc::clone(&key_entry.label));
        let grant = Arc::new(self.policy.check(&parsed.payload, now)?);

        if let Some(k) = key {
            self.cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(
                    k,
                    Arc::clone(&grant),
                    &key_entry.label,
                    self.policy.valid_until(&grant),
                );
        }
        Ok(grant)
    }

    /// Entries in the decision cache (for tests and stats).
    pub fn cache_len(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
