//! A least-recently-used cache of encoded avatars, bounded in bytes, one per
//! wasm VM (so per Envoy worker). Hot avatars — the same faces on every page
//! view — are then a hash lookup instead of a render.
//!
//! Why not Envoy's shared data: it is visible across workers but has no
//! eviction, so an attacker requesting endless distinct names would grow it
//! without bound. Here every insert evicts until the total is within budget.
//!
//! Two kinds of key share one LRU and one byte budget:
//! - an image is stored once, under its ETag, which names one byte sequence:
//!   every spelling of the same avatar (percent-encoding, unknown or empty
//!   parameters, `.png`) finds it there after parsing and resolving, so it
//!   is rendered once however it is spelled;
//! - each raw `:path` answered is an alias of that image, holding it weakly:
//!   a path seen before is answered without parsing, resolving or hashing
//!   anything (a response is a function of the path and the configuration
//!   alone, and a cache lives exactly as long as one configuration). An
//!   alias costs its key, never the image again; when the image is evicted
//!   the alias finds nothing and the request takes the canonical way.
//!
//! Invariant: `bytes <= capacity` after every call; an entry larger than the
//! whole capacity is not stored. Sizes are in bytes and count what an entry
//! really holds: the key, the body's and the ETag's allocated capacity and a
//! fixed per-entry overhead.
//!
//! The recency list and map are the `lru` crate's, over std's SipHash map
//! with random keys (the keys come from requests, so chosen collisions must
//! not be cheap); this file adds the two kinds of key, the byte budget and
//! the hit counts.

use crate::flow::report::RequestOutcome;
use crate::fonts::script::Script;
use lru::LruCache;
use std::collections::hash_map::RandomState;
use std::rc::{Rc, Weak};

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

impl Entry {
    /// The heap bytes this entry holds, by allocated capacity (a body
    /// reserved larger than it grew costs what was reserved).
    pub fn heap_bytes(&self) -> usize {
        self.body.capacity().saturating_add(self.etag.capacity())
    }
}

/// Book-keeping bytes charged per entry on top of its key and heap (map
/// slot, node, the `Entry` and its `Rc`).
pub const ENTRY_OVERHEAD: usize = 160;

/// What a key holds: the image itself, or a path's weak alias of one.
enum Slot {
    Image(Rc<Entry>),
    Alias(Weak<Entry>),
}

/// Keys with what they hold and the bytes each is charged, most recently used first.
type Entries = LruCache<Box<str>, (Slot, usize), RandomState>;

/// The cache. `capacity` 0 disables it.
pub struct Cache {
    capacity: usize,
    bytes: usize,
    /// Made at the first insert, so a disabled or unused cache allocates nothing.
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

    /// The image under `key` (an ETag or an aliased path), marking it most
    /// recently used; counts a hit when found. An alias whose image was
    /// evicted is dropped and finds nothing.
    pub fn get(&mut self, key: &str) -> Option<Rc<Entry>> {
        let entries = self.entries.as_mut()?;
        let found = match entries.get(key)? {
            (Slot::Image(entry), _) => Some(Rc::clone(entry)),
            (Slot::Alias(weak), _) => weak.upgrade(),
        };
        match found {
            Some(_) => self.hits = self.hits.saturating_add(1),
            None => {
                if let Some((_, (_, freed))) = entries.pop_entry(key) {
                    self.bytes = self.bytes.saturating_sub(freed);
                }
            }
        }
        found
    }

    /// Counts a request that had to render.
    pub fn count_miss(&mut self) {
        self.misses = self.misses.saturating_add(1);
    }

    /// Stores the image `entry` under its ETag.
    pub fn insert(&mut self, entry: Rc<Entry>) {
        let key = entry.etag.clone();
        let heap = entry.heap_bytes();
        self.store(&key, Slot::Image(entry), heap);
    }

    /// Makes `path` an alias of the stored image `entry`.
    pub fn alias(&mut self, path: &str, entry: &Rc<Entry>) {
        self.store(path, Slot::Alias(Rc::downgrade(entry)), 0);
    }

