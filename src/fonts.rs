//! The embedded fonts and glyph rasterisation.
//!
//! Units: a glyph is requested at a *body height* in pixels, the height its
//! script's letters are scaled to so that every script looks the same size
//! (for Latin, the cap height). Bitmaps are 8-bit coverage (0 = none,
//! 255 = full), rows top to bottom, positioned relative to the pen on the
//! baseline.
//!
//! Two rasterisers, chosen per font by how often it is used:
//! - the Latin font (Latin, Greek, Cyrillic: most names) goes through
//!   fontdue, which outlines every glyph when the font loads: ~2,000 glyphs,
//!   a few milliseconds and ~6 MB once per VM (on its first request, not at
//!   VM start), then the fastest glyphs.
//! - every other font is never parsed whole: ttf-parser reads its tables in
//!   place (microseconds) and outlines one glyph on demand, which
//!   [`crate::raster`] fills into a coverage mask. For the CJK font (27,739
//!   glyphs) fontdue would cost ~100 MB and ~0.25 s in every VM; for the small
//!   per-script fonts it would cost a few MB in every VM that ever sees the
//!   script, for glyphs that are only slightly faster.
//!
//! Invariant: every font's bytes are `'static` (embedded), so parsed faces
//! borrow them for the life of the VM.

use crate::raster::Canvas;
use std::sync::OnceLock;
use ttf_parser::{Face, GlyphId};

/// How a font's glyphs become coverage bitmaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rasteriser {
    /// fontdue, the whole font parsed at first use: for the font most requests use.
    Fontdue,
    /// ttf-parser outlines, one glyph at a time, filled by [`crate::raster`].
    Outline,
}

/// One embedded font and how its letters are sized.
#[derive(Debug)]
pub struct FontSpec {
    pub file: &'static str,
    data: &'static [u8],
    pub rasteriser: Rasteriser,
    /// Height of the script's typical letter, in font units, that is scaled
    /// to the body height: the cap height for cased scripts, the measured
    /// ink height of a reference letter (named in the comment) otherwise,
    /// adjusted by eye on the contact sheet where a script's letters look
    /// bigger or smaller than their height says.
    body_units: f32,
}

macro_rules! font {
    ($file:literal, $rasteriser:expr, $body:expr) => {
        FontSpec {
            file: $file,
            data: include_bytes!(concat!("../fonts/", $file)),
            rasteriser: $rasteriser,
            body_units: $body,
        }
    };
}

/// The embedded fonts, in lookup order: the first with a glyph draws it.
/// All are Noto Sans Bold (OFL-1.1), subset by `fonts/subset.sh`.
pub static FONTS: [FontSpec; 10] = [
    // Latin with Vietnamese, Greek, Cyrillic, combining marks: cap height 714.
    font!("NotoSans-Bold.subset.ttf", Rasteriser::Fontdue, 714.0),
    // Capitals: cap height 714.
    font!(
        "NotoSansArmenian-Bold.subset.ttf",
        Rasteriser::Outline,
        714.0
    ),
    // Mtavruli capitals: cap height 714.
    font!(
        "NotoSansGeorgian-Bold.subset.ttf",
        Rasteriser::Outline,
        714.0
    ),
    // ה: 603.
    font!("NotoSansHebrew-Bold.subset.ttf", Rasteriser::Outline, 603.0),
    // Isolated forms reach from -394 (ع's tail) to 732 (ا): the em of the
    // Latin font, which Noto designs Arabic to sit beside.
    font!("NotoSansArabic-Bold.subset.ttf", Rasteriser::Outline, 714.0),
    // क from its headline to the baseline: 622.
    font!(
        "NotoSansDevanagari-Bold.subset.ttf",
        Rasteriser::Outline,
        622.0
    ),
    // ক: 622.
    font!(
        "NotoSansBengali-Bold.subset.ttf",
        Rasteriser::Outline,
        622.0
    ),
    // க: 574.
    font!("NotoSansTamil-Bold.subset.ttf", Rasteriser::Outline, 574.0),
    // ก: 561.
    font!("NotoSansThai-Bold.subset.ttf", Rasteriser::Outline, 561.0),
    // 国 has 898 units of ink; ideographs and Hangul fill their square, so at
    // 1.15 × the cap height they look as big as Latin capitals: 898 / 1.15.
    font!("NotoSansCJKsc-Bold.subset.otf", Rasteriser::Outline, 780.0),
];

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

/// One step of a glyph outline, in pixels, y down, relative to the pen on
/// the baseline (the coordinates of [`Glyph`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Segment {
    MoveTo(f32, f32),
    LineTo(f32, f32),
    /// Control point, end point.
    QuadTo(f32, f32, f32, f32),
    /// Two control points, end point.
    CubicTo(f32, f32, f32, f32, f32, f32),
    Close,
}

/// A glyph as vector outlines, for output that scales (SVG).
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub segments: Vec<Segment>,
    /// Ink box `(left, top, right, bottom)`, in the segments' coordinates.
    pub bounds: (f32, f32, f32, f32),
    /// How far the pen moves after this glyph, in pixels.
    pub advance: f32,
}

