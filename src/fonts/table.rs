//! The embedded fonts and glyph rasterisation.
//!
//! Units: a glyph is requested at a *body height* in pixels, the height its
//! script's letters are scaled to so that every script looks the same size
//! (for Latin, the cap height). Bitmaps are 8-bit coverage (0 = none,
//! 255 = full), rows top to bottom, positioned relative to the pen on the
//! baseline.
//!
//! No font is parsed whole: ttf-parser reads its tables in place
//! (microseconds) and outlines one glyph on demand, which
//! ab_glyph_rasterizer fills into a coverage mask, and [`crate::fonts::glyph_cache`] keeps. fontdue,
//! which outlines every glyph of a font when it loads, would cost ~100 MB
//! and ~0.25 s per VM for the CJK font, and it cost 5.2 MB per VM for the
//! Latin font's ~2,000 glyphs (measured, `examples/memory.rs`) for glyphs
//! only slightly faster to draw.
//!
//! Mongolian letters are stored lying on their side (a vertical line of
//! Mongolian is a horizontal line of glyphs turned a quarter clockwise): its
//! font is [`Orientation::Upright`], and every measure and outline of its
//! glyphs here is of the glyph turned upright.
//!
//! Where the bytes live: in the wasm module, one passive data segment (put
//! there by `examples/passive_fonts.rs`, which `make build` runs), which V8
//! keeps once per process with the module's bytes: no VM copies a font into
//! its linear memory until its first request that looks a character up in
//! it, and then only that font (an active segment would copy all 7.8 MB
//! of fonts into every VM at start; docs/MEMORY.md).
//! Natively they are in the binary, and copied the same way, so
//! `examples/memory.rs` measures what a VM keeps.
//!
//! The CJK font ([`Storage::Glyphs`]) is never copied whole: its glyphs are
//! outlined at build time into a [`glyph_store`] (`build.rs`), which takes
//! its place in the segment, and a VM reads one glyph's record at a time
//! (a few hundred bytes, not the font's 5.65 MB).
//!
//! Invariant: a font's bytes, once copied, are `'static` (kept for the life
//! of the VM), so parsed faces borrow them.

use crate::fonts::script::{Family, Script};
use ab_glyph_rasterizer::{point, Point, Rasterizer};
use monogram_glyph_store::{self as glyph_store, Command, Record, Recorder, Source as _};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use ttf_parser::{Face, GlyphId, OutlineBuilder, Rect};

/// How a font's glyphs stand in a horizontal line of initials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// As the font draws them.
    Horizontal,
    /// Turned a quarter clockwise, as a vertical line shows them (Mongolian):
    /// the letter's start at the top, at the body height, and its ink
    /// between side bearings of [`UPRIGHT_SIDE_BEARING`] font units.
    Upright,
}

/// Space either side of an upright glyph's ink, in font units: the
/// Mongolian font's own left side bearing.
const UPRIGHT_SIDE_BEARING: f32 = 45.0;

/// How a font's bytes are kept in the module's font segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// The font file, copied whole into a VM on its first lookup and parsed
    /// by ttf-parser.
    File,
    /// Its glyphs' outlines in a [`glyph_store`] built by `build.rs` (which
    /// lists the fonts stored so): a VM reads one glyph at a time.
    Glyphs,
}

/// A run of code points (`first..=last`) and the writing system they are
/// in: its metric label and its family for the initials rules and layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub first: u32,
    pub last: u32,
    pub script: Script,
    pub family: Family,
}

const fn block(first: u32, last: u32, script: Script, family: Family) -> Block {
    Block {
        first,
        last,
        script,
        family,
    }
}

impl Block {
    fn contains(&self, u: u32) -> bool {
        self.first <= u && u <= self.last
    }
}

/// One embedded font, how its letters are sized, and the blocks it draws.
#[derive(Debug)]
pub struct FontSpec {
    /// The file under fonts/, as the tests name it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub file: &'static str,
    #[cfg(not(target_arch = "wasm32"))]
    data: &'static [u8],
    /// Bytes in the segment: the font file's, or its glyph store's.
    len: usize,
    storage: Storage,
    /// Height of the script's typical letter, in font units, that is scaled
    /// to the body height: the cap height for cased scripts, the measured
    /// ink height of a reference letter (named in the comment) otherwise,
    /// adjusted by eye on the contact sheet where a script's letters look
    /// bigger or smaller than their height says.
    body_units: f32,
    /// The code points the font was subset to (the only characters it can
    /// have, so a lookup asks no other font's cmap: each ask is ~0.1 µs, and
    /// a CJK character would ask 30 fonts), in blocks that also say each
    /// one's script and family ([`Script::of`], [`Family::of`]).
    blocks: &'static [Block],
    pub orientation: Orientation,
}

impl FontSpec {
    fn may_have(&self, c: char) -> bool {
        let u = u32::from(c);
        self.blocks.iter().any(|b| b.contains(u))
    }
}

macro_rules! font {
    ($file:literal, $body:expr, $blocks:expr) => {
        font!($file, $body, $blocks, Orientation::Horizontal)
    };
    ($file:literal, $body:expr, $blocks:expr, $orientation:expr) => {
        FontSpec {
            file: $file,
            #[cfg(not(target_arch = "wasm32"))]
            data: include_bytes!(concat!("../../fonts/", $file)),
            len: include_bytes!(concat!("../../fonts/", $file)).len(),
            storage: Storage::File,
            body_units: $body,
            blocks: $blocks,
            orientation: $orientation,
        }
    };
    (glyphs $file:literal, $body:expr, $blocks:expr) => {
        FontSpec {
            file: $file,
            #[cfg(not(target_arch = "wasm32"))]
            data: include_bytes!(concat!(env!("OUT_DIR"), "/", $file, ".glyphs")),
            len: include_bytes!(concat!(env!("OUT_DIR"), "/", $file, ".glyphs")).len(),
            storage: Storage::Glyphs,
            body_units: $body,
            blocks: $blocks,
            orientation: Orientation::Horizontal,
        }
    };
}

