//! Rasterised glyphs kept between renders, one store per wasm VM (per
//! process natively).
//!
//! Why: distinct names share letters. Every uncached Latin avatar at one size
//! draws two of 26 capitals at one pixel size, so after a few renders the
//! glyph step (the outline fill: about a fifth of a render) is a lookup.
//! Glyphs are kept as the renderer composites them, each coverage byte
//! already rounded to one of `levels` steps (so the per-pixel work of a
//! render is a comparison, not a table lookup); that is a pure function of
//! character, size and `levels`, which is why they are the key.
//!
//! Bound: at most [`BUDGET_BYTES`] of coverage per VM. When an insert would
//! pass it the store is emptied and refilled from the next renders; simpler
//! than an LRU, and a flood of distinct sizes or scripts cannot grow it.

use crate::fonts::table::{Fonts, Glyph};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Coverage bytes kept per VM, plus [`GLYPH_OVERHEAD`] per glyph. 1 MiB
/// holds every Latin capital at 16 sizes around 128 px, or the 26 capitals
/// at 512 px (about 31 KB a glyph there, 806 KB in all): at 512 KiB the
/// capitals of 512 px avatars did not fit, and every render there rasterised
/// its glyphs again. It is a VM's high-water mark for good (wasm memory never
/// shrinks), so it is no larger: `make measure` puts a worker at about
/// 10.7 MB after its load with this, 12.0 MB with 2 MiB.
pub const BUDGET_BYTES: usize = 1024 * 1024;

/// Book-keeping bytes charged per glyph on top of its coverage (map slot,
/// `Arc`, `Glyph` fields).
const GLYPH_OVERHEAD: usize = 96;

/// (character, body height in pixels as `f32` bits, levels): the exact
/// inputs of [`Fonts::rasterize`] and of the rounding.
type Key = (char, u32, u8);

#[derive(Default)]
struct Store {
    glyphs: HashMap<Key, Arc<Glyph>>,
    bytes: usize,
}

impl Store {
    fn get(&self, key: Key) -> Option<Arc<Glyph>> {
        self.glyphs.get(&key).cloned()
    }

    /// Keeps `glyph`, emptying the store first if it would pass the budget.
    fn keep(&mut self, key: Key, glyph: &Arc<Glyph>) {
        let cost = glyph.coverage.len().saturating_add(GLYPH_OVERHEAD);
        if self.bytes.saturating_add(cost) > BUDGET_BYTES {
            self.glyphs.clear();
            self.bytes = 0;
        }
        if cost <= BUDGET_BYTES {
            self.bytes = self.bytes.saturating_add(cost);
            self.glyphs.insert(key, Arc::clone(glyph));
        }
    }
}

/// The VM's store: per-VM state that outlives a configuration is a
/// `static`, as the fonts are ([`Fonts::get`]).
fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(Mutex::default)
}

/// [`Fonts::rasterize`] with each coverage byte `c` (0..=255) replaced by
/// round(`c` × `levels` / 255), from the store when this character was drawn
/// at this size and these levels before.
pub fn rasterize(fonts: &Fonts, c: char, body_px: f32, levels: u8) -> Arc<Glyph> {
    let key = (c, body_px.to_bits(), levels);
    // Never contended in a VM (one render at a time); natively, where test
    // threads share the store, a glyph found locked is drawn afresh and
    // not kept: the pixels are the same either way.
    if let Some(glyph) = store().try_lock().ok().and_then(|s| s.get(key)) {
        return glyph;
    }
    let mut glyph = fonts.rasterize(c, body_px);
    quantise(&mut glyph.coverage, levels);
    let glyph = Arc::new(glyph);
    if let Ok(mut s) = store().try_lock() {
        s.keep(key, &glyph);
    }
    glyph
}

/// Rounds each coverage byte to the nearest of `levels` steps in place.
fn quantise(coverage: &mut [u8], levels: u8) {
    let table: [u8; 256] = std::array::from_fn(|c| {
        // c ≤ 255 and levels ≤ 255: the product fits, and the quotient is ≤ levels.
        (u32::try_from(c)
            .unwrap_or(0)
            .saturating_mul(u32::from(levels))
            .saturating_add(127)
            / 255) as u8
    });
    for c in coverage {
        *c = table.get(usize::from(*c)).copied().unwrap_or(levels);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_glyphs_are_the_rasterised_ones_and_the_store_stays_bounded() {
        let fonts = Fonts::get().unwrap();
        let mut store = Store::default();
        let key = ('A', 46.0f32.to_bits(), 6);
        let fresh = Arc::new(fonts.rasterize('A', 46.0));
        store.keep(key, &fresh);
        let again = store.get(key).unwrap();
        assert!(Arc::ptr_eq(&fresh, &again), "the second lookup is a hit");
        let through = rasterize(fonts, 'A', 46.0, 6);
        let rounded: Vec<u8> = fresh
            .coverage
            .iter()
            .map(|&c| ((u32::from(c) * 6 + 127) / 255) as u8)
            .collect();
        assert_eq!(through.coverage, rounded);
        assert!(through.coverage.contains(&6));
        assert_eq!(through.advance.to_bits(), fresh.advance.to_bits());
        assert_eq!(rasterize(fonts, 'A', 46.0, 255).coverage, fresh.coverage);
        // A flood of sizes: the store empties itself instead of growing.
        for px in 20..400 {
            let px = px as f32;
            store.keep(('W', px.to_bits(), 6), &Arc::new(fonts.rasterize('W', px)));
            assert!(store.bytes <= BUDGET_BYTES);
        }
        assert!(!store.glyphs.is_empty());
    }
}
