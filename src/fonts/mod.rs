//! The embedded fonts: which script a character is in, the fonts and their
//! metrics (the CJK font served from a glyph store, `crates/glyph-store`),
//! and the per-VM cache of rasterised glyphs.

pub(crate) mod glyph_cache;
pub(crate) mod script;
pub(crate) mod table;