/// The embedded fonts, in lookup order (the first with a glyph draws it),
/// each with the blocks of code points it draws: with [`UNDRAWN`], the one
/// table of which script and family a character is in and which font draws
/// it. A new script is a row here (its blocks moved from [`UNDRAWN`]) and its
/// font file. All are Noto (OFL-1.1), Sans Bold where there is one, subset by
/// `fonts/subset.sh` (which says where and why another weight or style).
pub static FONTS: &[FontSpec] = &[
    // Latin with Vietnamese, Greek, Cyrillic, combining marks: cap height 714.
    font!(
        "NotoSans-Bold.subset.ttf",
        714.0,
        &[
            block(0x0020, 0x0040, Script::Other, Family::Other),
            block(0x0041, 0x005A, Script::Latin, Family::Latin),
            block(0x005B, 0x0060, Script::Other, Family::Latin),
            block(0x0061, 0x007A, Script::Latin, Family::Latin),
            block(0x007B, 0x007E, Script::Other, Family::Latin),
            block(0x00A0, 0x00BF, Script::Other, Family::Latin),
            block(0x00C0, 0x00D6, Script::Latin, Family::Latin),
            block(0x00D7, 0x00D7, Script::Other, Family::Latin),
            block(0x00D8, 0x00F6, Script::Latin, Family::Latin),
            block(0x00F7, 0x00F7, Script::Other, Family::Latin),
            block(0x00F8, 0x024F, Script::Latin, Family::Latin),
            block(0x0250, 0x02AF, Script::Other, Family::Latin),
            block(0x02B0, 0x036F, Script::Other, Family::Other),
            block(0x0370, 0x03FF, Script::Greek, Family::Greek),
            block(0x0400, 0x052F, Script::Cyrillic, Family::Cyrillic),
            block(0x1E00, 0x1EFF, Script::Latin, Family::Latin),
            block(0x1F00, 0x1FFF, Script::Greek, Family::Greek),
            block(0x2010, 0x2027, Script::Other, Family::Other),
            block(0x2C60, 0x2C7F, Script::Latin, Family::Latin),
            block(0xA720, 0xA7FF, Script::Latin, Family::Latin),
        ]
    ),
    // Capitals: cap height 714.
    font!(
        "NotoSansArmenian-Bold.subset.ttf",
        714.0,
        &[block(0x0531, 0x058F, Script::Other, Family::Armenian),]
    ),
    // Mtavruli capitals: cap height 714.
    font!(
        "NotoSansGeorgian-Bold.subset.ttf",
        714.0,
        &[
            block(0x10A0, 0x10FF, Script::Other, Family::Georgian),
            block(0x1C90, 0x1CBF, Script::Other, Family::Georgian),
            block(0x2D00, 0x2D2F, Script::Other, Family::Georgian),
        ]
    ),
    // ה: 603.
    font!(
        "NotoSansHebrew-Bold.subset.ttf",
        603.0,
        &[
            block(0x0590, 0x0590, Script::Other, Family::RightToLeft),
            block(0x0591, 0x05FF, Script::Hebrew, Family::RightToLeft),
        ]
    ),
    // Isolated forms reach from -394 (ع's tail) to 732 (ا): the em of the
    // Latin font, which Noto designs Arabic to sit beside.
    font!(
        "NotoSansArabic-Bold.subset.ttf",
        714.0,
        &[
            block(0x0600, 0x06FF, Script::Arabic, Family::RightToLeft),
            block(0x0750, 0x077F, Script::Arabic, Family::RightToLeft),
            block(0x08A0, 0x08FF, Script::Arabic, Family::RightToLeft),
        ]
    ),
    // क from its headline to the baseline: 622.
    font!(
        "NotoSansDevanagari-Bold.subset.ttf",
        622.0,
        &[block(0x0900, 0x097F, Script::Other, Family::Brahmic),]
    ),
    // ক: 622.
    font!(
        "NotoSansBengali-Bold.subset.ttf",
        622.0,
        &[block(0x0980, 0x09FF, Script::Other, Family::Brahmic),]
    ),
    // க: 574.
    font!(
        "NotoSansTamil-Bold.subset.ttf",
        574.0,
        &[block(0x0B80, 0x0BFF, Script::Other, Family::Brahmic),]
    ),
    // ก: 561.
    font!(
        "NotoSansThai-Bold.subset.ttf",
        561.0,
        &[block(0x0E00, 0x0E7F, Script::Other, Family::Brahmic),]
    ),
    // Every font below draws only letters (see fonts/subset.sh).
    // પ from its top to the baseline (Gujarati has no headline): 603.
    font!(
        "NotoSansGujarati-Bold.subset.ttf",
        603.0,
        &[block(0x0A80, 0x0AFF, Script::Other, Family::Brahmic),]
    ),
    // ਕ from its headline to the baseline: 622.
    font!(
        "NotoSansGurmukhi-Bold.subset.ttf",
        622.0,
        &[block(0x0A00, 0x0A7F, Script::Other, Family::Brahmic),]
    ),
    // କ: 666.
    font!(
        "NotoSansOriya-Bold.subset.ttf",
        666.0,
        &[block(0x0B00, 0x0B7F, Script::Other, Family::Brahmic),]
    ),
    // క reaches 726 with its tick (talakattu), 600 without.
    font!(
        "NotoSansTelugu-Bold.subset.ttf",
        660.0,
        &[block(0x0C00, 0x0C7F, Script::Other, Family::Brahmic),]
    ),
    // ಕ reaches 788 with its head stroke, 620 without.
    font!(
        "NotoSansKannada-Bold.subset.ttf",
        700.0,
        &[block(0x0C80, 0x0CFF, Script::Other, Family::Brahmic),]
    ),
    // മ: 574.
    font!(
        "NotoSansMalayalam-Bold.subset.ttf",
        574.0,
        &[block(0x0D00, 0x0D7F, Script::Other, Family::Brahmic),]
    ),
    // ක from the baseline (its bowl dips 11 below): 612.
    font!(
        "NotoSansSinhala-Bold.subset.ttf",
        612.0,
        &[block(0x0D80, 0x0DFF, Script::Other, Family::Brahmic),]
    ),
    // ກ: 569.
    font!(
        "NotoSansLao-Bold.subset.ttf",
        561.0,
        &[block(0x0E80, 0x0EFF, Script::Other, Family::Brahmic),]
    ),
    // པ from its headline to the baseline: 605; many letters hang far below
    // it (ཀ, ག to -486), so a little smaller, by eye.
    font!(
        "NotoSerifTibetan-Bold.subset.ttf",
        650.0,
        &[block(0x0F00, 0x0FFF, Script::Other, Family::Tibetan),]
    ),
    // မ: 566.
    font!(
        "NotoSansMyanmar-Bold.subset.ttf",
        566.0,
        &[
            block(0x1000, 0x109F, Script::Other, Family::Brahmic),
            block(0xA9E0, 0xA9FF, Script::Other, Family::Brahmic),
            block(0xAA60, 0xAA7F, Script::Other, Family::Brahmic),
        ]
    ),
    // ក: 586.
    font!(
        "NotoSansKhmer-Bold.subset.ttf",
        586.0,
        &[block(0x1780, 0x17FF, Script::Other, Family::Brahmic),]
    ),
    // Syllables at the cap height: አ 714.
    font!(
        "NotoSansEthiopic-Bold.subset.ttf",
        714.0,
        &[
            block(0x1200, 0x139F, Script::Other, Family::Other),
            block(0x2D80, 0x2DDF, Script::Other, Family::Other),
            block(0xAB00, 0xAB2F, Script::Other, Family::Other),
        ]
    ),
    // Letters sit low and wide (ܒ 510) but the Black weight is heavy: ܐ's 683,
    // which looks as big as a Latin capital.
    font!(
        "NotoSansSyriac-Black.subset.ttf",
        683.0,
        &[block(0x0700, 0x074F, Script::Other, Family::RightToLeft),]
    ),
    // Letters at about the x-height: މ 425.
    font!(
        "NotoSansThaana-Bold.subset.ttf",
        430.0,
        &[block(0x0780, 0x07BF, Script::Other, Family::RightToLeft),]
    ),
    // ߞ: 714.
    font!(
        "NotoSansNKo-Regular.subset.ttf",
        714.0,
        &[block(0x07C0, 0x07FF, Script::Other, Family::RightToLeft),]
    ),
    // Capitals: cap height 714.
    font!(
        "NotoSansAdlam-Bold.subset.ttf",
        714.0,
        &[block(0x1E900, 0x1E95F, Script::Other, Family::RightToLeft),]
    ),
    // ⵣ: 714.
    font!(
        "NotoSansTifinagh-Regular.subset.ttf",
        714.0,
        &[block(0x2D30, 0x2D7F, Script::Other, Family::Other),]
    ),
    // Capitals: cap height 714.
    font!(
        "NotoSansCherokee-Bold.subset.ttf",
        714.0,
        &[
            block(0x13A0, 0x13FF, Script::Other, Family::Other),
            block(0xAB70, 0xABBF, Script::Other, Family::Other),
        ]
    ),
    // ᒪ: 714.
    font!(
        "NotoSansCanadianAboriginal-Bold.subset.ttf",
        714.0,
        &[
            block(0x1400, 0x167F, Script::Other, Family::Other),
            block(0x18B0, 0x18FF, Script::Other, Family::Other),
        ]
    ),
    // ᱢ: 714.
    font!(
        "NotoSansOlChiki-Bold.subset.ttf",
        714.0,
        &[block(0x1C50, 0x1C7F, Script::Other, Family::Other),]
    ),
    // Upright, a letter is as tall as it is long: ᠨ 512, ᠪ 590, ᠴ 677, ᠬ 773,
    // ᠠ 909; the median of the consonants that begin names, 640.
    font!(
        "NotoSansMongolian-Regular.subset.ttf",
        640.0,
        &[block(0x1800, 0x18AF, Script::Other, Family::Mongolian),],
        Orientation::Upright
    ),
    // 国 has 898 units of ink; ideographs and Hangul fill their square, so at
    // 1.15 × the cap height they look as big as Latin capitals: 898 / 1.15.
    // 29,739 glyphs: served from its glyph store.
    font!(
        glyphs "NotoSansCJKsc-Bold.subset.otf",
        780.0,
        &[
            block(0x3041, 0x30FF, Script::Kana, Family::Cjk),
            block(0x3131, 0x318E, Script::Hangul, Family::Cjk),
            block(0x31F0, 0x31FF, Script::Kana, Family::Cjk),
            block(0x3400, 0x4DBF, Script::Han, Family::Cjk),
            block(0x4E00, 0x9FFF, Script::Han, Family::Cjk),
            block(0xAC00, 0xD7A3, Script::Hangul, Family::Cjk),
            block(0xF900, 0xFAFF, Script::Han, Family::Cjk),
            block(0x20000, 0x2A6DF, Script::Han, Family::Cjk),
        ]
    ),
];

