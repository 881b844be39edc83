//! Where the text goes on an avatar, shared by the PNG and the SVG: the body
//! height it is drawn at, each glyph's place, and the offset that centres
//! the ink in the image. No pixels here: [`crate::draw::render`] rasterises a
//! [`Layout`], [`crate::draw::svg`] writes it as outlines.
//!
//! Units: pixels on an image of edge `size`, y down; glyph places are
//! relative to the text's origin on the baseline.

use crate::avatar::font_size::FontSize;
use crate::fonts::script;
use crate::fonts::table::Fonts;
use unicode_segmentation::UnicodeSegmentation;

/// Body height of the text (the cap height, for Latin), as a fraction of the
/// image edge, by number of characters (grapheme clusters).
fn body_fraction(clusters: usize) -> f32 {
    match clusters {
        0 | 1 => 0.40,
        2 => 0.36,
        _ => 0.30,
    }
}

/// Widest the ink may be, as a fraction of the edge: inside a circle's chord.
const MAX_INK_WIDTH: f32 = 0.68;

/// Gap between a combining mark and the letter it sits on, as a fraction of
/// the body height.
const MARK_GAP: f32 = 0.06;

/// The size, in pixels, at which `text` is drawn on an avatar of edge
/// `size`, as [`Fonts::rasterize`] and [`Fonts::outline`] take it: the body
/// height (see [`body_fraction`]; with an explicit `font_size`, the body
/// height of that em), shrunk if the ink is too wide for the circle (wide
/// letters, wide scripts, large font sizes). Measured on the ink, from the
/// glyphs' bounding boxes without rasterising, as the side bearings of the
/// outer glyphs are empty; horizontal extents scale with the size, so one
/// pass suffices.
pub fn font_px(text: &str, size: usize, font_size: Option<FontSize>, fonts: &Fonts) -> f32 {
    fit(&clusters(text), size, font_size, fonts)
}

/// `text`'s grapheme clusters in visual order: right to left when its first
/// letter is, as the initials rule decides.
fn clusters(text: &str) -> Vec<&str> {
    let mut clusters: Vec<&str> = text.graphemes(true).collect();
    if script::text_is_right_to_left(text) {
        clusters.reverse();
    }
    clusters
}

fn fit(clusters: &[&str], size: usize, font_size: Option<FontSize>, fonts: &Fonts) -> f32 {
    let s = size as f32;
    let body = match font_size {
        None => s * body_fraction(clusters.len()),
        Some(f) => fonts.body_of_em(s * f.fraction()),
    };
    let mut pen = 0.0f32;
    let mut ink: Option<(f32, f32)> = None;
    for base in clusters.iter().filter_map(|c| c.chars().next()) {
        if let Some((left, _, right, _)) = fonts.ink_box(base, body) {
            let (l, r) = ink.unwrap_or((pen + left, pen + right));
            ink = Some((l.min(pen + left), r.max(pen + right)));
        }
        pen += fonts.advance(base, body);
    }
    let width = ink.map_or(0.0, |(l, r)| r - l);
    let widest = s * MAX_INK_WIDTH;
    if width > widest {
        body * widest / width
    } else {
        body
    }
}

/// Where each glyph of a text goes: the character and its pen position, in
/// pixels from the text's origin on the baseline (whole pixels for base
/// letters, so PNG glyphs sit on the grid).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub c: char,
    pub x: f32,
    pub y: f32,
}

/// How `text` is laid out on an avatar of edge `size`, shared by the PNG and
/// the SVG: the body height it is drawn at, each glyph's place, and whether
/// it centres on the cap height (all capitals and digits: accents and
/// descenders do not push the letters off the optical centre) or on its
/// ink box (the optical centre of scripts without a Latin cap height).
pub struct Layout {
    pub body: f32,
    pub places: Vec<Place>,
    pub cased: bool,
}

