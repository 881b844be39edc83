//! The embedded fonts: which script a character is in, the fonts and their
//! metrics, the compact glyph store the CJK font is served from, and the
//! per-VM cache of rasterised glyphs.

pub(crate) mod script;
// Its builder half is build.rs's, which includes the file by path.
pub(crate) mod glyph_cache;
#[allow(dead_code)]
pub(crate) mod glyph_store;
pub(crate) mod table;
