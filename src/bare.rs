//! The bare shape of each size, made once per VM (per thread natively):
//! its indices, its PNG scanlines and the deflate parse of those.
//!
//! Why: outside the rows its text covers, an avatar is exactly the bare
//! shape of its size (the colours live in the palette, not the indices),
//! and there are only so many sizes (16 by default). So a render
//! ([`crate::draw`]) starts from a copy of the bare indices instead of
//! drawing the shape's edge again ([`render::render_on`]), and the encoder
//! packs only the text's rows and copies the bare shape's deflate tokens
//! outside them ([`encode::png_over`], [`crate::deflate::zlib_over`]): the
//! bytes are the same as encoding the whole image.
//!
//! Bound: at most [`BUDGET_BYTES`] per VM (the sixteen default sizes of one
//! shape take about 1.2 MiB); when an insert would pass it the store is
//! emptied and refilled from the next renders, as the glyph cache is.

use crate::deflate::Reference;
use crate::encode;
use crate::render;
use crate::shape::Shape;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

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
    shapes: HashMap<(usize, Shape), Rc<Bare>>,
    bytes: usize,
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

/// The bare shape of `size` and `shape`, from the store or made now;
/// `None` for a size too large to keep (over a quarter of the budget),
/// which is drawn and encoded whole instead.
pub fn get(size: usize, shape: Shape) -> Option<Rc<Bare>> {
    let key = (size, shape);
    let kept = STORE.with(|s| s.try_borrow().ok()?.shapes.get(&key).cloned());
    if kept.is_some() {
        return kept;
    }
    if size.saturating_mul(size).saturating_mul(2) > BUDGET_BYTES / 4 {
        return None;
    }
    let indices = render::draw_bare(size, shape);
    let scanlines = encode::scanlines(&indices, size);
    let reference = Reference::new(&scanlines, size.div_ceil(2).saturating_add(1));
    let bare = Rc::new(Bare {
        indices,
        scanlines,
        reference,
    });
    STORE.with(|s| {
        // Never contended (one render at a time per thread); if it were,
        // this shape simply is not kept.
        if let Ok(mut s) = s.try_borrow_mut() {
            let cost = bare.bytes();
            if s.bytes.saturating_add(cost) > BUDGET_BYTES {
                s.shapes.clear();
                s.bytes = 0;
            }
            s.bytes = s.bytes.saturating_add(cost);
            s.shapes.insert(key, Rc::clone(&bare));
        }
    });
    Some(bare)
}