    /// Stores `slot` under `key`, charging the key, `heap` and the overhead,
    /// evicting least recently used entries to stay within capacity.
    fn store(&mut self, key: &str, slot: Slot, heap: usize) {
        let cost = key
            .len()
            .saturating_add(heap)
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
        entries.put(Box::from(key), (slot, cost));
        self.bytes = self.bytes.saturating_add(cost);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(tag: &str, n: usize) -> Rc<Entry> {
        Rc::new(Entry {
            body: vec![7u8; n],
            etag: tag.to_string(),
            content_type: "image/png",
            outcome: RequestOutcome::Rendered,
            script: None,
        })
    }

    /// The cost of an image of `n` bytes under a one-byte tag.
    fn cost(n: usize) -> usize {
        1 + 1 + n + ENTRY_OVERHEAD
    }

    #[test]
    fn hit_and_miss() {
        let mut c = Cache::new(10_000);
        assert!(c.get("a").is_none());
        c.insert(image("a", 10));
        assert_eq!(c.get("a").map(|e| e.body.clone()), Some(vec![7u8; 10]));
        assert_eq!(c.hits, 1);
    }

    #[test]
    fn evicts_least_recently_used_within_the_byte_budget() {
        let mut c = Cache::new(3 * cost(100));
        for k in ["a", "b", "c"] {
            c.insert(image(k, 100));
        }
        assert_eq!(c.bytes(), 3 * cost(100));
        c.get("a"); // a is now the most recent; b is the least
        c.insert(image("d", 100));
        assert!(c.get("b").is_none());
        for k in ["a", "c", "d"] {
            assert!(c.get(k).is_some(), "{k}");
        }
        assert!(c.bytes() <= 3 * cost(100));
    }

    #[test]
    fn at_and_past_the_limit() {
        let mut at = Cache::new(cost(100));
        at.insert(image("a", 100));
        assert_eq!(at.len(), 1, "an entry exactly the capacity is kept");
        let mut past = Cache::new(cost(100) - 1);
        past.insert(image("a", 100));
        assert!(past.is_empty(), "an entry over the capacity is not stored");
        let mut off = Cache::new(0);
        off.insert(image("a", 0));
        assert!(off.is_empty());
    }

    #[test]
    fn charges_reserved_capacity_not_length() {
        let mut body = Vec::with_capacity(10_000);
        body.push(1u8);
        let entry = Rc::new(Entry {
            body,
            etag: "t".to_string(),
            content_type: "image/png",
            outcome: RequestOutcome::Rendered,
            script: None,
        });
        let mut c = Cache::new(1 << 20);
        c.insert(entry);
        assert!(c.bytes() >= 10_000, "{}", c.bytes());
    }

    #[test]
    fn aliases_cost_their_key_and_die_with_their_image() {
        let mut c = Cache::new(cost(100) + 2 * (8 + ENTRY_OVERHEAD));
        let img = image("a", 100);
        c.insert(Rc::clone(&img));
        c.alias("/path/1", &img);
        c.alias("/path/2", &img);
        assert_eq!(c.len(), 3);
        assert_eq!(c.bytes(), cost(100) + 2 * (7 + ENTRY_OVERHEAD));
        assert!(Rc::ptr_eq(&c.get("/path/1").unwrap(), &img));
        drop(img);
        // Another image evicts the least recent: "a" itself (the aliases were used later).
        c.get("/path/2");
        c.insert(image("b", 100));
        assert!(c.get("a").is_none());
        assert!(
            c.get("/path/1").is_none(),
            "an alias of an evicted image finds nothing"
        );
        assert!(c.bytes() <= c.capacity);
    }

    #[test]
    fn stays_bounded_under_a_flood_of_distinct_keys() {
        let mut c = Cache::new(50_000);
        let keep = image("kept", 10);
        for i in 0..20_000 {
            let key = format!("name-{i}");
            c.get(&key);
            if i % 2 == 0 {
                c.insert(image(&key, i % 700));
            } else {
                c.alias(&key, &keep);
            }
            assert!(c.bytes() <= 50_000);
        }
        // Only what fits is held: every entry costs at least the overhead.
        assert!(c.len() <= 50_000 / ENTRY_OVERHEAD, "{}", c.len());
    }
}