/// Lays out `text` one grapheme cluster after another, in visual order,
/// each glyph sized by the body height of its script. Combining marks that
/// did not compose are placed on their base without a shaping engine:
/// centred on the base's ink, above marks lifted clear of a capital (fonts
/// position them for lower case), below marks dropped clear of its foot,
/// each stacking on the previous one.
pub fn layout(text: &str, size: usize, font_size: Option<FontSize>, fonts: &Fonts) -> Layout {
    let clusters = clusters(text);
    let body = fit(&clusters, size, font_size, fonts);
    let gap = body * MARK_GAP;
    let mut pen = 0.0f32;
    let mut places = Vec::with_capacity(text.len());
    for cluster in &clusters {
        let mut chars = cluster.chars();
        let Some(base) = chars.next() else {
            continue;
        };
        let x = pen.round();
        places.push(Place { c: base, x, y: 0.0 });
        let advance = fonts.advance(base, body);
        pen += advance;
        let (centre, mut above, mut below) = match fonts.ink_box(base, body) {
            Some((l, t, r, b)) => (x + (l + r) / 2.0, t, b),
            None => (x + advance / 2.0, 0.0, 0.0),
        };
        for m in chars {
            let Some((l, t, r, b)) = fonts.ink_box(m, body) else {
                continue;
            };
            let mx = (centre - (l + r) / 2.0).round();
            let middle = (t + b) / 2.0;
            let my = if middle < -0.6 * body {
                let y = (above - gap - b).min(0.0).round();
                above = t + y;
                y
            } else if middle > 0.0 {
                let y = (below + gap - t).max(0.0).round();
                below = b + y;
                y
            } else {
                0.0
            };
            places.push(Place { c: m, x: mx, y: my });
        }
    }
    let cased = clusters.iter().all(|c| {
        c.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
    });
    Layout {
        body,
        places,
        cased,
    }
}

/// The smallest box holding every ink box given, in the same units; `None`
/// for no boxes. Boxes are `(left, top, right, bottom)`.
pub fn union(
    boxes: impl IntoIterator<Item = (f32, f32, f32, f32)>,
) -> Option<(f32, f32, f32, f32)> {
    boxes.into_iter().fold(None, |acc, (l, t, r, b)| {
        Some(match acc {
            None => (l, t, r, b),
            Some((al, at, ar, ab)) => (al.min(l), at.min(t), ar.max(r), ab.max(b)),
        })
    })
}

/// Where the text's origin goes so that its ink `(left, top, right,
/// bottom)` (relative to the origin) is centred in an image of edge `size`:
/// horizontally on the ink, not the advances ("L" and "J" would drift);
/// vertically on the cap height for capitals and digits ([`Layout::cased`]),
/// else on the ink box. `snap` rounds the free half-offsets: `f32::round`
/// for the PNG's pixel grid (with an ink box in whole pixels, the origin is
/// then whole too), the identity for the SVG's exact outlines.
pub fn origin(
    size: usize,
    layout: &Layout,
    ink: (f32, f32, f32, f32),
    snap: impl Fn(f32) -> f32,
) -> (f32, f32) {
    let s = size as f32;
    let (left, top, right, bottom) = ink;
    let x = snap((s - (right - left)) / 2.0) - left;
    let baseline = if layout.cased {
        snap((s + layout.body) / 2.0)
    } else {
        snap((s - (bottom - top)) / 2.0) - top
    };
    (x, baseline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_of_boxes() {
        assert_eq!(union([]), None);
        assert_eq!(
            union([(0.0, -5.0, 3.0, 1.0), (2.0, -7.0, 9.0, 0.0)]),
            Some((0.0, -7.0, 9.0, 1.0))
        );
    }

    #[test]
    fn origin_centres_the_ink() {
        let cased = Layout {
            body: 40.0,
            places: Vec::new(),
            cased: true,
        };
        // 30 px of ink starting 2 px right of the origin, on 100 px.
        let (x, y) = origin(100, &cased, (2.0, -40.0, 32.0, 0.0), |v| v);
        assert_eq!((x, y), (33.0, 70.0));
        let uncased = Layout {
            cased: false,
            ..cased
        };
        let (_, y) = origin(100, &uncased, (2.0, -41.0, 32.0, 10.0), f32::round);
        assert_eq!(y, 66.0, "ink box centred, rounded to the grid");
    }

    #[test]
    fn right_to_left_text_is_laid_out_in_visual_order() {
        let fonts = Fonts::get().unwrap();
        let l = layout("\u{645}\u{639}", 128, None, fonts);
        let bases: Vec<char> = l.places.iter().map(|p| p.c).collect();
        assert_eq!(bases, ['\u{639}', '\u{645}']);
        assert!(l.places[0].x < l.places[1].x);
    }

    #[test]
    fn an_explicit_font_size_is_the_latin_em_within_the_circle() {
        let fonts = Fonts::get().unwrap();
        let em = |f: f64| Some(FontSize::clamped(f));
        // 0.5 of 100 px is a 50 px em: Noto Sans' caps are 0.714 em.
        assert!((font_px("AB", 100, em(0.5), fonts) - 35.7).abs() < 0.01);
        assert!(font_px("AB", 100, em(0.3), fonts) < font_px("AB", 100, em(0.5), fonts));
        // However large, the ink stays within the circle's chord.
        let wide = layout("WWW", 100, em(1.0), fonts);
        assert!(wide.body < font_px("WWW", 100, None, fonts) * 1.01);
        // Without one, the rule by number of characters is unchanged.
        assert_eq!(font_px("A", 100, None, fonts), 40.0);
        assert_eq!(font_px("AB", 100, None, fonts), 36.0);
    }
}
