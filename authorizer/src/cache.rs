//! The in-function decision cache: SHA-256 of the token → the grant.
//! Only allows are cached; an entry never outlives the token's `exp`, so an
//! expired token is never allowed from cache. Denies are not cached: caching
//! them would let a flood of junk tokens evict real users' entries, and most
//! denies are cheaper than the hash (only forged signatures cost a verify).
//! Bounded: when full, the oldest entries go first.

use crate::claims::{Grant, UnixTime};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A cache key: the SHA-256 of the token text.
pub(crate) type Key = [u8; 32];

#[derive(Debug)]
pub(crate) struct DecisionCache {
    map: HashMap<Key, Arc<Grant>>,
    order: VecDeque<Key>,
    max: usize,
}

impl DecisionCache {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            map: HashMap::with_capacity(max.min(1024)),
            order: VecDeque::new(),
            max,
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.max > 0
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// A live grant for `key`; expired entries are dropped on sight.
    pub(crate) fn get(&mut self, key: &Key, now: UnixTime) -> Option<Arc<Grant>> {
        let grant = self.map.get(key)?;
        if now.0 < grant.exp {
            return Some(Arc::clone(grant));
        }
        self.map.remove(key);
        None
    }

    pub(crate) fn insert(&mut self, key: Key, grant: Arc<Grant>) {
        if self.max == 0 {
            return;
        }
        while self.map.len() >= self.max {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        if self.map.insert(key, grant).is_none() {
            self.order.push_back(key);
        }
        // Keys dropped on expiry leave stale entries behind; compact now and
        // then so `order` stays bounded.
        if self.order.len() > 2 * self.max.max(16) {
            let map = &self.map;
            self.order.retain(|k| map.contains_key(k));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn grant(exp: f64) -> Arc<Grant> {
        Arc::new(Grant {
            sub: None,
            exp,
            context: Map::new(),
        })
    }

    #[test]
    fn entries_expire_with_the_token() {
        let mut c = DecisionCache::new(10);
        c.insert([1; 32], grant(100.0));
        assert!(c.get(&[1; 32], UnixTime(99.9)).is_some());
        assert!(
            c.get(&[1; 32], UnixTime(100.0)).is_none(),
            "exp == now is expired"
        );
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn bounded_with_oldest_evicted_first() {
        let mut c = DecisionCache::new(3);
        for i in 0..5u8 {
            c.insert([i; 32], grant(1e9));
        }
        assert_eq!(c.len(), 3);
        assert!(c.get(&[0; 32], UnixTime(0.0)).is_none());
        assert!(c.get(&[1; 32], UnixTime(0.0)).is_none());
        assert!(c.get(&[4; 32], UnixTime(0.0)).is_some());
    }

    #[test]
    fn order_stays_bounded_under_churn() {
        let mut c = DecisionCache::new(4);
        for i in 0..10_000u32 {
            let mut k = [0u8; 32];
            k[..4].copy_from_slice(&i.to_le_bytes());
            c.insert(k, grant(f64::from(i) + 1.0));
            let _ = c.get(&k, UnixTime(f64::from(i) + 2.0)); // expires it
        }
        assert!(c.order.len() <= 2 * 16 + 1);
    }

    #[test]
    fn zero_disables() {
        let mut c = DecisionCache::new(0);
        assert!(!c.enabled());
        c.insert([1; 32], grant(1e9));
        assert_eq!(c.len(), 0);
    }
}
