//! Drawing: where the text goes, the pixels, the PNG (with its own DEFLATE)
//! and the SVG.

pub(crate) mod bare;
pub(crate) mod layout;
pub(crate) mod render;
pub(crate) mod svg;
// Bit-level DEFLATE and Huffman arithmetic on values the format bounds
// (code lengths <= 15, distances <= 32768, symbol counts of at most one
// 2048-pixel image).
#[allow(clippy::arithmetic_side_effects)]
pub(crate) mod deflate;
pub(crate) mod encode;
#[allow(clippy::arithmetic_side_effects)]
pub(crate) mod huffman;
pub(crate) mod image;