/// Collects ttf-parser's outline callbacks (font units, y up) as segments.
struct Collect {
    scale: f32,
    segments: Vec<Segment>,
}

impl ttf_parser::OutlineBuilder for Collect {
    fn move_to(&mut self, x: f32, y: f32) {
        let s = self.scale;
        self.segments.push(Segment::MoveTo(x * s, -y * s));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let s = self.scale;
        self.segments.push(Segment::LineTo(x * s, -y * s));
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let s = self.scale;
        self.segments
            .push(Segment::QuadTo(x1 * s, -y1 * s, x * s, -y * s));
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let s = self.scale;
        self.segments.push(Segment::CubicTo(
            x1 * s,
            -y1 * s,
            x2 * s,
            -y2 * s,
            x * s,
            -y * s,
        ));
    }
    fn close(&mut self) {
        self.segments.push(Segment::Close);
    }
}

/// One font of this VM: its face parsed in place, its fontdue copy on demand.
struct Loaded {
    spec: &'static FontSpec,
    face: Face<'static>,
    units_per_em: f32,
    fontdue: OnceLock<Option<fontdue::Font>>,
}

impl Loaded {
    /// Em size in pixels for body height `body_px`.
    fn em_px(&self, body_px: f32) -> f32 {
        body_px / (self.spec.body_units / self.units_per_em)
    }

    fn fontdue(&self) -> Option<&fontdue::Font> {
        self.fontdue
            .get_or_init(|| {
                let settings = fontdue::FontSettings {
                    scale: 40.0,
                    ..fontdue::FontSettings::default()
                };
                fontdue::Font::from_bytes(self.spec.data, settings).ok()
            })
            .as_ref()
    }
}

/// The embedded fonts, ready to rasterise.
pub struct Fonts {
    fonts: Vec<Loaded>,
}