/// The blocks no embedded font draws: a script and family without a font.
/// Code points in no block, here or in [`FONTS`], are [`Script::Other`] and
/// [`Family::Other`].
pub static UNDRAWN: &[Block] = &[
    // C1 controls (beside Latin-1).
    block(0x007F, 0x009F, Script::Other, Family::Latin),
    block(0x0530, 0x0530, Script::Other, Family::Armenian),
    // Samaritan, Mandaic, Syriac Supplement, Arabic Extended-B.
    block(0x0800, 0x089F, Script::Other, Family::RightToLeft),
    // Hangul Jamo.
    block(0x1100, 0x11FF, Script::Hangul, Family::Cjk),
    // Limbu, Tai Le, New Tai Lue.
    block(0x1900, 0x19DF, Script::Other, Family::Brahmic),
    // Tai Tham.
    block(0x1A20, 0x1AAF, Script::Other, Family::Brahmic),
    // Balinese.
    block(0x1B00, 0x1B7F, Script::Other, Family::Brahmic),
    block(0x1C80, 0x1C8F, Script::Cyrillic, Family::Cyrillic),
    // phonetic extensions.
    block(0x1D00, 0x1DBF, Script::Other, Family::Latin),
    block(0x2DE0, 0x2DFF, Script::Cyrillic, Family::Cyrillic),
    // CJK and Kangxi radicals.
    block(0x2E80, 0x2FDF, Script::Other, Family::Cjk),
    // 々 〆 〇.
    block(0x3005, 0x3007, Script::Other, Family::Cjk),
    // Hangzhou numerals.
    block(0x3021, 0x3029, Script::Other, Family::Cjk),
    block(0x3040, 0x3040, Script::Kana, Family::Cjk),
    // Bopomofo.
    block(0x3100, 0x312F, Script::Other, Family::Cjk),
    block(0x3130, 0x3130, Script::Hangul, Family::Cjk),
    block(0x318F, 0x318F, Script::Hangul, Family::Cjk),
    block(0x3190, 0x31EF, Script::Other, Family::Cjk),
    // Cyrillic Extended-B.
    block(0xA640, 0xA69F, Script::Cyrillic, Family::Cyrillic),
    // Syloti Nagri.
    block(0xA800, 0xA82F, Script::Other, Family::Brahmic),
    // Phags-pa.
    block(0xA840, 0xA87F, Script::Other, Family::Brahmic),
    // Hangul Jamo Extended-A.
    block(0xA960, 0xA97F, Script::Hangul, Family::Cjk),
    // Javanese.
    block(0xA980, 0xA9DF, Script::Other, Family::Brahmic),
    // Cham.
    block(0xAA00, 0xAA5F, Script::Other, Family::Brahmic),
    // Tai Viet.
    block(0xAA80, 0xAADF, Script::Other, Family::Brahmic),
    // Latin Extended-E.
    block(0xAB30, 0xAB6F, Script::Latin, Family::Latin),
    // Meetei Mayek.
    block(0xABC0, 0xABFF, Script::Other, Family::Brahmic),
    // Hangul Jamo Extended-B.
    block(0xD7A4, 0xD7FF, Script::Hangul, Family::Cjk),
    // Latin ligatures.
    block(0xFB00, 0xFB06, Script::Other, Family::Latin),
    // Armenian ligatures.
    block(0xFB13, 0xFB17, Script::Other, Family::Armenian),
    // Hebrew presentation forms.
    block(0xFB1D, 0xFB4F, Script::Hebrew, Family::RightToLeft),
    // Arabic presentation forms.
    block(0xFB50, 0xFDFF, Script::Arabic, Family::RightToLeft),
    block(0xFE70, 0xFEFF, Script::Arabic, Family::RightToLeft),
    // fullwidth Latin.
    block(0xFF21, 0xFF3A, Script::Latin, Family::Latin),
    block(0xFF3B, 0xFF40, Script::Other, Family::Latin),
    block(0xFF41, 0xFF5A, Script::Latin, Family::Latin),
    // halfwidth katakana.
    block(0xFF66, 0xFF9F, Script::Kana, Family::Cjk),
    // halfwidth Hangul.
    block(0xFFA0, 0xFFDC, Script::Other, Family::Cjk),
    // right-to-left scripts of the supplementary plane.
    block(0x10800, 0x10FFF, Script::Other, Family::RightToLeft),
    // Brahmi, Kaithi, Chakma and others.
    block(0x11000, 0x111FF, Script::Other, Family::Brahmic),
    // Mongolian Supplement.
    block(0x11660, 0x1167F, Script::Other, Family::Mongolian),
    // kana supplement and extended.
    block(0x1B000, 0x1B16F, Script::Other, Family::Cjk),
    // Mende Kikakui.
    block(0x1E800, 0x1E8FF, Script::Other, Family::RightToLeft),
    block(0x1E960, 0x1EFFF, Script::Other, Family::RightToLeft),
    // Han extensions C to G.
    block(0x2A6E0, 0x3134F, Script::Han, Family::Cjk),
];

/// Every block, of [`FONTS`] and [`UNDRAWN`]: no two share a code point.
fn blocks() -> impl Iterator<Item = &'static Block> {
    FONTS.iter().flat_map(|f| f.blocks).chain(UNDRAWN)
}

fn block_of(c: char) -> Option<&'static Block> {
    let u = u32::from(c);
    blocks().find(|b| b.contains(u))
}

impl Script {
    /// The script of one character, by its block in the table above:
    /// blocks, not Unicode's Script property, exact enough for a metric.
    pub fn of(c: char) -> Script {
        block_of(c).map_or(Script::Other, |b| b.script)
    }
}

impl Family {
    /// The family of one character, by its block in the table above.
    pub fn of(c: char) -> Family {
        block_of(c).map_or(Family::Other, |b| b.family)
    }
}

