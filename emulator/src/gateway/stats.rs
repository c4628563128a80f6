//! Counters behind `GET /__emulator/stats`.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Bounded record of invocation durations (µs) for percentiles.
const MAX_SAMPLES: usize = 1_000_000;

#[derive(Debug, Default)]
struct Inner {
    by_status: BTreeMap<u16, u64>,
    requests: u64,
    invocations: u64,
    cache_hits: u64,
    cache_misses: u64,
    throttled: u64,
    lambda_throttled: u64,
    function_errors: u64,
    cold_starts_ms: Vec<f64>,
    durations_us: Vec<u32>,
    max_memory_kib: u64,
}

/// Live counters.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

/// A snapshot, as JSON.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Snapshot {
    /// Requests answered (excluding `/__emulator/*`).
    pub requests: u64,
    /// Responses by HTTP status.
    pub by_status: BTreeMap<String, u64>,
    /// Authorizer invocations.
    pub authorizer_invocations: u64,
    /// Result-cache hits.
    pub cache_hits: u64,
    /// Result-cache misses (cache enabled, no live entry).
    pub cache_misses: u64,
    /// 429s from API Gateway throttling.
    pub throttled: u64,
    /// Invocations refused for reserved concurrency (client saw 500).
    pub lambda_throttled: u64,
    /// Function errors, crashes, timeouts, malformed responses.
    pub function_errors: u64,
    /// Cold starts.
    pub cold_starts: u64,
    /// Each cold start's init duration, ms.
    pub init_durations_ms: Vec<f64>,
    /// Environments alive now.
    pub live_environments: usize,
    /// Invocation duration percentiles, µs (p50, p90, p99, max).
    pub invocation_us: BTreeMap<String, u64>,
    /// Largest peak RSS of any environment, KiB.
    pub max_memory_kib: u64,
}

impl Stats {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        if let Ok(mut i) = self.inner.lock() {
            f(&mut i);
        }
    }

    /// A response was sent.
    pub fn response(&self, status: u16) {
        self.with(|i| {
            i.requests += 1;
            *i.by_status.entry(status).or_default() += 1;
            if status == 429 {
                i.throttled += 1;
            }
        });
    }

    /// Cache lookup outcome.
    pub fn cache(&self, hit: bool) {
        self.with(|i| {
            if hit {
                i.cache_hits += 1
            } else {
                i.cache_misses += 1
            }
        });
    }

    /// An invocation completed.
    pub fn invocation(&self, duration: Duration, max_rss_kib: Option<u64>) {
        self.with(|i| {
            i.invocations += 1;
            if i.durations_us.len() < MAX_SAMPLES {
                i.durations_us
                    .push(u32::try_from(duration.as_micros()).unwrap_or(u32::MAX));
            }
            i.max_memory_kib = i.max_memory_kib.max(max_rss_kib.unwrap_or(0));
        });
    }

    /// A new environment finished init.
    pub fn cold_start(&self, init: Duration) {
        self.with(|i| i.cold_starts_ms.push(init.as_secs_f64() * 1000.0));
    }

    /// A cold start whose init failed.
    pub fn failed_init(&self) {
        self.with(|i| i.function_errors += 1);
    }

    /// A function error / crash / timeout / malformed response.
    pub fn function_error(&self) {
        self.with(|i| i.function_errors += 1);
    }

    /// Reserved concurrency refused an invocation.
    pub fn lambda_throttle(&self) {
        self.with(|i| i.lambda_throttled += 1);
    }

    /// Clears every counter.
    pub fn clear(&self) {
        self.with(|i| *i = Inner::default());
    }

    /// The current figures.
    pub fn snapshot(&self, live_environments: usize) -> Snapshot {
        let Ok(i) = self.inner.lock() else {
            return Snapshot::empty(live_environments);
        };
        let mut d = i.durations_us.clone();
        d.sort_unstable();
        let pct = |p: f64| -> u64 {
            if d.is_empty() {
                return 0;
            }
            let idx = ((d.len() as f64 - 1.0) * p).round() as usize;
            u64::from(d[idx.min(d.len() - 1)])
        };
        let mut invocation_us = BTreeMap::new();
        for (name, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0)] {
            invocation_us.insert(name.to_owned(), pct(p));
        }
        Snapshot {
            requests: i.requests,
            by_status: i
                .by_status
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            authorizer_invocations: i.invocations,
            cache_hits: i.cache_hits,
            cache_misses: i.cache_misses,
            throttled: i.throttled,
            lambda_throttled: i.lambda_throttled,
            function_errors: i.function_errors,
            cold_starts: i.cold_starts_ms.len() as u64,
            init_durations_ms: i.cold_starts_ms.clone(),
            live_environments,
            invocation_us,
            max_memory_kib: i.max_memory_kib,
        }
    }
}

impl Snapshot {
    fn empty(live_environments: usize) -> Self {
        Self {
            requests: 0,
            by_status: BTreeMap::new(),
            authorizer_invocations: 0,
            cache_hits: 0,
            cache_misses: 0,
            throttled: 0,
            lambda_throttled: 0,
            function_errors: 0,
            cold_starts: 0,
            init_durations_ms: Vec::new(),
            live_environments,
            invocation_us: BTreeMap::new(),
            max_memory_kib: 0,
        }
    }
}
