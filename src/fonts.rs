//! The embedded fonts and glyph rasterisation. Sizes are in pixels: `px` is
//! the em size, bitmaps are 8-bit coverage (0 = none, 255 = full), rows top
//! to bottom.
//!
//! Fonts are parsed once per wasm VM, on first use (not at VM start, so the
//! throw-away validation VM Envoy creates never pays for them).

use std::sync::OnceLock;

/// Noto Sans Bold, subset by `fonts/subset.sh` to Latin (with Vietnamese),
/// Greek and Cyrillic.
static LATIN_TTF: &[u8] = include_bytes!("../fonts/NotoSans-Bold.subset.ttf");

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

/// The embedded fonts, ready to rasterise.
pub struct Fonts {
    latin: fontdue::Font,
    /// The same font's tables, read in place, for outlines.
    latin_face: ttf_parser::Face<'static>,
    /// Cap height as a fraction of the em.
    latin_cap_height: f32,
}

impl Fonts {
    /// The fonts of this VM, parsed on first call.
    pub fn get() -> Option<&'static Fonts> {
        static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
        FONTS.get_or_init(Fonts::load).as_ref()
    }

    fn load() -> Option<Fonts> {
        let settings = fontdue::FontSettings {
            scale: 40.0,
            ..fontdue::FontSettings::default()
        };
        let latin = fontdue::Font::from_bytes(LATIN_TTF, settings).ok()?;
        let face = ttf_parser::Face::parse(LATIN_TTF, 0).ok()?;
        let cap = f32::from(face.capital_height()?) / f32::from(face.units_per_em());
        Some(Fonts {
            latin,
            latin_face: face,
            latin_cap_height: cap,
        })
    }

    /// Does some embedded font draw `c` (not as the missing-glyph box)?
    pub fn has_glyph(&self, c: char) -> bool {
        self.latin.lookup_glyph_index(c) != 0
    }

    /// Cap height at em size `px`, in pixels.
    pub fn cap_height(&self, px: f32) -> f32 {
        self.latin_cap_height * px
    }

    /// Advance width of `c` at em size `px`, in pixels, without rasterising.
    pub fn advance(&self, c: char, px: f32) -> f32 {
        self.latin.metrics(c, px).advance_width
    }

    /// The outline of `c` at em size `px`; `None` for a character without a
    /// glyph. A glyph without ink (a space) has no segments and empty bounds.
    pub fn outline(&self, c: char, px: f32) -> Option<Outline> {
        let face = &self.latin_face;
        let id = face.glyph_index(c).filter(|id| id.0 != 0)?;
        let scale = px / f32::from(face.units_per_em());
        let advance = f32::from(face.glyph_hor_advance(id).unwrap_or(0)) * scale;
        let mut collect = Collect {
            scale,
            segments: Vec::new(),
        };
        let bounds = match face.outline_glyph(id, &mut collect) {
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

    /// Rasterises `c` at em size `px`.
    pub fn rasterize(&self, c: char, px: f32) -> Glyph {
        let (m, coverage) = self.latin.rasterize(c, px);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_font_loads_with_a_cap_height() {
        let f = Fonts::get().unwrap();
        assert!(
            (0.6..0.8).contains(&f.latin_cap_height),
            "{}",
            f.latin_cap_height
        );
    }

    #[test]
    fn covers_latin_greek_cyrillic_vietnamese_capitals() {
        let f = Fonts::get().unwrap();
        for c in ('A'..='Z')
            .chain('À'..='Þ')
            .chain('Α'..='Ω')
            .chain('А'..='Я')
        {
            if c == '×' || c == '\u{3a2}' {
                continue; // not letters: the multiplication sign, an unassigned code point
            }
            assert!(f.has_glyph(c), "{c}");
        }
        for c in ['Ơ', 'Ư', 'Đ', 'Ạ', 'Ỹ', 'Ё', 'Ї', 'Ґ'] {
            assert!(f.has_glyph(c), "{c}");
        }
        assert!(!f.has_glyph('王'));
    }

    #[test]
    fn outline_matches_the_raster() {
        let f = Fonts::get().unwrap();
        let o = f.outline('H', 100.0).unwrap();
        let g = f.rasterize('H', 100.0);
        assert!(matches!(o.segments.first(), Some(Segment::MoveTo(..))));
        assert_eq!(o.segments.last(), Some(&Segment::Close));
        let (left, top, right, bottom) = o.bounds;
        assert!((left - g.left as f32).abs() <= 1.0, "{left} vs {}", g.left);
        assert!((top - g.top as f32).abs() <= 1.0, "{top} vs {}", g.top);
        assert!((right - left - g.width as f32).abs() <= 2.0);
        assert!((bottom - top - g.height as f32).abs() <= 2.0);
        assert!((o.advance - g.advance).abs() < 0.01);
        assert!(f.outline('王', 100.0).is_none());
        assert!(f.outline(' ', 100.0).unwrap().segments.is_empty());
    }

    #[test]
    fn glyph_sits_on_the_baseline() {
        let f = Fonts::get().unwrap();
        let g = f.rasterize('H', 100.0);
        let cap = f.cap_height(100.0);
        assert!((g.top as f32 + cap).abs() <= 1.5, "top {} cap {cap}", g.top);
        assert!((g.height as f32 - cap).abs() <= 1.5);
        assert_eq!(g.coverage.len(), g.width * g.height);
    }
}
