//! Token buckets, as API Gateway throttles: per route (or the stage
//! default) inside the account bucket. A rate or burst of 0 admits nothing:
//! the real gotcha when route settings are created without throttle values.

use std::sync::Mutex;
use std::time::Instant;

/// Rate (requests/s) and burst (bucket size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Steady-state requests per second.
    pub rate: f64,
    /// Bucket capacity.
    pub burst: f64,
}

/// AWS's default account-level limit for HTTP APIs.
pub const ACCOUNT_DEFAULT: Limit = Limit {
    rate: 10_000.0,
    burst: 5_000.0,
};

/// One token bucket; starts full.
#[derive(Debug)]
pub struct Bucket {
    limit: Limit,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    /// A full bucket.
    pub fn new(limit: Limit) -> Self {
        Self {
            limit,
            state: Mutex::new((limit.burst, Instant::now())),
        }
    }

    /// The limit.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Takes one token if there is one.
    pub fn try_take(&self) -> bool {
        if self.limit.rate <= 0.0 || self.limit.burst < 1.0 {
            return false;
        }
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        let now = Instant::now();
        let elapsed = now.duration_since(s.1).as_secs_f64();
        s.0 = (s.0 + elapsed * self.limit.rate).min(self.limit.burst);
        s.1 = now;
        if s.0 >= 1.0 {
            s.0 -= 1.0;
            true
        } else {
            false
        }
    }

    /// Returns a token taken by a request that an outer bucket then refused
    /// (API Gateway counts a request once).
    pub fn give_back(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = (s.0 + 1.0).min(self.limit.burst);
        }
    }

    /// Refills to full (used by reset).
    pub fn refill(&self) {
        if let Ok(mut s) = self.state.lock() {
            *s = (self.limit.burst, Instant::now());
        }
    }
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
}
