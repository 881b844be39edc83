//! A least-recently-used cache of encoded avatars, bounded in bytes, one per
//! wasm VM (so per Envoy worker). Hot avatars — the same faces on every page
//! view — are then a hash lookup instead of a render.
//!
//! Why not Envoy's shared data: it is visible across workers but has no
//! eviction, so an attacker requesting endless distinct names would grow it
//! without bound. Here every insert evicts until the total is within budget.
//!
//! Two kinds of key, each in its own LRU with its own share of the bytes:
//! - an image is stored once, under its ETag, which names one byte sequence:
//!   every spelling of the same avatar (percent-encoding, unknown or empty
//!   parameters, `.png`) finds it there after parsing and resolving, so it
//!   is rendered once however it is spelled. Images get `capacity` less the
//!   aliases' share.
//! - each raw `:path` answered is an alias naming its image's ETag: a path
//!   seen before is answered without parsing, resolving or hashing anything
//!   (a response is a function of the path and the configuration alone, and
//!   a cache lives exactly as long as one configuration). Aliases get
//!   `capacity /` [`ALIAS_SHARE`]; when an alias's image has been evicted
//!   the alias finds nothing and the request takes the canonical way.
//!
//! Every hit, through an alias or by ETag, makes the image most recently
//! used, so a popular avatar stays however it is spelled. Aliases are
//! charged only to their own share: a flood of new spellings (which renders
//! nothing and so is never refused by the render budget) evicts aliases,
//! costing later requests a parse, never an image.
//!
//! Invariant: each share's bytes are within its bound after every call; an
//! entry larger than its share is not stored. Sizes are in bytes and count
//! what an entry really holds: the key, the body's, the ETag's and the
//! alias's allocated capacity and a fixed per-entry overhead.
//!
//! The recency lists and maps are the `lru` crate's, over std's SipHash map
//! with random keys (the keys come from requests, so chosen collisions must
//! not be cheap); this file adds the two kinds of key, the byte budgets and
//! the hit counts.

use crate::flow::report::RequestOutcome;
use crate::fonts::script::Script;
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

/// The path aliases' share of the cache's bytes is `1 / ALIAS_SHARE`: room
/// for about one alias per image at 128 px (an alias of a 60-byte path costs
/// about 290 bytes, a 128 px image about 1,600), so the images keep 7/8.
pub const ALIAS_SHARE: usize = 8;

/// Keys with what they hold and the bytes each is charged, most recently
/// used first.
type Lru<V> = LruCache<Box<str>, (V, usize), RandomState>;

/// One LRU bounded in bytes. Made at the first insert, so a disabled or
/// unused cache allocates nothing.
struct Bounded<V> {
    capacity: usize,
    bytes: usize,
    entries: Option<Lru<V>>,
}

impl<V> Bounded<V> {
    fn new(capacity: usize) -> Bounded<V> {
        Bounded {
            capacity,
            bytes: 0,
            entries: None,
        }
    }

    fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, LruCache::len)
    }

    /// The value under `key`, made most recently used.
    fn get(&mut self, key: &str) -> Option<&V> {
        self.entries.as_mut()?.get(key).map(|(v, _)| v)
    }

    fn remove(&mut self, key: &str) {
        if let Some((_, (_, freed))) = self.entries.as_mut().and_then(|e| e.pop_entry(key)) {
            self.bytes = self.bytes.saturating_sub(freed);
        }
    }

    /// Stores `value` under `key`, charging the key, `heap` and the
    /// overhead, evicting least recently used entries to stay within
    /// capacity. A key already present keeps its value.
    fn put(&mut self, key: &str, value: V, heap: usize) {
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
        entries.put(Box::from(key), (value, cost));
        self.bytes = self.bytes.saturating_add(cost);
    }
}

/// The cache. `capacity` 0 disables it.
pub struct Cache {
    /// Images by ETag.
    images: Bounded<Rc<Entry>>,
    /// Raw paths, each naming the ETag of the image it was answered with.
    aliases: Bounded<Box<str>>,
    pub hits: u64,
    pub misses: u64,
}

impl Cache {
    pub fn new(capacity: usize) -> Cache {
        let alias_bytes = capacity / ALIAS_SHARE;
        Cache {
            images: Bounded::new(capacity.saturating_sub(alias_bytes)),
            aliases: Bounded::new(alias_bytes),
            hits: 0,
            misses: 0,
        }
    }

    /// Bytes currently charged, images and aliases.
    pub fn bytes(&self) -> usize {
        self.images.bytes.saturating_add(self.aliases.bytes)
    }

    /// Bytes charged to images alone.
    pub fn image_bytes(&self) -> usize {
        self.images.bytes
    }

