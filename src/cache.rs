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

use crate::report::RequestOutcome;
use crate::script::Script;
use std::collections::HashMap;
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

/// Book-keeping bytes charged per entry on top of key, body and ETag (map
/// slot, node, the `Entry` and its `Rc`).
pub const ENTRY_OVERHEAD: usize = 160;

const NIL: usize = usize::MAX;

struct Node {
    /// `None` once evicted: the slot waits on the free list for the next insert.
    item: Option<(Rc<str>, Rc<Entry>)>,
    cost: usize,
    prev: usize,
    next: usize,
}

/// The cache. `capacity` 0 disables it.
pub struct Cache {
    capacity: usize,
    bytes: usize,
    map: HashMap<Rc<str>, usize>,
    nodes: Vec<Node>,
    free: Vec<usize>,
    /// Most recently used.
    head: usize,
    /// Least recently used: evicted first.
    tail: usize,
    pub hits: u64,
    pub misses: u64,
}

impl Cache {
    pub fn new(capacity: usize) -> Cache {
        Cache {
            capacity,
            bytes: 0,
            map: HashMap::new(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            hits: 0,
            misses: 0,
        }
    }

    /// Bytes currently charged.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entry for `key`, marking it most recently used.
    pub fn get(&mut self, key: &str) -> Option<Rc<Entry>> {
        let Some(&index) = self.map.get(key) else {
            self.misses = self.misses.saturating_add(1);
            return None;
        };
        self.hits = self.hits.saturating_add(1);
        self.unlink(index);
        self.push_front(index);
        self.nodes
            .get(index)
            .and_then(|n| n.item.as_ref())
            .map(|(_, entry)| Rc::clone(entry))
    }

    /// Stores `entry` under `key`, evicting least recently used entries to stay within capacity.
    pub fn insert(&mut self, key: &str, entry: Rc<Entry>) {
        let cost = key
            .len()
            .saturating_add(entry.body.len())
            .saturating_add(entry.etag.len())
            .saturating_add(ENTRY_OVERHEAD);
        if cost > self.capacity || self.map.contains_key(key) {
            return;
        }
        while self.bytes.saturating_add(cost) > self.capacity && self.tail != NIL {
            self.evict_tail();
        }
        let key: Rc<str> = Rc::from(key);
        let node = Node {
            item: Some((Rc::clone(&key), entry)),
            cost,
            prev: NIL,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(i) => {
                if let Some(slot) = self.nodes.get_mut(i) {
                    *slot = node;
                }
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len().saturating_sub(1)
            }
        };
        self.map.insert(key, index);
        self.bytes = self.bytes.saturating_add(cost);
        self.push_front(index);
    }

    fn evict_tail(&mut self) {
        let index = self.tail;
        self.unlink(index);
        if let Some(node) = self.nodes.get_mut(index) {
            // Release the body now; the slot is reused by the next insert.
            if let Some((key, _)) = node.item.take() {
                self.map.remove(&key);
            }
            self.bytes = self.bytes.saturating_sub(node.cost);
            self.free.push(index);
        }
    }

    fn unlink(&mut self, index: usize) {
        let Some((prev, next)) = self.nodes.get(index).map(|n| (n.prev, n.next)) else {
            return;
        };
        match self.nodes.get_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.nodes.get_mut(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
        if let Some(n) = self.nodes.get_mut(index) {
            n.prev = NIL;
            n.next = NIL;
        }
    }

    fn push_front(&mut self, index: usize) {
        let old_head = self.head;
        if let Some(n) = self.nodes.get_mut(index) {
            n.prev = NIL;
            n.next = old_head;
        }
        if let Some(h) = self.nodes.get_mut(old_head) {
            h.prev = index;
        }
        self.head = index;
        if self.tail == NIL {
            self.tail = index;
        }
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
        // Slots are reused: the node arena does not grow with the flood.
        assert!(c.nodes.len() < 500, "{}", c.nodes.len());
        assert_eq!(c.len(), c.map.len());
    }
}