/// One rasterised glyph, positioned relative to the pen on the baseline.
#[derive(Debug, Clone)]
pub struct Glyph {
    /// Bitmap width and height, in pixels.
    pub width: usize,
    pub height: usize,
    /// Offset of the bitmap's left edge from the pen, in pixels.
    pub left: i32,
    /// Offset of the bitmap's top row from the baseline, in pixels, y down
    /// (negative: above the baseline).
    pub top: i32,
    /// How far the pen moves after this glyph, in pixels.
    pub advance: f32,
    /// `width * height` coverage bytes.
    pub coverage: Vec<u8>,
}

impl Glyph {
    fn empty(advance: f32) -> Glyph {
        Glyph {
            width: 0,
            height: 0,
            left: 0,
            top: 0,
            advance,
            coverage: Vec::new(),
        }
    }
}

/// A glyph as vector outlines, for output that scales (SVG).
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// The glyph's outline in pixels, y down, relative to the pen on the
    /// baseline (the coordinates of [`Glyph`]).
    pub commands: Vec<Command>,
    /// Ink box `(left, top, right, bottom)`, in the commands' coordinates.
    pub bounds: (f32, f32, f32, f32),
    /// How far the pen moves after this glyph, in pixels.
    pub advance: f32,
}

/// A quarter turn clockwise that stands an [`Orientation::Upright`] glyph up,
/// in font units, y up: `(x, y)` → `(y + dx, top − x)`.
#[derive(Debug, Clone, Copy)]
struct Turn {
    dx: f32,
    top: f32,
}

impl Turn {
    fn at(turn: Option<Turn>, x: f32, y: f32) -> (f32, f32) {
        match turn {
            Some(t) => (y + t.dx, t.top - x),
            None => (x, y),
        }
    }

    /// A box `(x_min, y_min, x_max, y_max)`, turned.
    fn rect(turn: Option<Turn>, r: (f32, f32, f32, f32)) -> (f32, f32, f32, f32) {
        let (x0, y0) = Turn::at(turn, r.0, r.1);
        let (x1, y1) = Turn::at(turn, r.2, r.3);
        (x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1))
    }
}

/// A glyph's ink box `(x_min, y_min, x_max, y_max)` in font units, y up.
fn units(r: Rect) -> (f32, f32, f32, f32) {
    (
        f32::from(r.x_min),
        f32::from(r.y_min),
        f32::from(r.x_max),
        f32::from(r.y_max),
    )
}

/// A glyph's advance and ink box as drawn ([`Placement`]), in font units,
/// with what scales them to pixels ([`Loaded::em_px`]).
#[derive(Clone, Copy)]
struct Metrics {
    advance: f32,
    ink: Option<(f32, f32, f32, f32)>,
    body_units: f32,
    units_per_em: f32,
}

impl Metrics {
    /// [`Loaded::em_px`] of the glyph's font, with the same arithmetic.
    fn em_px(&self, body_px: f32) -> f32 {
        body_px / (self.body_units / self.units_per_em)
    }
}

/// Characters whose [`Metrics`] are kept per thread (about 40 bytes each);
/// past it the store is emptied and refilled.
const METRICS_KEPT: usize = 4096;

/// The VM's metrics by character: per-VM state is a `static`, as the
/// fonts are ([`Fonts::get`]).
fn metrics_store() -> &'static Mutex<HashMap<char, Option<Metrics>>> {
    static METRICS: OnceLock<Mutex<HashMap<char, Option<Metrics>>>> = OnceLock::new();
    METRICS.get_or_init(Mutex::default)
}

/// Where a glyph is drawn, in font units, y up: its turn (if upright), its
/// ink box and its advance, all as drawn.
struct Placement {
    turn: Option<Turn>,
    ink: Option<(f32, f32, f32, f32)>,
    advance: f32,
}

/// Records ttf-parser's outline callbacks (font units, y up) in pixels, y
/// down, turned if the glyph stands upright.
struct Collect {
    scale: f32,
    turn: Option<Turn>,
    recorder: Recorder,
}

impl Collect {
    fn at(&self, x: f32, y: f32) -> (f32, f32) {
        let (x, y) = Turn::at(self.turn, x, y);
        (x * self.scale, -y * self.scale)
    }
}

impl ttf_parser::OutlineBuilder for Collect {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.at(x, y);
        self.recorder.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.at(x, y);
        self.recorder.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let ((x1, y1), (x, y)) = (self.at(x1, y1), self.at(x, y));
        self.recorder.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let ((x1, y1), (x2, y2), (x, y)) = (self.at(x1, y1), self.at(x2, y2), self.at(x, y));
        self.recorder.curve_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.recorder.close();
    }
}

/// Records of a stored font kept for the next lookups of the same
/// characters (a render looks each character up several times: whether it
/// is drawn, its advance, its ink, its outline).
const RECENT_RECORDS: usize = 8;

/// Where a loaded font's glyphs come from.
enum Source {
    /// The whole font, parsed in place (boxed: a parsed face is 1.6 KB).
    Face(Box<Face<'static>>),
    /// A glyph store in the segment, and the records last read from it.
    Store(
        glyph_store::Store<InSegment>,
        Mutex<Vec<(char, Arc<Record>)>>,
    ),
}

/// A glyph of a loaded font.
enum Found {
    Id(GlyphId),
    Record(Arc<Record>),
}

/// One font of this VM.
struct Loaded {
    spec: &'static FontSpec,
    source: Source,
    units_per_em: f32,
}

impl Loaded {
    /// Em size in pixels for body height `body_px`.
    fn em_px(&self, body_px: f32) -> f32 {
        body_px / (self.spec.body_units / self.units_per_em)
    }

    /// The glyph of `c`, if the font has one (other than `.notdef`).
    fn glyph(&self, c: char) -> Option<Found> {
        match &self.source {
            Source::Face(face) => {
                let id = face.glyph_index(c)?;
                (id.0 != 0).then_some(Found::Id(id))
            }
            Source::Store(store, recent) => {
                let kept = recent.try_lock().ok().and_then(|r| {
                    r.iter()
                        .find(|(k, _)| *k == c)
                        .map(|(_, record)| Arc::clone(record))
                });
                if let Some(record) = kept {
                    return Some(Found::Record(record));
                }
                let record = Arc::new(store.lookup(u32::from(c))?);
                // Never contended (one render at a time per VM); if it
                // were, this record is simply not kept.
                if let Ok(mut r) = recent.try_lock() {
                    if r.len() >= RECENT_RECORDS {
                        r.remove(0);
                    }
                    r.push((c, Arc::clone(&record)));
                }
                Some(Found::Record(record))
            }
        }
    }

    /// Glyph `g`'s advance and ink box, in font units, as designed.
    fn metrics(&self, g: &Found) -> (f32, Option<Rect>) {
        match (&self.source, g) {
            (Source::Face(face), Found::Id(id)) => (
                f32::from(face.glyph_hor_advance(*id).unwrap_or(0)),
                face.glyph_bounding_box(*id),
            ),
            (_, Found::Record(r)) => (f32::from(r.advance), r.ink),
            (Source::Store(..), Found::Id(_)) => (0.0, None),
        }
    }

    /// Feeds glyph `g`'s outline to `to`; its ink box, `None` without one.
    fn outline_glyph(&self, g: &Found, to: &mut dyn OutlineBuilder) -> Option<Rect> {
        match (&self.source, g) {
            (Source::Face(face), Found::Id(id)) => face.outline_glyph(*id, to),
            (_, Found::Record(r)) => r.outline(to),
            (Source::Store(..), Found::Id(_)) => None,
        }
    }

