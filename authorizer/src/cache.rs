//! The in-function decision cache: SHA-256 of the token → the grant.
//!
//! Only allows are cached; denies are not (caching them would let a flood of
//! junk tokens evict real users' entries, and most denies are cheaper than
//! the hash — only forged signatures cost a verify).
//!
//! An entry is valid exactly as long as the claims policy would accept the
//! token: until `exp + leeway` (the instant `ClaimsPolicy::check` starts to
//! answer `expired`), so cache and policy never disagree, and a token inside
//! the leeway window is a hit rather than a re-verify and re-insert.
//!
//! Bounded twice, by entries (`JWT_CACHE_MAX_ENTRIES`) and by bytes
//! (`JWT_CACHE_MAX_BYTES`): every entry weighs what it holds on the heap
//! (see [`entry_bytes`]) but never less than `max_bytes / max_entries`, so one
//! weight budget enforces both limits. Eviction and insertion are O(1)
//! amortised whatever the request pattern (`quick_cache`'s CLOCK-based
//! policy; no queue to scan or compact).

use crate::claims::{Grant, UnixTime};
use quick_cache::unsync::Cache;
use quick_cache::Weighter;
use std::sync::Arc;

/// A cache key: the SHA-256 of the token text.
pub(crate) type Key = [u8; 32];

#[derive(Debug, Clone)]
struct Entry {
    grant: Arc<Grant>,
    /// The label of the key that verified the token (the decision line's
    /// `kid` on a hit).
    key_label: Arc<str>,
    /// Allowed while `now < valid_until` (`exp + leeway`).
    valid_until: f64,
    /// The entry's weight, computed once at insert (a weight must not change).
    weight: u64,
}

#[derive(Debug, Clone, Copy)]
struct ByWeight;

impl Weighter<Key, Entry> for ByWeight {
    fn weight(&self, _key: &Key, entry: &Entry) -> u64 {
        entry.weight
    }
}

#[derive(Debug)]
pub(crate) struct DecisionCache {
    entries: Option<Cache<Key, Entry, ByWeight>>,
    /// The smallest weight an entry is given: `max_bytes / max_entries`.
    min_weight: u64,
}

impl DecisionCache {
    /// A cache of at most `max_entries` entries holding at most `max_bytes`
    /// (as [`entry_bytes`] counts them). Either limit 0 turns it off.
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Self {
        let (entries, bytes) = (max_entries as u64, max_bytes as u64);
        if entries == 0 || bytes == 0 {
            return Self {
                entries: None,
                min_weight: 0,
            };
        }
        let min_weight = bytes.div_ceil(entries).max(1);
        // Capacity is a whole number of minimum weights, so at most
        // `max_entries` fit even when every entry is small.
        let capacity = (bytes / min_weight).min(entries) * min_weight;
        Self {
            entries: Some(Cache::with_weighter(
                max_entries.min(16_384),
                capacity,
                ByWeight,
            )),
            min_weight,
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Cache::len)
    }

    /// The weight (bytes, as counted) of everything cached.
    #[cfg(test)]
    pub(crate) fn weight(&self) -> u64 {
        self.entries.as_ref().map_or(0, Cache::weight)
    }

    /// Drops every entry.
    pub(crate) fn clear(&mut self) {
        if let Some(entries) = self.entries.as_mut() {
            entries.clear();
        }
    }

    /// A live grant for `key`, with the label of the key that verified
    /// it; an entry past its validity is dropped.
    pub(crate) fn get(&mut self, key: &Key, now: UnixTime) -> Option<(Arc<Grant>, Arc<str>)> {
        let entries = self.entries.as_mut()?;
        let entry = entries.get(key)?;
        if now.0 < entry.valid_until {
            return Some((Arc::clone(&entry.grant), Arc::clone(&entry.key_label)));
        }
        entries.remove(key);
        None
    }

    /// Caches `grant`, verified by the key labelled `key_label` and
    /// accepted by the policy until `valid_until`.
    pub(crate) fn insert(
        &mut self,
        key: Key,
        grant: Arc<Grant>,
        key_label: &Arc<str>,
        valid_until: f64,
    ) {
        let min_weight = self.min_weight;
        let Some(entries) = self.entries.as_mut() else {
            return;
        };
        // The label is shared with the key set; its pointer is in the entry.
        let weight = entry_bytes(&grant).max(min_weight);
        entries.insert(
            key,
            Entry {
                grant,
                key_label: Arc::clone(key_label),
                valid_until,
                weight,
            },
        );
    }
}

