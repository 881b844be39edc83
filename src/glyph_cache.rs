//! Rasterised glyphs kept between renders, one store per wasm VM (per
//! thread natively).
//!
//! Why: distinct names share letters. Every uncached Latin avatar at one size
//! draws two of 26 capitals at one pixel size, so after a few renders the
//! glyph step (the outline fill: about a fifth of a render) is a lookup. The
//! pixels are exactly those [`Fonts::rasterize`] returns: rasterising is a
//! pure function of character and size.
//!
//! Bound: at most [`BUDGET_BYTES`] of coverage per VM. When an insert would
//! pass it the store is emptied and refilled from the next renders; simpler
//! than an LRU, and a flood of distinct sizes or scripts cannot grow it.

use crate::fonts::{Fonts, Glyph};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Coverage bytes kept per VM, plus [`GLYPH_OVERHEAD`] per glyph. 2 MiB
/// holds every Latin capital at 16 sizes around 128 px, or at 512 px (about
/// 31 KB a glyph there) with room for the other body heights that wide
/// initials are shrunk to: at 512 KiB the capitals of 512 px avatars did not
/// fit, and every render there rasterised its glyphs again.
pub const BUDGET_BYTES: usize = 2 * 1024 * 1024;

/// Book-keeping bytes charged per glyph on top of its coverage (map slot,
/// `Rc`, `Glyph` fields).
const GLYPH_OVERHEAD: usize = 96;

/// (character, body height in pixels as `f32` bits): the exact inputs of
/// [`Fonts::rasterize`].
type Key = (char, u32);

#[derive(Default)]
struct Store {
    glyphs: HashMap<Key, Rc<Glyph>>,
    bytes: usize,
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

/// [`Fonts::rasterize`], from the store when this character was drawn at
/// this size before.
pub fn rasterize(fonts: &Fonts, c: char, body_px: f32) -> Rc<Glyph> {
    let key = (c, body_px.to_bits());
    let cached = STORE.with(|s| s.try_borrow().ok()?.glyphs.get(&key).cloned());
    if let Some(glyph) = cached {
        return glyph;
    }
    let glyph = Rc::new(fonts.rasterize(c, body_px));
    STORE.with(|s| {
        // Never contended (one render at a time per thread); if it were,
        // this glyph simply is not kept.
        if let Ok(mut s) = s.try_borrow_mut() {
            let cost = glyph.coverage.len().saturating_add(GLYPH_OVERHEAD);
            if s.bytes.saturating_add(cost) > BUDGET_BYTES {
                s.glyphs.clear();
                s.bytes = 0;
            }
            if cost <= BUDGET_BYTES {
                s.bytes = s.bytes.saturating_add(cost);
                s.glyphs.insert(key, Rc::clone(&glyph));
            }
        }
    });
    glyph
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes and glyphs held by this thread's store.
    fn usage() -> (usize, usize) {
        STORE.with(|s| {
            let s = s.borrow();
            (s.bytes, s.glyphs.len())
        })
    }

    #[test]
    fn cached_glyphs_are_the_rasterised_ones_and_the_store_stays_bounded() {
        let fonts = Fonts::get().unwrap();
        let fresh = fonts.rasterize('A', 46.0);
        let first = rasterize(fonts, 'A', 46.0);
        let again = rasterize(fonts, 'A', 46.0);
        assert!(Rc::ptr_eq(&first, &again), "the second lookup is a hit");
        assert_eq!(
            (again.width, again.height, again.left, again.top),
            (fresh.width, fresh.height, fresh.left, fresh.top)
        );
        assert_eq!(again.coverage, fresh.coverage);
        assert_eq!(again.advance.to_bits(), fresh.advance.to_bits());
        // A flood of sizes: the store empties itself instead of growing.
        for px in 20..400 {
            rasterize(fonts, 'W', px as f32);
            assert!(usage().0 <= BUDGET_BYTES);
        }
        assert!(usage().1 > 0);
    }
}