    /// Where glyph `g` is drawn: as designed, or stood upright with its
    /// start at the body height and its ink between side bearings.
    fn placement(&self, g: &Found) -> Placement {
        let (advance, ink) = self.metrics(g);
        let ink = ink.map(units);
        match (self.spec.orientation, ink) {
            (Orientation::Upright, Some((x_min, y_min, _, y_max))) => {
                let turn = Some(Turn {
                    dx: UPRIGHT_SIDE_BEARING - y_min,
                    top: self.spec.body_units + x_min,
                });
                Placement {
                    turn,
                    ink: ink.map(|r| Turn::rect(turn, r)),
                    advance: y_max - y_min + 2.0 * UPRIGHT_SIDE_BEARING,
                }
            }
            _ => Placement {
                turn: None,
                ink,
                advance,
            },
        }
    }
}

/// One embedded font of this VM, loaded on its first lookup.
struct Slot {
    spec: &'static FontSpec,
    /// Where its bytes start in the module's font segment: the sum of the
    /// lengths of the fonts before it in [`FONTS`], the order
    /// [`segment`] lays them out in.
    offset: usize,
    loaded: OnceLock<Option<Loaded>>,
}

impl Slot {
    /// The font, its bytes fetched and its face parsed on first call; `None`
    /// if either failed (its characters then fall through to later fonts).
    fn get(&self) -> Option<&Loaded> {
        self.loaded.get_or_init(|| self.load()).as_ref()
    }

    fn load(&self) -> Option<Loaded> {
        let bytes = InSegment {
            spec: self.spec,
            offset: self.offset,
        };
        let (source, units_per_em) = match self.spec.storage {
            Storage::File => {
                let data = bytes.read(0, self.spec.len)?;
                let face = Face::parse(Box::leak(data.into_boxed_slice()), 0).ok()?;
                let units_per_em = face.units_per_em();
                (Source::Face(Box::new(face)), units_per_em)
            }
            Storage::Glyphs => {
                let store = glyph_store::Store::open(bytes)?;
                let units_per_em = store.units_per_em;
                (Source::Store(store, Mutex::new(Vec::new())), units_per_em)
            }
        };
        Some(Loaded {
            spec: self.spec,
            source,
            units_per_em: f32::from(units_per_em),
        })
    }
}

/// One font's bytes in the module's font segment.
#[derive(Debug)]
struct InSegment {
    spec: &'static FontSpec,
    /// Where the font starts in the segment (natively its bytes are
    /// `spec.data`).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    offset: usize,
}

/// Natively the fonts are in the binary: a read copies from there, as a
/// VM's copies from the segment.
#[cfg(not(target_arch = "wasm32"))]
impl glyph_store::Source for InSegment {
    fn read(&self, offset: usize, len: usize) -> Option<Vec<u8>> {
        self.spec.data.read(offset, len)
    }
}

/// In a VM, a read copies a range of the module's passive font segment into
/// this VM's memory.
#[cfg(target_arch = "wasm32")]
impl glyph_store::Source for InSegment {
    fn read(&self, offset: usize, len: usize) -> Option<Vec<u8>> {
        #[link(wasm_import_module = "monogram")]
        extern "C" {
            /// Copies `len` bytes from `offset` of the module's font segment
            /// to `dst`: 1 if they were all there, else 0 and nothing
            /// copied. Not a host function: examples/passive_fonts.rs
            /// defines it in the module (`memory.init`), replacing this
            /// import ([`SEGMENT_IMPORT`]).
            fn fonts_read(dst: *mut u8, offset: u32, len: u32) -> u32;
        }
        // Within this font: a read never reaches into the next one.
        if offset.checked_add(len)? > self.spec.len {
            return None;
        }
        let at = u32::try_from(self.offset.checked_add(offset)?).ok()?;
        let count = u32::try_from(len).ok()?;
        let mut bytes = vec![0u8; len];
        // SAFETY: `bytes` is `len` writable bytes, and the function writes no others.
        let copied = unsafe { fonts_read(bytes.as_mut_ptr(), at, count) };
        (copied == 1).then_some(bytes)
    }
}

/// The import that examples/passive_fonts.rs turns into the function that
/// reads the font segment: (module, name).
pub const SEGMENT_IMPORT: (&str, &str) = ("monogram", "fonts_read");

/// The module's font segment: every font file (or glyph store) in [`FONTS`]
/// order, end to end.
#[cfg(not(target_arch = "wasm32"))]
pub fn segment() -> Vec<u8> {
    FONTS.iter().flat_map(|f| f.data.iter().copied()).collect()
}

/// The embedded fonts, ready to rasterise.
pub struct Fonts {
    fonts: Vec<Slot>,
}

impl Fonts {
    /// The fonts of this VM, on first call (not at VM start, so the throw-away
    /// validation VM Envoy creates never pays for them). Nothing is copied or
    /// parsed here: each font is, on its first lookup.
    pub fn get() -> Option<&'static Fonts> {
        static FONTS_OF_VM: OnceLock<Option<Fonts>> = OnceLock::new();
        FONTS_OF_VM.get_or_init(Fonts::load).as_ref()
    }

    fn load() -> Option<Fonts> {
        let mut offset = 0usize;
        let fonts = FONTS
            .iter()
            .map(|spec| {
                let slot = Slot {
                    spec,
                    offset,
                    loaded: OnceLock::new(),
                };
                offset = offset.checked_add(spec.len)?;
                Some(slot)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Fonts { fonts })
    }

    /// The font that draws `c`, and its glyph: the first in [`FONTS`] order
    /// that has it, loading fonts up to that one.
    fn find(&self, c: char) -> Option<(&Loaded, Found)> {
        self.fonts
            .iter()
            .filter(|slot| slot.spec.may_have(c))
            .filter_map(Slot::get)
            .find_map(|f| Some((f, f.glyph(c)?)))
    }

    /// The body height, in pixels, of text whose Latin em is `em_px`: what
    /// an explicit font size ([`crate::avatar::font_size`]) means, as the body height
    /// every font is scaled by. Other scripts then look as big as Latin at
    /// that size, as they do everywhere.
    pub fn body_of_em(&self, em_px: f32) -> f32 {
        match self.fonts.first().and_then(Slot::get) {
            Some(latin) => em_px * latin.spec.body_units / latin.units_per_em,
            None => em_px,
        }
    }

    /// Does some embedded font draw `c` (not as the missing-glyph box)?
    pub fn has_glyph(&self, c: char) -> bool {
        self.find(c).is_some()
    }

    /// Which embedded font draws `c`, by file name.
    #[cfg(test)]
    fn font_of(&self, c: char) -> Option<&'static str> {
        self.find(c).map(|(f, _)| f.spec.file)
    }

    /// Advance width of `c` at body height `body_px`, in pixels, without rasterising.
    pub fn advance(&self, c: char, body_px: f32) -> f32 {
        let Some(m) = self.metrics(c) else {
            return 0.0;
        };
        m.advance * m.em_px(body_px) / m.units_per_em
    }

    /// `c`'s ink box `(left, top, right, bottom)` at body height `body_px`,
    /// in pixels from the pen on the baseline, y down: its bounding box,
    /// without rasterising. `None` for a character without ink (or glyph).
    pub fn ink_box(&self, c: char, body_px: f32) -> Option<(f32, f32, f32, f32)> {
        let m = self.metrics(c)?;
        let (x_min, y_min, x_max, y_max) = m.ink?;
        let scale = m.em_px(body_px) / m.units_per_em;
        Some((x_min * scale, -y_max * scale, x_max * scale, -y_min * scale))
    }