impl Fonts {
    /// The fonts of this VM, on first call (not at VM start, so the throw-away
    /// validation VM Envoy creates never pays for them). Only the faces are
    /// parsed here, in microseconds; fontdue fonts load on first use.
    pub fn get() -> Option<&'static Fonts> {
        static FONTS_OF_VM: OnceLock<Option<Fonts>> = OnceLock::new();
        FONTS_OF_VM.get_or_init(Fonts::load).as_ref()
    }

    fn load() -> Option<Fonts> {
        let fonts = FONTS
            .iter()
            .map(|spec| {
                let face = Face::parse(spec.data, 0).ok()?;
                Some(Loaded {
                    spec,
                    units_per_em: f32::from(face.units_per_em()),
                    face,
                    fontdue: OnceLock::new(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Fonts { fonts })
    }

    /// The font that draws `c`, and its glyph.
    fn find(&self, c: char) -> Option<(&Loaded, GlyphId)> {
        self.fonts.iter().find_map(|f| {
            let id = f.face.glyph_index(c)?;
            (id.0 != 0).then_some((f, id))
        })
    }

    /// The body height, in pixels, of text whose Latin em is `em_px`: what
    /// an explicit font size ([`crate::font_size`]) means, as the body height
    /// every font is scaled by. Other scripts then look as big as Latin at
    /// that size, as they do everywhere.
    pub fn body_of_em(&self, em_px: f32) -> f32 {
        match self.fonts.first() {
            Some(latin) => em_px * latin.spec.body_units / latin.units_per_em,
            None => em_px,
        }
    }

    /// Does some embedded font draw `c` (not as the missing-glyph box)?
    pub fn has_glyph(&self, c: char) -> bool {
        self.find(c).is_some()
    }

    /// Which embedded font draws `c`, by file name.
    pub fn font_of(&self, c: char) -> Option<&'static str> {
        self.find(c).map(|(f, _)| f.spec.file)
    }

    /// Advance width of `c` at body height `body_px`, in pixels, without rasterising.
    pub fn advance(&self, c: char, body_px: f32) -> f32 {
        let Some((font, id)) = self.find(c) else {
            return 0.0;
        };
        let em = font.em_px(body_px);
        let units = f32::from(font.face.glyph_hor_advance(id).unwrap_or(0));
        units * em / font.units_per_em
    }

    /// `c`'s ink box `(left, top, right, bottom)` at body height `body_px`,
    /// in pixels from the pen on the baseline, y down: its bounding box,
    /// without rasterising. `None` for a character without ink (or glyph).
    pub fn ink_box(&self, c: char, body_px: f32) -> Option<(f32, f32, f32, f32)> {
        let (font, id) = self.find(c)?;
        let b = font.face.glyph_bounding_box(id)?;
        let scale = font.em_px(body_px) / font.units_per_em;
        Some((
            f32::from(b.x_min) * scale,
            -f32::from(b.y_max) * scale,
            f32::from(b.x_max) * scale,
            -f32::from(b.y_min) * scale,
        ))
    }

    /// The outline of `c` at body height `body_px`; `None` for a character
    /// without a glyph. A glyph without ink (a space) has no segments and
    /// empty bounds.
    pub fn outline(&self, c: char, body_px: f32) -> Option<Outline> {
        let (font, id) = self.find(c)?;
        let scale = font.em_px(body_px) / font.units_per_em;
        let advance = f32::from(font.face.glyph_hor_advance(id).unwrap_or(0)) * scale;
        let mut collect = Collect {
            scale,
            segments: Vec::new(),
        };
        let bounds = match font.face.outline_glyph(id, &mut collect) {
            Some(b) => (
                f32::from(b.x_min) * scale,
                -f32::from(b.y_max) * scale,
                f32::from(b.x_max) * scale,
                -f32::from(b.y_min) * scale,
            ),
            None => (0.0, 0.0, 0.0, 0.0),
        };
        Some(Outline {
            segments: collect.segments,
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
        let em = font.em_px(body_px);
        match font.spec.rasteriser {
            Rasteriser::Fontdue => match font.fontdue() {
                Some(f) => {
                    let (m, coverage) = f.rasterize_indexed(id.0, em);
                    let height = i32::try_from(m.height).unwrap_or(0);
                    Glyph {
                        width: m.width,
                        height: m.height,
                        left: m.xmin,
                        top: m.ymin.saturating_add(height).saturating_neg(),
                        advance: m.advance_width,
                        coverage,
                    }
                }
                None => Glyph::empty(0.0),
            },
            Rasteriser::Outline => outline(font, id, em),
        }
    }
}

/// Outlines glyph `id` at em size `em` pixels and fills it into a coverage mask.
fn outline(font: &Loaded, id: GlyphId, em: f32) -> Glyph {
    let scale = em / font.units_per_em;
    let advance = f32::from(font.face.glyph_hor_advance(id).unwrap_or(0)) * scale;
    let Some(bbox) = font.face.glyph_bounding_box(id) else {
        return Glyph::empty(advance);
    };
    // Pixel box of the ink, y down; whole pixels so the pen stays on the grid.
    let left = (f32::from(bbox.x_min) * scale).floor() as i32;
    let right = (f32::from(bbox.x_max) * scale).ceil() as i32;
    let top = (-f32::from(bbox.y_max) * scale).floor() as i32;
    let bottom = (-f32::from(bbox.y_min) * scale).ceil() as i32;
    let (Ok(width), Ok(height)) = (
        usize::try_from(right.saturating_sub(left)),
        usize::try_from(bottom.saturating_sub(top)),
    ) else {
        return Glyph::empty(advance);
    };
    let mut sink = CanvasSink {
        canvas: Canvas::new(width, height),
        scale,
        dx: -(left as f32),
        dy: -(top as f32),
    };
    if font.face.outline_glyph(id, &mut sink).is_none() {
        return Glyph::empty(advance);
    }
    Glyph {
        width,
        height,
        left,
        top,
        advance,
        coverage: sink.canvas.coverage(),
    }
}

/// Feeds a ttf-parser outline (font units, y up) to a canvas (pixels, y
/// down, origin at the glyph box's top left).
struct CanvasSink {
    canvas: Canvas,
    scale: f32,
    dx: f32,
    dy: f32,
}

impl CanvasSink {
    fn at(&self, x: f32, y: f32) -> (f32, f32) {
        (x * self.scale + self.dx, -y * self.scale + self.dy)
    }
}

impl ttf_parser::OutlineBuilder for CanvasSink {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.at(x, y);
        self.canvas.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.at(x, y);
        self.canvas.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let ((x1, y1), (x, y)) = (self.at(x1, y1), self.at(x, y));
        self.canvas.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let ((x1, y1), (x2, y2), (x, y)) = (self.at(x1, y1), self.at(x2, y2), self.at(x, y));
        self.canvas.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.canvas.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_font_parses() {
        let f = Fonts::get().unwrap();
        assert_eq!(f.fonts.len(), FONTS.len());
        for font in &f.fonts {
            assert!(font.face.number_of_glyphs() > 10, "{}", font.spec.file);
        }
    }

    #[test]
    fn latin_body_is_the_cap_height() {
        let f = Fonts::get().unwrap();
        let latin = f.fonts.first().unwrap();
        assert_eq!(
            latin.face.capital_height().map(f32::from),
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
        for c in ['H', '王', 'ש'] {
            let o = f.outline(c, 100.0).unwrap();
            let g = f.rasterize(c, 100.0);
            assert!(matches!(o.segments.first(), Some(Segment::MoveTo(..))));
            assert_eq!(o.segments.last(), Some(&Segment::Close));
            let (left, top, right, bottom) = o.bounds;
            assert!((left - g.left as f32).abs() <= 1.0, "{left} vs {}", g.left);
            assert!((top - g.top as f32).abs() <= 1.0, "{top} vs {}", g.top);
            assert!((right - left - g.width as f32).abs() <= 2.0);
            assert!((bottom - top - g.height as f32).abs() <= 2.0);
            assert!((o.advance - g.advance).abs() < 0.01);
            assert_eq!(f.ink_box(c, 100.0), Some(o.bounds));
        }
        assert!(f.outline('😀', 100.0).is_none());
        assert!(f.outline(' ', 100.0).unwrap().segments.is_empty());
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
