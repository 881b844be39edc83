//! The candidate replacement for monogram's hand-written LRU: the `lru`
//! crate (std's SipHash map, as monogram's cache uses: its keys come from
//! requests) bounded in bytes the way src/cache.rs is: an insert evicts
//! least recently used entries until the total fits, an entry larger than the
//! whole capacity or a key already present is not stored.
//! Shared by the wasm-size probe and examples/bench_crates.rs.
use std::collections::hash_map::RandomState;
use std::rc::Rc;

pub struct ByteLru<V> {
    capacity: usize,
    bytes: usize,
    map: lru::LruCache<Box<str>, (Rc<V>, usize), RandomState>,
}

impl<V> ByteLru<V> {
    pub fn new(capacity: usize) -> ByteLru<V> {
        ByteLru {
            capacity,
            bytes: 0,
            map: lru::LruCache::unbounded_with_hasher(RandomState::new()),
        }
    }

    pub fn get(&mut self, key: &str) -> Option<Rc<V>> {
        self.map.get(key).map(|(v, _)| Rc::clone(v))
    }

    pub fn insert(&mut self, key: &str, value: Rc<V>, cost: usize) {
        if cost > self.capacity || self.map.contains(key) {
            return;
        }
        while self.bytes.saturating_add(cost) > self.capacity {
            let Some((_, (_, freed))) = self.map.pop_lru() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(freed);
        }
        self.map.put(Box::from(key), (value, cost));
        self.bytes = self.bytes.saturating_add(cost);
    }
}