    /// `c`'s advance and ink box in font units, and its font's scale, from
    /// this thread's store when asked before: layout asks for each letter
    /// four times a render, and ttf-parser finds a glyph's box by walking its
    /// outline.
    fn metrics(&self, c: char) -> Option<Metrics> {
        // Never contended in a VM (one render at a time); natively, where
        // test threads share the store, metrics found locked are looked up
        // afresh and not kept: they are the same either way.
        let kept = metrics_store()
            .try_lock()
            .ok()
            .and_then(|m| m.get(&c).copied());
        if let Some(found) = kept {
            return found;
        }
        let found = self.find(c).map(|(font, id)| {
            let place = font.placement(&id);
            Metrics {
                advance: place.advance,
                ink: place.ink,
                body_units: font.spec.body_units,
                units_per_em: font.units_per_em,
            }
        });
        if let Ok(mut m) = metrics_store().try_lock() {
            if m.len() >= METRICS_KEPT {
                m.clear();
            }
            m.insert(c, found);
        }
        found
    }

    /// The outline of `c` at body height `body_px`; `None` for a character
    /// without a glyph. A glyph without ink (a space) has no commands and
    /// empty bounds.
    pub fn outline(&self, c: char, body_px: f32) -> Option<Outline> {
        let (font, id) = self.find(c)?;
        let scale = font.em_px(body_px) / font.units_per_em;
        let place = font.placement(&id);
        let mut collect = Collect {
            scale,
            turn: place.turn,
            recorder: Recorder::default(),
        };
        let bounds = match font.outline_glyph(&id, &mut collect) {
            Some(b) => {
                let (x_min, y_min, x_max, y_max) = Turn::rect(place.turn, units(b));
                (x_min * scale, -y_max * scale, x_max * scale, -y_min * scale)
            }
            None => (0.0, 0.0, 0.0, 0.0),
        };
        let advance = place.advance * scale;
        Some(Outline {
            commands: collect.recorder.commands,
            bounds,
            advance,
        })
    }

    /// Rasterises `c` at body height `body_px`; a character no font has is
    /// an empty glyph.
    pub fn rasterize(&self, c: char, body_px: f32) -> Glyph {
        let Some((font, id)) = self.find(c) else {
            return Glyph::empty(0.0);
        };
        outline(font, &id, font.em_px(body_px))
    }
}

/// Outlines glyph `id` at em size `em` pixels and fills it into a coverage mask.
fn outline(font: &Loaded, id: &Found, em: f32) -> Glyph {
    let scale = em / font.units_per_em;
    let place = font.placement(id);
    let advance = place.advance * scale;
    let Some((x_min, y_min, x_max, y_max)) = place.ink else {
        return Glyph::empty(advance);
    };
    // Pixel box of the ink, y down; whole pixels so the pen stays on the grid.
    let left = (x_min * scale).floor() as i32;
    let right = (x_max * scale).ceil() as i32;
    let top = (-y_max * scale).floor() as i32;
    let bottom = (-y_min * scale).ceil() as i32;
    let (Ok(width), Ok(height)) = (
        usize::try_from(right.saturating_sub(left)),
        usize::try_from(bottom.saturating_sub(top)),
    ) else {
        return Glyph::empty(advance);
    };
    let mut sink = CanvasSink {
        canvas: Rasterizer::new(width, height),
        width: width as f32,
        start: point(0.0, 0.0),
        pen: point(0.0, 0.0),
        scale,
        turn: place.turn,
        dx: -(left as f32),
        dy: -(top as f32),
    };
    if font.outline_glyph(id, &mut sink).is_none() {
        return Glyph::empty(advance);
    }
    Glyph {
        width,
        height,
        left,
        top,
        advance,
        coverage: sink.coverage(),
    }
}

/// Feeds a ttf-parser outline (font units, y up) to ab_glyph_rasterizer's
/// signed-area accumulator (pixels, y down, origin at the glyph box's top
/// left), closing each contour itself (the rasteriser only draws edges).
///
/// x is clamped to the canvas, `0..=width`: an outline within its own
/// bounding box (which the canvas is sized from) is never changed by that,
/// and a malformed one cannot bleed coverage into the next row, which the
/// rasteriser would do (it clips rows, not columns). y it clips itself.
struct CanvasSink {
    canvas: Rasterizer,
    width: f32,
    /// Where the current contour started, and the pen, in pixels.
    start: Point,
    pen: Point,
    scale: f32,
    turn: Option<Turn>,
    dx: f32,
    dy: f32,
}

impl CanvasSink {
    fn at(&self, x: f32, y: f32) -> Point {
        let (x, y) = Turn::at(self.turn, x, y);
        let x = (x * self.scale + self.dx).clamp(0.0, self.width);
        point(x, -y * self.scale + self.dy)
    }

    fn close_contour(&mut self) {
        if self.pen != self.start {
            self.canvas.draw_line(self.pen, self.start);
            self.pen = self.start;
        }
    }

    /// The coverage bytes, `width * height`: 0 = none, 255 = full.
    fn coverage(mut self) -> Vec<u8> {
        self.close_contour();
        let (width, height) = self.canvas.dimensions();
        let mut out = Vec::with_capacity(width.saturating_mul(height));
        // `c.min(1.0)` spelt as a comparison (the same value, NaN included):
        // in wasm `f32::min` is a call to `fminf`, and this runs per pixel.
        self.canvas.for_each_pixel(|_, c| {
            let c = if c < 1.0 { c } else { 1.0 };
            out.push((c * 255.0 + 0.5) as u8)
        });
        out
    }
}

impl ttf_parser::OutlineBuilder for CanvasSink {
    fn move_to(&mut self, x: f32, y: f32) {
        self.close_contour();
        self.start = self.at(x, y);
        self.pen = self.start;
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.at(x, y);
        self.canvas.draw_line(self.pen, p);
        self.pen = p;
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (p1, p) = (self.at(x1, y1), self.at(x, y));
        self.canvas.draw_quad(self.pen, p1, p);
        self.pen = p;
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (p1, p2, p) = (self.at(x1, y1), self.at(x2, y2), self.at(x, y));
        self.canvas.draw_cubic(self.pen, p1, p2, p);
        self.pen = p;
    }
    fn close(&mut self) {
        self.close_contour();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The font file of `spec`, parsed (for a stored font, the file its
    /// store was built from).
    fn file_face(spec: &FontSpec) -> Face<'static> {
        let path = format!("{}/fonts/{}", env!("CARGO_MANIFEST_DIR"), spec.file);
        let data = std::fs::read(path).unwrap();
        Face::parse(Box::leak(data.into_boxed_slice()), 0).unwrap()
    }

    fn face_of(font: &Loaded) -> &Face<'static> {
        match &font.source {
            Source::Face(face) => face,
            Source::Store(..) => panic!("{} is stored", font.spec.file),
        }
    }

    /// Every f32 of `commands`, as bits: equal only if bit-identical.
    fn bits(commands: &[Command]) -> Vec<(u8, Vec<u32>)> {
        commands
            .iter()
            .map(|c| match *c {
                Command::Move(x, y) => (0, vec![x.to_bits(), y.to_bits()]),
                Command::Line(x, y) => (1, vec![x.to_bits(), y.to_bits()]),
                Command::Quad(a, b, x, y) => (2, [a, b, x, y].map(f32::to_bits).to_vec()),
                Command::Cubic(a, b, c, d, x, y) => {
                    (3, [a, b, c, d, x, y].map(f32::to_bits).to_vec())
                }
                Command::Close => (4, Vec::new()),
            })
            .collect()
    }

    #[test]
    fn every_font_parses() {
        let f = Fonts::get().unwrap();
        assert_eq!(f.fonts.len(), FONTS.len());
        for slot in &f.fonts {
            let font = slot.get().unwrap();
            let glyphs = match &font.source {
                Source::Face(face) => usize::from(face.number_of_glyphs()),
                Source::Store(store, _) => store.entries(),
            };
            assert!(glyphs > 10, "{}", font.spec.file);
            assert_eq!(
                font.spec.storage == Storage::Glyphs,
                font.spec.len > 5_000_000
            );
        }
    }

