//! Writes an avatar as SVG: the same shape, colours and layout as the PNG
//! ([`crate::draw::render`]), with the glyphs as `<path>` outlines from the same
//! embedded fonts. The markup holds only fixed element and attribute names,
//! numbers and validated hex colours: never the name or the initials, so
//! there is nothing to escape and nothing to inject.
//!
//! Units: the viewBox is the image edge in pixels, y down, so the SVG draws
//! exactly what the PNG of that size draws, and scales from there.

use crate::avatar::colour::Rgb;
use crate::avatar::font_size::FontSize;
use crate::avatar::resolve::{Avatar, Content, SILHOUETTE};
use crate::avatar::shape::{Shape, ROUNDED_RADIUS};
use crate::draw::layout::{self, layout};
use crate::fonts::table::{Fonts, Outline};
use monogram_glyph_store::Command;
use std::fmt::Write;

/// The SVG document for `avatar`; `None` if a character has no outline
/// (text must already be checked with [`Fonts::has_glyph`]).
pub fn svg(avatar: &Avatar, fonts: &Fonts) -> Option<String> {
    let s = avatar.size.max(1) as f32;
    let mut out = String::with_capacity(2048);
    let edge = num(s);
    // `write!` to a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{edge}" height="{edge}" viewBox="0 0 {edge} {edge}">"#
    );
    out.push_str(&shape_element(avatar.shape, s, &fill(avatar.bg)));
    match avatar.content {
        Content::Text(text) => {
            let d = text_path(text, avatar.size.max(1) as usize, avatar.font_size, fonts)?;
            let _ = write!(out, r#"<path fill="{}" d="{d}"/>"#, fill(avatar.fg));
        }
        Content::Placeholder => {
            // The shoulders reach past the shape, so clip them to it. The id
            // is a function of the clip's geometry alone, so two avatars
            // inlined in one page can share it harmlessly.
            let id = format!("monogram-{}-{}", avatar.shape.name(), avatar.size);
            let _ = write!(
                out,
                r#"<clipPath id="{id}">{}</clipPath><g clip-path="url(#{id})" fill="{}">"#,
                shape_element(avatar.shape, s, ""),
                fill(avatar.fg)
            );
            for (cx, cy, r) in SILHOUETTE {
                let _ = write!(
                    out,
                    r#"<circle cx="{}" cy="{}" r="{}"/>"#,
                    num(cx * s),
                    num(cy * s),
                    num(r * s)
                );
            }
            out.push_str("</g>");
        }
    }
    out.push_str("</svg>\n");
    Some(out)
}

