//! Drawing: where the text goes, the pixels, the PNG (with its own DEFLATE)
//! and the SVG.

pub(crate) mod layout;
pub(crate) mod render;
pub(crate) mod svg;
// Bit-level DEFLATE arithmetic on values the format bounds (code lengths
// <= 15, distances <= 32768, over at most one 2048-pixel image).
pub(crate) mod bare;
#[allow(clippy::arithmetic_side_effects)]
pub(crate) mod deflate;
pub(crate) mod encode;
pub(crate) mod image;
