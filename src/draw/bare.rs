//! The bare shape of each size, made once per VM (per thread natively):
//! its indices, its PNG scanlines and the deflate parse of those.
//!
//! Why: outside the rows its text covers, an avatar is exactly the bare
//! shape of its size (the colours live in the palette, not the indices),
//! and there are only so many sizes (16 by default). So a render
//! ([`crate::draw::image`]) starts from a copy of the bare indices instead of
//! drawing the shape's edge again ([`render::render_on`]), and the encoder
//! packs only the text's rows and copies the bare shape's deflate tokens
//! outside them ([`encode::png_over`], [`crate::draw::deflate::zlib_over`]): the
//! bytes are the same as encoding the whole image.
//!
//! Bound: at most [`BUDGET_BYTES`] per VM (the sixteen default sizes of one
//! shape take about 1.2 MiB); when an insert would pass it the store is
//! emptied and refilled from the next renders, as the glyph cache is.

use crate::avatar::shape::Shape;
use crate::draw::deflate::Reference;
use crate::draw::encode;
use crate::draw::render;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Bytes of bare shapes kept per VM.
pub const BUDGET_BYTES: usize = 2 * 1024 * 1024;

/// One size and shape with nothing drawn on it.
pub struct Bare {
    /// `size * size` palette indices, as [`render::render`] draws them.
    pub indices: Vec<u8>,
    /// The same as PNG scanlines ([`encode::scanlines`]).
    pub scanlines: Vec<u8>,
    /// The deflate parse of `scanlines`.
    pub reference: Reference,
}

impl Bare {
    fn bytes(&self) -> usize {
        self.indices
            .capacity()
            .saturating_add(self.scanlines.capacity())
            .saturating_add(self.reference.bytes())
    }

    /// What [`encode::png_over`] takes.
    pub fn encoding(&self) -> encode::BareEncoding<'_> {
        encode::BareEncoding {
            scanlines: &self.scanlines,
            reference: &self.reference,
        }
    }
}

#[derive(Default)]
struct Store {
    shapes: HashMap<(usize, Shape), Arc<Bare>>,
    bytes: usize,
}

/// The VM's store: per-VM state that outlives a configuration is a
/// `static`, as the fonts are.
fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(Mutex::default)
}

/// The bare shape of `size` and `shape`, from the store or made now;
/// `None` for a size too large to keep (over a quarter of the budget),
/// which is drawn and encoded whole instead.
pub fn get(size: usize, shape: Shape) -> Option<Arc<Bare>> {
    let key = (size, shape);
    // Never contended in a VM (one render at a time); natively, where test
    // threads share the store, a shape found locked is made afresh and not
    // kept: its bytes are the same either way.
    let kept = store()
        .try_lock()
        .ok()
        .and_then(|s| s.shapes.get(&key).cloned());
    if kept.is_some() {
        return kept;
    }
    if size.saturating_mul(size).saturating_mul(2) > BUDGET_BYTES / 4 {
        return None;
    }
    let indices = render::draw_bare(size, shape);
    let scanlines = encode::scanlines(&indices, size);
    let reference = Reference::new(&scanlines, size.div_ceil(2).saturating_add(1));
    let bare = Arc::new(Bare {
        indices,
        scanlines,
        reference,
    });
    if let Ok(mut s) = store().try_lock() {
        let cost = bare.bytes();
        if s.bytes.saturating_add(cost) > BUDGET_BYTES {
            s.shapes.clear();
            s.bytes = 0;
        }
        s.bytes = s.bytes.saturating_add(cost);
        s.shapes.insert(key, Arc::clone(&bare));
    }
    Some(bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_shapes_are_the_drawn_shape_and_the_store_stays_bounded() {
        let bare = get(64, Shape::Rounded).unwrap();
        assert_eq!(bare.indices, render::draw_bare(64, Shape::Rounded));
        assert_eq!(bare.scanlines, encode::scanlines(&bare.indices, 64));
        // Sizes past a quarter of the budget are not kept (drawn whole).
        assert!(get(1024, Shape::Circle).is_none());
        // Every size up to 512 in all three shapes: far more than the
        // budget, so the store empties itself instead of growing.
        for size in (16..=512).step_by(16) {
            for shape in [Shape::Circle, Shape::Rounded, Shape::Square] {
                assert!(get(size, shape).is_some());
                assert!(store().lock().unwrap().bytes <= BUDGET_BYTES);
            }
        }
    }
}