/// The shape's element, filled with `fill` (or unfilled, for a clip path).
fn shape_element(shape: Shape, s: f32, fill: &str) -> String {
    let fill = if fill.is_empty() {
        String::new()
    } else {
        format!(r#" fill="{fill}""#)
    };
    let edge = num(s);
    match shape {
        Shape::Circle => {
            let h = num(s / 2.0);
            format!(r#"<circle cx="{h}" cy="{h}" r="{h}"{fill}/>"#)
        }
        Shape::Rounded => format!(
            r#"<rect width="{edge}" height="{edge}" rx="{}"{fill}/>"#,
            num(s * ROUNDED_RADIUS)
        ),
        Shape::Square => format!(r#"<rect width="{edge}" height="{edge}"{fill}/>"#),
    }
}

fn fill(c: Rgb) -> String {
    format!("#{}", c.hex())
}

/// Lays out `text` by the PNG renderer's rules ([`layout()`]: the same size,
/// places, direction and marks; centred on its ink horizontally, on the cap
/// height vertically for capitals and digits, else on its ink box) and
/// returns the path data of all its glyphs. Centring uses the outlines'
/// exact bounds where the PNG uses whole pixels of its raster, so the two
/// differ by under a pixel.
fn text_path(
    text: &str,
    size: usize,
    font_size: Option<FontSize>,
    fonts: &Fonts,
) -> Option<String> {
    let layout = layout(text, size, font_size, fonts);
    let mut placed: Vec<(f32, f32, Outline)> = Vec::with_capacity(layout.places.len());
    for p in &layout.places {
        placed.push((p.x, p.y, fonts.outline(p.c, layout.body)?));
    }
    let inked = placed.iter().filter(|(_, _, o)| !o.commands.is_empty());
    let Some(ink) = layout::union(inked.map(|(x, y, o)| {
        let (l, t, r, b) = o.bounds;
        (x + l, y + t, x + r, y + b)
    })) else {
        return Some(String::new());
    };
    let (origin_x, baseline) = layout::origin(size, &layout, ink, |v| v);
    let mut d = String::with_capacity(1024);
    for (x, y, o) in &placed {
        path_data(&mut d, &o.commands, origin_x + x, baseline + y);
    }
    Some(d)
}

/// Appends `commands`, moved by (`dx`, `dy`), as absolute path commands.
fn path_data(d: &mut String, commands: &[Command], dx: f32, dy: f32) {
    let p = |x: f32, y: f32| format!("{} {}", num(x + dx), num(y + dy));
    for command in commands {
        let _ = match *command {
            Command::Move(x, y) => write!(d, "M{}", p(x, y)),
            Command::Line(x, y) => write!(d, "L{}", p(x, y)),
            Command::Quad(x1, y1, x, y) => write!(d, "Q{} {}", p(x1, y1), p(x, y)),
            Command::Cubic(x1, y1, x2, y2, x, y) => {
                write!(d, "C{} {} {}", p(x1, y1), p(x2, y2), p(x, y))
            }
            Command::Close => write!(d, "Z"),
        };
    }
}

/// A coordinate with at most two decimals, without trailing zeros: a
/// hundredth of a pixel is below what any display shows at the nominal size.
fn num(v: f32) -> String {
    let hundredths = (v * 100.0).round() as i64;
    let (sign, abs) = if hundredths < 0 {
        ("-", hundredths.unsigned_abs())
    } else {
        ("", hundredths.unsigned_abs())
    };
    match (abs / 100, abs % 100) {
        (i, 0) => format!("{sign}{i}"),
        (i, f) if f % 10 == 0 => format!("{sign}{i}.{}", f / 10),
        (i, f) => format!("{sign}{i}.{f:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avatar::colour::PLACEHOLDER_FG;
    use crate::draw::render;

    fn avatar(size: u32, shape: Shape, content: Content) -> Avatar {
        Avatar::blue(size, shape, content)
    }

    fn svg_of(a: &Avatar) -> String {
        svg(a, Fonts::get().unwrap()).unwrap()
    }

    #[test]
    fn numbers_are_short_and_exact_enough() {
        assert_eq!(num(64.0), "64");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(-3.004), "-3");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(-0.25), "-0.25");
        assert_eq!(num(0.07), "0.07");
    }

    #[test]
    fn well_formed_with_the_expected_elements() {
        for (shape, content, elements) in [
            (
                Shape::Circle,
                Content::Text("AL"),
                vec!["svg", "circle", "path"],
            ),
            (
                Shape::Rounded,
                Content::Text("Q"),
                vec!["svg", "rect", "path"],
            ),
            (
                Shape::Square,
                Content::Placeholder,
                vec!["svg", "rect", "clipPath", "rect", "g", "circle", "circle"],
            ),
        ] {
            let text = svg_of(&avatar(128, shape, content));
            let doc = roxmltree::Document::parse(&text).unwrap();
            let root = doc.root_element();
            assert_eq!(
                root.tag_name().namespace(),
                Some("http://www.w3.org/2000/svg")
            );
            assert_eq!(root.attribute("viewBox"), Some("0 0 128 128"));
            assert_eq!(root.attribute("width"), Some("128"));
            let names: Vec<&str> = root
                .descendants()
                .filter(|n| n.is_element())
                .map(|n| n.tag_name().name())
                .collect();
            assert_eq!(names, elements, "{text}");
            assert!(!names.contains(&"text") && !names.contains(&"script"));
        }
    }

    #[test]
    fn glyphs_are_paths_and_no_text_reaches_the_markup() {
        let text = svg_of(&avatar(96, Shape::Circle, Content::Text("XW")));
        let doc = roxmltree::Document::parse(&text).unwrap();
        let path = doc.descendants().find(|n| n.has_tag_name("path")).unwrap();
        let d = path.attribute("d").unwrap();
        assert!(d.starts_with('M') && d.ends_with('Z'));
        assert_eq!(d.matches('M').count(), 2, "one contour per glyph: {d}");
        // Only commands, digits, signs, dots and spaces: no room for anything else.
        assert!(d.chars().all(|c| "MLQCZ0123456789.- ".contains(c)), "{d}");
        // Nothing but markup of our own: no text nodes, no letters of the initials.
        assert!(doc
            .descendants()
            .all(|n| !n.is_text() || n.text() == Some("\n")));
        assert!(!text.contains("XW"));
    }

    #[test]
    fn colours_and_shapes_are_the_avatars() {
        let text = svg_of(&avatar(100, Shape::Rounded, Content::Text("A")));
        assert!(text.contains(r##"<rect width="100" height="100" rx="20" fill="#1565c0"/>"##));
        assert!(text.contains(r##"<path fill="#ffffff" d="##));
        let placeholder = svg(
            &Avatar::placeholder(64, Shape::Circle),
            Fonts::get().unwrap(),
        )
        .unwrap();
        assert!(placeholder.contains(r#"clip-path="url(#monogram-circle-64)""#));
        assert!(placeholder.contains(&format!("fill=\"#{}\"", PLACEHOLDER_FG.hex())));
    }

    /// How much of the text colour each pixel holds (0 = background,
    /// 1 = text), inside the shape and away from its edge (elsewhere 0).
    fn ink(rgb: impl Iterator<Item = [u8; 3]>, size: u32, bg: Rgb, fg: Rgb) -> Vec<f32> {
        let (b, f) = (
            [bg.0, bg.1, bg.2].map(f32::from),
            [fg.0, fg.1, fg.2].map(f32::from),
        );
        let span: f32 = (0..3).map(|k| (f[k] - b[k]).powi(2)).sum();
        let s = size as f32;
        rgb.enumerate()
            .map(|(i, p)| {
                let (x, y) = (
                    (i as u32 % size) as f32 + 0.5,
                    (i as u32 / size) as f32 + 0.5,
                );
                if ((x - s / 2.0).powi(2) + (y - s / 2.0).powi(2)).sqrt() > s / 2.0 - 2.0 {
                    return 0.0;
                }
                let t: f32 = (0..3)
                    .map(|k| (f32::from(p[k]) - b[k]) * (f[k] - b[k]))
                    .sum();
                (t / span).clamp(0.0, 1.0)
            })
            .collect()
    }

    /// Total ink and its centroid.
    fn mass(ink: &[f32], size: u32) -> (f32, f32, f32) {
        let total: f32 = ink.iter().sum();
        let cx = ink
            .iter()
            .enumerate()
            .map(|(i, t)| t * (i as u32 % size) as f32)
            .sum::<f32>();
        let cy = ink
            .iter()
            .enumerate()
            .map(|(i, t)| t * (i as u32 / size) as f32)
            .sum::<f32>();
        (total, cx / total, cy / total)
    }

    /// The SVG, drawn by resvg, puts the same amount of text colour in the
    /// same place as the PNG renderer: the layouts agree to a fraction of a
    /// pixel (the PNG rounds to its grid, the SVG does not). Fails if they
    /// drift apart, e.g. when one renderer's sizing rules change alone.
    #[test]
    fn draws_what_the_png_draws() {
        let fonts = Fonts::get().unwrap();
        for (size, shape, content) in [
            (128, Shape::Circle, Content::Text("AL")),
            (96, Shape::Rounded, Content::Text("MAS")),
            (64, Shape::Square, Content::Text("Żj")),
            (200, Shape::Circle, Content::Text("ΑΩ")),
            (48, Shape::Circle, Content::Text("W")),
            // Every rasteriser, right to left, marks placed without shaping.
            (128, Shape::Circle, Content::Text("王")),
            (128, Shape::Circle, Content::Text("김")),
            (128, Shape::Circle, Content::Text("مع")),
            (128, Shape::Circle, Content::Text("पश")),
            (128, Shape::Circle, Content::Text("Q\u{303}\u{17D}")),
            (128, Shape::Circle, Content::Placeholder),
            (80, Shape::Rounded, Content::Placeholder),
        ] {
            let a = avatar(size, shape, content);
            let png = render::render(&a, fonts).to_rgba();
            let tree =
                resvg::usvg::Tree::from_str(&svg_of(&a), &resvg::usvg::Options::default()).unwrap();
            let mut pixmap = resvg::tiny_skia::Pixmap::new(size, size).unwrap();
            resvg::render(
                &tree,
                resvg::tiny_skia::Transform::default(),
                &mut pixmap.as_mut(),
            );
            let from_png = ink(png.chunks(4).map(|p| [p[0], p[1], p[2]]), size, a.bg, a.fg);
            let from_svg = ink(
                pixmap.pixels().iter().map(|p| {
                    let p = p.demultiply();
                    [p.red(), p.green(), p.blue()]
                }),
                size,
                a.bg,
                a.fg,
            );
            let (m1, x1, y1) = mass(&from_png, size);
            let (m2, x2, y2) = mass(&from_svg, size);
            let what = format!("{size} {shape:?} {content:?}: ink {m1} vs {m2}, centre ({x1}, {y1}) vs ({x2}, {y2})");
            assert!((m1 - m2).abs() / m1 < 0.05, "{what}");
            // The PNG centres whole-pixel glyph boxes on whole pixels: up to
            // a pixel from the exact position the SVG uses.
            assert!((x1 - x2).abs() < 1.0 && (y1 - y2).abs() < 1.0, "{what}");
        }
    }
}
