//! Token buckets, as API Gateway throttles: per route (or the stage
//! default) inside the account bucket. A rate or burst of 0 admits nothing:
//! the real gotcha when route settings are created without throttle values.

use crate::config::{GatewayConfig, Limit, RouteConfig};
use std::sync::Mutex;
use std::time::Instant;

/// One token bucket; starts full. Its limit can change while it serves (a
/// stage re-read from the control plane).
#[derive(Debug)]
pub struct Bucket {
    state: Mutex<Tokens>,
}

#[derive(Debug)]
struct Tokens {
    limit: Limit,
    left: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn new(limit: Limit) -> Self {
        Self {
            state: Mutex::new(Tokens {
                limit,
                left: limit.burst,
                at: Instant::now(),
            }),
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&self) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        if s.limit.rate <= 0.0 || s.limit.burst < 1.0 {
            return false;
        }
        let now = Instant::now();
        let elapsed = now.duration_since(s.at).as_secs_f64();
        s.left = (s.left + elapsed * s.limit.rate).min(s.limit.burst);
        s.at = now;
        if s.left >= 1.0 {
            s.left -= 1.0;
            true
        } else {
            false
        }
    }

    /// Returns a token taken by a request that an outer bucket then refused
    /// (API Gateway counts a request once).
    pub fn give_back(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.left = (s.left + 1.0).min(s.limit.burst);
        }
    }

    /// Refills to full (used by reset).
    pub fn refill(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.left = s.limit.burst;
            s.at = Instant::now();
        }
    }

    /// Applies a new limit; a changed one starts full, as a new deployment
    /// of the stage does. Returns whether it changed.
    pub fn set_limit(&self, limit: Limit) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        if s.limit == limit {
            return false;
        }
        *s = Tokens {
            limit,
            left: limit.burst,
            at: Instant::now(),
        };
        true
    }
}

/// Each route's limit: its own, else the stage default; with `always`, the
/// account limit where neither is set (so a limit can arrive later).
pub(super) fn route_limits(
    routes: &[RouteConfig],
    stage: Option<Limit>,
    cfg: &GatewayConfig,
    always: bool,
) -> Vec<Option<Limit>> {
    let account = Limit {
        rate: cfg.account_rate,
        burst: cfg.account_burst,
    };
    routes
        .iter()
        .map(|r| match (r.rate, r.burst, stage) {
            (None, None, None) if !always => None,
            (rate, burst, stage) => {
                let base = stage.unwrap_or(account);
                Some(Limit {
                    rate: rate.unwrap_or(base.rate),
                    burst: burst.unwrap_or(base.burst),
                })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_rate() {
        let b = Bucket::new(Limit {
            rate: 1.0,
            burst: 3.0,
        });
        assert!(b.try_take() && b.try_take() && b.try_take());
        assert!(!b.try_take());
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(b.try_take());
        assert!(!b.try_take());
    }

    #[test]
    fn zero_rate_or_burst_throttles_everything() {
        assert!(!Bucket::new(Limit {
            rate: 0.0,
            burst: 100.0
        })
        .try_take());
        assert!(!Bucket::new(Limit {
            rate: 100.0,
            burst: 0.0
        })
        .try_take());
    }

    #[test]
    fn a_new_limit_applies_at_once_and_starts_full() {
        let b = Bucket::new(Limit {
            rate: 0.001,
            burst: 1.0,
        });
        assert!(b.try_take() && !b.try_take());
        let raised = Limit {
            rate: 0.001,
            burst: 3.0,
        };
        assert!(b.set_limit(raised));
        assert!(!b.set_limit(raised), "the same limit is no change");
        assert!(b.try_take() && b.try_take() && b.try_take());
        assert!(!b.try_take());
    }
}