    /// The store of each stored font gives, for every code point of the
    /// font file in its ranges, ttf-parser's advance, ink box and outline,
    /// to the bit; and nothing for a code point the file does not map.
    #[test]
    fn a_stored_font_gives_what_its_file_gives() {
        let f = Fonts::get().unwrap();
        let stored = f.fonts.iter().filter(|s| s.spec.storage == Storage::Glyphs);
        let mut checked = 0;
        for slot in stored {
            let file = file_face(slot.spec);
            let font = slot.get().unwrap();
            let Source::Store(store, _) = &font.source else {
                panic!("{} is not stored", slot.spec.file);
            };
            assert_eq!(store.units_per_em, file.units_per_em());
            let mut mapped = 0;
            for b in slot.spec.blocks {
                for u in b.first..=b.last {
                    let c = char::from_u32(u).unwrap();
                    let id = file.glyph_index(c).filter(|id| id.0 != 0);
                    let record = store.lookup(u);
                    let (Some(id), Some(record)) = (id, record.as_ref()) else {
                        assert_eq!(id.is_some(), record.is_some(), "U+{u:04X}");
                        continue;
                    };
                    mapped += 1;
                    assert_eq!(
                        Some(record.advance),
                        file.glyph_hor_advance(id),
                        "U+{u:04X}"
                    );
                    let mut want = Recorder::default();
                    let ink = file.outline_glyph(id, &mut want);
                    assert_eq!(record.ink, ink, "U+{u:04X}");
                    assert_eq!(record.ink, file.glyph_bounding_box(id), "U+{u:04X}");
                    let mut got = Recorder::default();
                    assert_eq!(record.outline(&mut got), ink);
                    assert_eq!(bits(&got.commands), bits(&want.commands), "U+{u:04X}");
                }
            }
            assert_eq!(mapped, store.entries(), "{}", slot.spec.file);
            checked += mapped;
        }
        assert!(checked > 29_000, "{checked}");
    }

    /// Through the store, [`Fonts`] measures and draws as it would from the
    /// parsed file.
    #[test]
    fn stored_glyphs_measure_and_draw_as_the_file() {
        let f = Fonts::get().unwrap();
        let slot = f.fonts.last().unwrap();
        assert_eq!(slot.spec.storage, Storage::Glyphs);
        let from_file = Loaded {
            spec: slot.spec,
            source: Source::Face(Box::new(file_face(slot.spec))),
            units_per_em: 1000.0,
        };
        for c in ['王', '𠮷', '김', 'ア', 'ㄱ', '\u{3164}'] {
            let (font, found) = f.find(c).unwrap();
            let id = from_file.glyph(c).unwrap();
            for body in [13.0, 100.0, 333.3] {
                let want = outline(&from_file, &id, from_file.em_px(body));
                let got = outline(font, &found, font.em_px(body));
                assert_eq!(got.coverage, want.coverage, "{c} at {body}");
                assert_eq!(
                    (
                        got.width,
                        got.height,
                        got.left,
                        got.top,
                        got.advance.to_bits()
                    ),
                    (
                        want.width,
                        want.height,
                        want.left,
                        want.top,
                        want.advance.to_bits()
                    )
                );
            }
        }
        assert!(
            f.find('\u{3040}').is_none(),
            "in the ranges, not in the font"
        );
        assert!(f.find('\u{9FFF}').is_none() || from_file.glyph('\u{9FFF}').is_some());
    }

    #[test]
    fn recent_records_stay_bounded() {
        let f = Fonts::get().unwrap();
        for u in 0x4E00..0x4E00 + 100 {
            f.has_glyph(char::from_u32(u).unwrap());
        }
        let Source::Store(_, recent) = &f.fonts.last().unwrap().get().unwrap().source else {
            panic!("the CJK font is stored");
        };
        assert!(recent.lock().unwrap().len() <= RECENT_RECORDS);
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_segment_holds_each_font_at_its_offset() {
        let segment = segment();
        let f = Fonts::get().unwrap();
        for slot in &f.fonts {
            let at = &segment[slot.offset..slot.offset + slot.spec.len];
            assert_eq!(at, slot.spec.data, "{}", slot.spec.file);
        }
        let last = f.fonts.last().unwrap();
        assert_eq!(segment.len(), last.offset + last.spec.len);
    }

    /// Wherever a doc gives the size of the font segment ("N.N MB of
    /// fonts"), it is the segment's, in MB to one decimal.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_docs_give_the_segment_size() {
        let mb = format!("{:.1}", segment().len() as f64 / 1e6);
        for (doc, text) in [
            ("docs/DESIGN.md", include_str!("../../docs/DESIGN.md")),
            ("docs/MEMORY.md", include_str!("../../docs/MEMORY.md")),
            ("README.md", include_str!("../../README.md")),
            ("src/fonts/table.rs", include_str!("table.rs")),
        ] {
            let text = text.replace("\n//! ", " ").replace('\n', " ");
            let given: Vec<&str> = text
                .match_indices(" MB of fonts")
                .filter_map(|(at, _)| text[..at].rsplit(' ').next())
                .map(|n| n.trim_start_matches('('))
                .filter(|n| n.parse::<f64>().is_ok())
                .collect();
            assert!(given.iter().all(|&n| n == mb), "{doc}: {given:?}, not {mb}");
        }
        let design = include_str!("../../docs/DESIGN.md").replace('\n', " ");
        assert!(design.contains(&format!("{mb} MB of fonts")));
    }

    #[test]
    fn every_character_of_a_font_is_in_its_ranges() {
        let f = Fonts::get().unwrap();
        for slot in &f.fonts {
            let font = slot.get().unwrap();
            let file = file_face(font.spec);
            let cmap = file.tables().cmap.unwrap();
            let mut outside = Vec::new();
            let mut count = 0;
            for sub in cmap.subtables.into_iter().filter(|s| s.is_unicode()) {
                sub.codepoints(|u| {
                    count += 1;
                    let c = char::from_u32(u).unwrap();
                    if !font.spec.may_have(c) {
                        outside.push(format!("U+{u:04X}"));
                    }
                });
            }
            assert!(count > 20, "{}", font.spec.file);
            assert!(outside.is_empty(), "{}: {outside:?}", font.spec.file);
        }
    }

    /// Each block's first and last code point are in its script and
    /// family, and drawn by its font (or by none, for [`UNDRAWN`]); no two
    /// blocks overlap, so the table has one answer for each code point.
    #[test]
    fn the_derived_lookups_agree_with_the_table() {
        let f = Fonts::get().unwrap();
        let mut all: Vec<(&Block, Option<&str>)> = FONTS
            .iter()
            .flat_map(|spec| spec.blocks.iter().map(|b| (b, Some(spec.file))))
            .chain(UNDRAWN.iter().map(|b| (b, None)))
            .collect();
        for &(b, file) in &all {
            assert!(b.first <= b.last, "{b:?}");
            for u in [b.first, b.last] {
                let c = char::from_u32(u).unwrap();
                assert_eq!(Script::of(c), b.script, "U+{u:04X}");
                assert_eq!(Family::of(c), b.family, "U+{u:04X}");
                let may = FONTS.iter().find(|spec| spec.may_have(c));
                assert_eq!(may.map(|spec| spec.file), file, "U+{u:04X}");
                if let Some(font) = f.font_of(c) {
                    assert_eq!(Some(font), file, "U+{u:04X}");
                }
            }
        }
        all.sort_by_key(|(b, _)| b.first);
        for pair in all.windows(2) {
            assert!(pair[0].0.last < pair[1].0.first, "{pair:?}");
        }
        assert_eq!(Script::of('\u{1F600}'), Script::Other);
        assert_eq!(Family::of('\u{1F600}'), Family::Other);
    }