    /// Images and aliases held.
    pub fn len(&self) -> usize {
        self.images.len().saturating_add(self.aliases.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The image under `key` (an ETag or an aliased path), making it and the
    /// alias most recently used; counts a hit when found. An alias whose
    /// image was evicted is dropped and finds nothing.
    pub fn get(&mut self, key: &str) -> Option<Rc<Entry>> {
        let found = match self.aliases.get(key) {
            Some(etag) => {
                let etag = Box::clone(etag);
                let found = self.images.get(&etag).cloned();
                if found.is_none() {
                    self.aliases.remove(key);
                }
                found
            }
            None => self.images.get(key).cloned(),
        };
        if found.is_some() {
            self.hits = self.hits.saturating_add(1);
        }
        found
    }

    /// Counts a request that had to render.
    pub fn count_miss(&mut self) {
        self.misses = self.misses.saturating_add(1);
    }

    /// Stores the image `entry` under its ETag.
    pub fn insert(&mut self, entry: Rc<Entry>) {
        let heap = entry.heap_bytes();
        let key = entry.etag.clone();
        self.images.put(&key, entry, heap);
    }

    /// Makes `path` an alias of the stored image `entry`.
    pub fn alias(&mut self, path: &str, entry: &Rc<Entry>) {
        let etag: Box<str> = Box::from(entry.etag.as_str());
        let heap = etag.len();
        self.aliases.put(path, etag, heap);
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

    /// A cache whose images' share is exactly `bytes`.
    fn for_images(bytes: usize) -> Cache {
        let capacity = (bytes..).find(|c| c - c / ALIAS_SHARE == bytes).unwrap();
        Cache::new(capacity)
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
    fn the_bytes_are_split_between_images_and_aliases() {
        let c = Cache::new(4 << 20);
        assert_eq!(c.aliases.capacity, (4 << 20) / 8);
        assert_eq!(c.images.capacity + c.aliases.capacity, 4 << 20);
    }

    #[test]
    fn evicts_least_recently_used_within_the_byte_budget() {
        let mut c = for_images(3 * cost(100));
        for k in ["a", "b", "c"] {
            c.insert(image(k, 100));
        }
        assert_eq!(c.image_bytes(), 3 * cost(100));
        c.get("a"); // a is now the most recent; b is the least
        c.insert(image("d", 100));
        assert!(c.get("b").is_none());
        for k in ["a", "c", "d"] {
            assert!(c.get(k).is_some(), "{k}");
        }
        assert!(c.image_bytes() <= 3 * cost(100));
    }

    #[test]
    fn a_hit_through_an_alias_keeps_the_image() {
        // Room for three images and a few aliases.
        let mut c = Cache::new(8_000);
        let popular = image("a", 2_000);
        c.insert(Rc::clone(&popular));
        c.alias("/avatar/Ada", &popular);
        drop(popular);
        // A stream of new images, with the popular one asked for by its
        // path between each: it is never the least recently used image.
        for i in 0..100 {
            assert!(c.get("/avatar/Ada").is_some(), "evicted after {i}");
            c.insert(image(&format!("{i:03}"), 1_998));
        }
        assert!(c.get("a").is_some());
    }

    #[test]
    fn aliases_cannot_evict_images() {
        let mut c = Cache::new(64 * 1024);
        for i in 0..20 {
            let img = image(&format!("{i:02}"), 1000);
            c.insert(Rc::clone(&img));
            c.alias(&format!("/avatar/{i}"), &img);
        }
        let one = c.get("00").unwrap();
        for i in 0..2_200 {
            let spelling = format!("/avatar/{}?x={i}", "A".repeat(1_600));
            c.alias(&spelling, &one);
            assert!(c.aliases.bytes <= c.aliases.capacity);
        }
        for i in 0..20 {
            assert!(c.get(&format!("{i:02}")).is_some(), "image {i} lost");
        }
    }

    #[test]
    fn at_and_past_the_limit() {
        let mut at = for_images(cost(100));
        at.insert(image("a", 100));
        assert_eq!(at.len(), 1, "an entry exactly the images' share is kept");
        let mut past = for_images(cost(100) - 1);
        past.insert(image("a", 100));
        assert!(
            past.is_empty(),
            "an entry over the images' share is not stored"
        );
        let mut off = Cache::new(0);
        off.insert(image("a", 0));
        assert!(off.is_empty());
        off.alias("/avatar/a", &image("a", 0));
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
    fn aliases_cost_their_key_and_etag_and_die_with_their_image() {
        // Room for one image and two aliases.
        let alias = 7 + 1 + ENTRY_OVERHEAD;
        let mut c = Cache::new(ALIAS_SHARE * 2 * alias);
        let n = c.images.capacity - cost(0);
        let img = image("a", n);
        c.insert(Rc::clone(&img));
        c.alias("/path/1", &img);
        c.alias("/path/2", &img);
        assert_eq!(c.len(), 3);
        assert_eq!(c.aliases.bytes, 2 * alias);
        assert!(Rc::ptr_eq(&c.get("/path/1").unwrap(), &img));
        drop(img);
        c.insert(image("b", n));
        assert!(c.get("a").is_none());
        assert!(
            c.get("/path/1").is_none(),
            "an alias of an evicted image finds nothing"
        );
        assert_eq!(c.aliases.len(), 1, "and is dropped");
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