/// What one cached entry costs, in bytes: the cache's slot for the key and
/// the entry (counted twice: the table and its spare capacity), and each
/// heap allocation behind it — the shared grant, its `sub` and its context
/// text — at the size the allocator really hands out ([`allocated`]). The
/// context is one allocation whatever its number of claims (see
/// [`Grant::context`]), so this is a count, not an estimate that a shape of
/// token could outgrow.
pub(crate) fn entry_bytes(grant: &Grant) -> u64 {
    const SLOT: usize = 2 * (std::mem::size_of::<Key>() + std::mem::size_of::<Entry>());
    // An `Arc`'s allocation: two counts and the value.
    const ARC_GRANT: usize = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<Grant>();
    let sub = grant.sub.as_ref().map_or(0, |s| allocated(s.capacity()));
    let context = allocated(grant.context.get().len());
    (SLOT + allocated(ARC_GRANT) + sub + context) as u64
}

/// What the allocator takes for a request of `n` bytes (glibc malloc, the
/// Lambda runtime's: an 8-byte header, 16-byte granules, 32 bytes at least).
fn allocated(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).div_ceil(16).max(2) * 16
    }
}

#[cfg(test)]
mod tests {
    fn label() -> Arc<str> {
        Arc::from("k")
    }

    use super::*;
    use serde_json::value::to_raw_value;

    fn grant(exp: f64) -> Arc<Grant> {
        Arc::new(Grant {
            sub: None,
            exp,
            context: to_raw_value(&serde_json::json!({})).expect("raw"),
        })
    }

    fn big_grant(exp: f64, scope_bytes: usize) -> Arc<Grant> {
        let context = serde_json::json!({ "scope": "s".repeat(scope_bytes) });
        Arc::new(Grant {
            sub: Some("user".into()),
            exp,
            context: to_raw_value(&context).expect("raw"),
        })
    }

    fn key(i: u32) -> Key {
        let mut k = [0u8; 32];
        k[..4].copy_from_slice(&i.to_le_bytes());
        k
    }

    #[test]
    fn entries_live_until_valid_until() {
        let mut c = DecisionCache::new(10, 1 << 20);
        c.insert([1; 32], grant(100.0), &label(), 130.0);
        assert!(c.get(&[1; 32], UnixTime(129.9)).is_some(), "inside leeway");
        assert!(
            c.get(&[1; 32], UnixTime(130.0)).is_none(),
            "valid_until == now is expired"
        );
        assert_eq!(c.len(), 0, "dropped on sight");
    }

    #[test]
    fn bounded_by_entries() {
        let mut c = DecisionCache::new(3, 1 << 20);
        for i in 0..100 {
            c.insert(key(i), grant(1e9), &label(), 1e9);
        }
        assert!(c.len() <= 3, "{} entries", c.len());
        assert!(c.get(&key(99), UnixTime(0.0)).is_some(), "newest kept");
    }

    #[test]
    fn bounded_by_bytes_for_large_grants() {
        let max_bytes = 64 * 1024;
        let mut c = DecisionCache::new(10_000, max_bytes);
        for i in 0..1_000 {
            c.insert(key(i), big_grant(1e9, 7_000), &label(), 1e9);
        }
        assert!(c.weight() <= max_bytes as u64, "weight {}", c.weight());
        assert!(c.len() <= max_bytes / 7_000, "{} entries", c.len());
        assert!(c.len() >= 1);
    }

    #[test]
    fn entry_bytes_counts_the_context() {
        let small = entry_bytes(&grant(1.0));
        let big = entry_bytes(&big_grant(1.0, 7_000));
        assert!(big >= small + 7_000, "{small} vs {big}");
    }

    #[test]
    fn allocations_are_counted_as_the_allocator_rounds_them() {
        assert_eq!(allocated(0), 0);
        assert_eq!(allocated(1), 32, "the smallest chunk");
        assert_eq!(allocated(24), 32);
        assert_eq!(allocated(25), 48);
        assert_eq!(allocated(4_000), 4_016);
    }

    #[test]
    fn replaying_one_key_keeps_one_entry() {
        let mut c = DecisionCache::new(4, 1 << 20);
        for i in 0..10_000u32 {
            let now = f64::from(i);
            if c.get(&[7; 32], UnixTime(now)).is_none() {
                c.insert([7; 32], grant(now + 0.5), &label(), now + 0.5);
            }
        }
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn zero_disables() {
        for (entries, bytes) in [(0, 1 << 20), (10, 0)] {
            let mut c = DecisionCache::new(entries, bytes);
            assert!(!c.enabled());
            c.insert([1; 32], grant(1e9), &label(), 1e9);
            assert_eq!(c.len(), 0);
        }
    }
}