    /// build.rs makes a glyph store of exactly the fonts stored so.
    #[test]
    fn build_rs_stores_the_stored_fonts() {
        let build = include_str!("../../build.rs");
        let line = build
            .lines()
            .find(|l| l.starts_with("const STORED: &[&str] = &["))
            .unwrap();
        let listed: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        let stored: Vec<&str> = FONTS
            .iter()
            .filter(|spec| spec.storage == Storage::Glyphs)
            .map(|spec| spec.file)
            .collect();
        assert_eq!(listed, stored);
    }

    #[test]
    fn latin_body_is_the_cap_height() {
        let f = Fonts::get().unwrap();
        let latin = f.fonts.first().unwrap().get().unwrap();
        assert_eq!(
            face_of(latin).capital_height().map(f32::from),
            Some(latin.spec.body_units)
        );
    }

    #[test]
    fn each_script_finds_its_font() {
        let f = Fonts::get().unwrap();
        for (c, file) in [
            ('A', "NotoSans-Bold.subset.ttf"),
            ('Ω', "NotoSans-Bold.subset.ttf"),
            ('Ж', "NotoSans-Bold.subset.ttf"),
            ('Ա', "NotoSansArmenian-Bold.subset.ttf"),
            ('Ნ', "NotoSansGeorgian-Bold.subset.ttf"),
            ('ש', "NotoSansHebrew-Bold.subset.ttf"),
            ('م', "NotoSansArabic-Bold.subset.ttf"),
            ('क', "NotoSansDevanagari-Bold.subset.ttf"),
            ('ক', "NotoSansBengali-Bold.subset.ttf"),
            ('க', "NotoSansTamil-Bold.subset.ttf"),
            ('ก', "NotoSansThai-Bold.subset.ttf"),
            ('ક', "NotoSansGujarati-Bold.subset.ttf"),
            ('ਕ', "NotoSansGurmukhi-Bold.subset.ttf"),
            ('କ', "NotoSansOriya-Bold.subset.ttf"),
            ('క', "NotoSansTelugu-Bold.subset.ttf"),
            ('ಕ', "NotoSansKannada-Bold.subset.ttf"),
            ('ക', "NotoSansMalayalam-Bold.subset.ttf"),
            ('ක', "NotoSansSinhala-Bold.subset.ttf"),
            ('ກ', "NotoSansLao-Bold.subset.ttf"),
            ('ཀ', "NotoSerifTibetan-Bold.subset.ttf"),
            ('က', "NotoSansMyanmar-Bold.subset.ttf"),
            ('ក', "NotoSansKhmer-Bold.subset.ttf"),
            ('አ', "NotoSansEthiopic-Bold.subset.ttf"),
            ('ܐ', "NotoSansSyriac-Black.subset.ttf"),
            ('ހ', "NotoSansThaana-Bold.subset.ttf"),
            ('ߞ', "NotoSansNKo-Regular.subset.ttf"),
            ('𞤀', "NotoSansAdlam-Bold.subset.ttf"),
            ('ⵣ', "NotoSansTifinagh-Regular.subset.ttf"),
            ('Ꮳ', "NotoSansCherokee-Bold.subset.ttf"),
            ('ᐊ', "NotoSansCanadianAboriginal-Bold.subset.ttf"),
            ('ᱚ', "NotoSansOlChiki-Bold.subset.ttf"),
            ('ᠮ', "NotoSansMongolian-Regular.subset.ttf"),
            ('𠮷', "NotoSansCJKsc-Bold.subset.otf"),
            ('王', "NotoSansCJKsc-Bold.subset.otf"),
            ('김', "NotoSansCJKsc-Bold.subset.otf"),
            ('ア', "NotoSansCJKsc-Bold.subset.otf"),
        ] {
            assert_eq!(f.font_of(c), Some(file), "{c}");
        }
        assert!(!f.has_glyph('😀'));
        assert!(!f.has_glyph('\u{10FFFF}'));
    }

    #[test]
    fn outline_matches_the_raster() {
        let f = Fonts::get().unwrap();
        for c in ['H', '王', 'ש', 'ᠠ', 'ᠨ'] {
            let o = f.outline(c, 100.0).unwrap();
            let g = f.rasterize(c, 100.0);
            assert!(matches!(o.commands.first(), Some(Command::Move(..))));
            assert_eq!(o.commands.last(), Some(&Command::Close));
            let (left, top, right, bottom) = o.bounds;
            assert!((left - g.left as f32).abs() <= 1.0, "{left} vs {}", g.left);
            assert!((top - g.top as f32).abs() <= 1.0, "{top} vs {}", g.top);
            assert!((right - left - g.width as f32).abs() <= 2.0);
            assert!((bottom - top - g.height as f32).abs() <= 2.0);
            assert!((o.advance - g.advance).abs() < 0.01);
            assert_eq!(f.ink_box(c, 100.0), Some(o.bounds));
        }
        assert!(f.outline('😀', 100.0).is_none());
        assert!(f.outline(' ', 100.0).unwrap().commands.is_empty());
    }

    #[test]
    fn mongolian_stands_upright() {
        let f = Fonts::get().unwrap();
        let font = f
            .fonts
            .iter()
            .find(|l| l.spec.orientation == Orientation::Upright);
        let font = font.unwrap().get().unwrap();
        // ᠠ lies 909 units long and 783 high in the font (x 10..919, y 53..836).
        let id = face_of(font).glyph_index('ᠠ').unwrap();
        let lying = face_of(font).glyph_bounding_box(id).unwrap();
        assert_eq!(
            (lying.x_min, lying.x_max, lying.y_min, lying.y_max),
            (10, 919, 53, 836)
        );
        let body = 100.0;
        let scale = body / font.spec.body_units;
        let (left, top, right, bottom) = f.ink_box('ᠠ', body).unwrap();
        // Upright: its length is its height, starting at the body height.
        assert!((top + body).abs() < 0.01, "{top}");
        assert!((bottom - top - 909.0 * scale).abs() < 0.01);
        assert!((right - left - 783.0 * scale).abs() < 0.01);
        assert!((left - UPRIGHT_SIDE_BEARING * scale).abs() < 0.01);
        let advance = f.advance('ᠠ', body);
        assert!((advance - (783.0 + 2.0 * UPRIGHT_SIDE_BEARING) * scale).abs() < 0.01);
        let g = f.rasterize('ᠠ', body);
        assert!(g.height > g.width, "{}x{}", g.width, g.height);
    }

    #[test]
    fn glyph_sits_on_the_baseline() {
        let f = Fonts::get().unwrap();
        let g = f.rasterize('H', 100.0);
        assert!((g.top as f32 + 100.0).abs() <= 1.5, "top {}", g.top);
        assert!((g.height as f32 - 100.0).abs() <= 1.5);
        assert_eq!(g.coverage.len(), g.width * g.height);
    }

    #[test]
    fn outlined_glyph_has_ink_inside_its_box() {
        let f = Fonts::get().unwrap();
        let g = f.rasterize('王', 100.0);
        assert_eq!(g.coverage.len(), g.width * g.height);
        // 王's ink is 835 of 780 body units high, its width 911 of 1000 em units.
        assert!((g.height as f32 - 107.0).abs() <= 3.0, "{}", g.height);
        assert!(g.coverage.iter().filter(|&&c| c == 255).count() > 1000);
        assert!(g.top < -90 && g.top + (g.height as i32) > 0, "{}", g.top);
        assert!((g.advance - 1000.0 / 780.0 * 100.0).abs() < 0.5);
    }
}
