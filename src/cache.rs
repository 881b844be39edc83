//! A least-recently-used cache of encoded avatars, bounded in bytes, one per
//! wasm VM (so per Envoy worker). Hot avatars — the same faces on every page
//! view — are then a hash lookup instead of a render.
//!
//! Why not Envoy's shared data: it is visible across workers but has no
//! eviction, so an attacker requesting endless distinct names would grow it
//! without bound. Here every insert evicts until the total is within budget.
//!
//! Entries are keyed by the request's raw `:path`: a response is a function
//! of the path and the configuration alone, and a cache lives exactly as
//! long as one configuration, so a path seen before is answered without
//! parsing, resolving or hashing anything.
//!
//! Invariant: `bytes <= capacity` after every call; an entry larger than the
//! whole capacity is not stored. Sizes are in bytes and count the key, the
//! body, the ETag and a fixed per-entry overhead.
//!
//! The recency list and map are the `lru` crate's, over std's SipHash map
//! with random keys (the keys come from requests, so chosen collisions must
//! not be cheap); this file adds the byte budget and the hit counts.

use crate::report::RequestOutcome;
use crate::script::Script;
use lru::LruCache;
use std::collections::hash_map::RandomState;
use std::rc::Rc;

/// One encoded avatar and everything its response needs, so a hit never
/// looks at the request again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub body: Vec<u8>,
    /// Quoted, as sent in the `ETag` header.
    pub etag: String,
    pub content_type: &'static str,
    /// [`RequestOutcome::Rendered`] or [`RequestOutcome::Placeholder`], for metrics.
    pub outcome: RequestOutcome,
    pub script: Option<Script>,
}

/// Book-keeping bytes charged per entry on top of key, body and ETag (the
/// list node, the map slot, the `Entry` and its `Rc`; `make bench` counts
/// under 100 bytes of the cache's own heap per entry, key copy included).
pub const ENTRY_OVERHEAD: usize = 160;

/// Entries by key with the bytes each is charged, most recently used first.
type Entries = LruCache<Box<str>, (Rc<Entry>, usize), RandomState>;

/// The cache. `capacity` 0 disables it.
pub struct Cache {
    capacity: usize,
    bytes: usize,
    /// Made at the first insert, so a disabled or unused cache allocates
    /// nothing (src/filter.rs makes a spare one for every request).
    entries: Option<Entries>,
    pub hits: u64,
    pub misses: u64,
}

impl Cache {
    pub fn new(capacity: usize) -> Cache {
        Cache {
            capacity,
            bytes: 0,
            entries: None,
            hits: 0,
            misses: 0,
        }
    }

    /// Bytes currently charged.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, LruCache::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry for `key`, marking it most recently used.
    pub fn get(&mut self, key: &str) -> Option<Rc<Entry>> {
        let found = self
            .entries
            .as_mut()
            .and_then(|entries| entries.get(key))
            .map(|(entry, _)| Rc::clone(entry));
        match found {
            Some(_) => self.hits = self.hits.saturating_add(1),
            None => self.misses = self.misses.saturating_add(1),
        }
        found
    }

    /// Stores `entry` under `key`, evicting least recently used entries to stay within capacity.
    pub fn insert(&mut self, key: &str, entry: Rc<Entry>) {
        let cost = key
            .len()
            .saturating_add(entry.body.len())
            .saturating_add(entry.etag.len())
            .saturating_add(ENTRY_OVERHEAD);
        if cost > self.capacity {
            return;
        }
        let entries = self
            .entries
            .get_or_insert_with(|| LruCache::unbounded_with_hasher(RandomState::new()));
        if entries.contains(key) {
            return;
        }
        while self.bytes.saturating_add(cost) > self.capacity {
            let Some((_, (_, freed))) = entries.pop_lru() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(freed);
        }
        entries.put(Box::from(key), (entry, cost));
        self.bytes = self.bytes.saturating_add(cost);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(n: usize) -> Rc<Entry> {
        Rc::new(Entry {
            body: vec![7u8; n],
            etag: String::new(),
            content_type: "image/png",
            outcome: RequestOutcome::Rendered,
            script: None,
        })
    }

    #[test]
    fn hit_and_miss() {
        let mut c = Cache::new(10_000);
        assert!(c.get("a").is_none());
        c.insert("a", body(10));
        assert_eq!(c.get("a").map(|e| e.body.clone()), Some(vec![7u8; 10]));
        assert_eq!((c.hits, c.misses), (1, 1));
    }

    #[test]
    fn evicts_least_recently_used_within_the_byte_budget() {
        let entry = 1 + 100 + ENTRY_OVERHEAD;
        let mut c = Cache::new(3 * entry);
        for k in ["a", "b", "c"] {
            c.insert(k, body(100));
        }
        assert_eq!(c.bytes(), 3 * entry);
        c.get("a"); // a is now the most recent; b is the least
        c.insert("d", body(100));
        assert!(c.get("b").is_none());
        for k in ["a", "c", "d"] {
            assert!(c.get(k).is_some(), "{k}");
        }
        assert!(c.bytes() <= 3 * entry);
    }

    #[test]
    fn at_and_past_the_limit() {
        let entry = 1 + 100 + ENTRY_OVERHEAD;
        let mut at = Cache::new(entry);
        at.insert("a", body(100));
        assert_eq!(at.len(), 1, "an entry exactly the capacity is kept");
        let mut past = Cache::new(entry - 1);
        past.insert("a", body(100));
        assert!(past.is_empty(), "an entry over the capacity is not stored");
        let mut off = Cache::new(0);
        off.insert("a", body(0));
        assert!(off.is_empty());
    }

    #[test]
    fn stays_bounded_under_a_flood_of_distinct_keys() {
        let mut c = Cache::new(50_000);
        for i in 0..20_000 {
            let key = format!("name-{i}");
            c.get(&key);
            c.insert(&key, body(i % 700));
            assert!(c.bytes() <= 50_000);
        }
        // Only what fits is held: every entry costs at least the overhead.
        assert!(c.len() <= 50_000 / ENTRY_OVERHEAD, "{}", c.len());
    }
}
