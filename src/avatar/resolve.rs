//! What an avatar is, as data, and the policy that turns a parsed request
//! into one: which text (initials, an override, or the placeholder), which
//! colours, size, shape and format. Everything downstream (layout, pixels,
//! SVG, ETag) is a function of a [`Resolved`] avatar alone.

use crate::avatar::asked::AvatarRequest;
use crate::avatar::colour::{self, Rgb, PLACEHOLDER_BG, PLACEHOLDER_FG};
use crate::avatar::font_size::FontSize;
use crate::avatar::format::Format;
use crate::avatar::initials;
use crate::avatar::shape::Shape;
use crate::fonts::table::Fonts;
use unicode_segmentation::UnicodeSegmentation;

/// Most code points drawn of one character (grapheme cluster): a base and
/// three marks, enough for any letter of a living script (Vietnamese ệ̃ is
/// three). Unicode lets a cluster run on for ever (U+0488 after U+0488...),
/// and every code point is a glyph to rasterise or an outline in the SVG.
pub const MAX_CLUSTER_CHARS: usize = 4;
/// Most characters drawn: the longest initials (`length` 3, or an
/// `initials` override of three).
pub const MAX_CLUSTERS: usize = initials::MAX_INITIALS as usize;

/// `text` cut to what is drawn at most: [`MAX_CLUSTERS`] clusters of at
/// most [`MAX_CLUSTER_CHARS`] code points, so no request costs more than
/// twelve glyphs.
pub fn bounded(text: &str) -> String {
    text.graphemes(true)
        .take(MAX_CLUSTERS)
        .flat_map(|cluster| cluster.chars().take(MAX_CLUSTER_CHARS))
        .collect()
}

/// What is drawn on the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content<'a> {
    /// Text, centred; every character must have a glyph ([`Fonts::has_glyph`]).
    Text(&'a str),
    /// The neutral head-and-shoulders silhouette for names without initials.
    Placeholder,
}

/// Everything that determines the pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Avatar<'a> {
    /// Edge of the square image, in pixels (≥ 1).
    pub size: u32,
    pub shape: Shape,
    pub bg: Rgb,
    pub fg: Rgb,
    pub content: Content<'a>,
    /// Text size; `None`: the layout's rule by number of characters.
    pub font_size: Option<FontSize>,
}

/// The avatars the drawing tests draw.
#[cfg(test)]
impl<'a> Avatar<'a> {
    /// `content` in white on blue, at the layout's own text size.
    pub fn blue(size: u32, shape: Shape, content: Content<'a>) -> Avatar<'a> {
        Avatar {
            size,
            shape,
            bg: Rgb(0x15, 0x65, 0xC0),
            fg: colour::WHITE,
            content,
            font_size: None,
        }
    }

    /// The placeholder in its neutral palette, as a name without initials
    /// resolves.
    pub fn placeholder(size: u32, shape: Shape) -> Avatar<'a> {
        Avatar {
            bg: PLACEHOLDER_BG,
            fg: PLACEHOLDER_FG,
            ..Avatar::blue(size, shape, Content::Placeholder)
        }
    }
}

/// The placeholder's head and shoulders: discs `(cx, cy, r)` as fractions
/// of the edge, drawn in the text colour and clipped to the shape.
pub const SILHOUETTE: [(f32, f32, f32); 2] = [(0.5, 0.39, 0.18), (0.5, 1.02, 0.36)];

/// An avatar fully decided, owning its text: what will be drawn and in which
/// format. The ETag is a hash of exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The text to draw; empty means the placeholder.
    pub text: String,
    pub bg: Rgb,
    pub fg: Rgb,
    /// Edge in pixels.
    pub size: u32,
    pub shape: Shape,
    pub format: Format,
    /// Text size as a fraction of the edge; `None` (every `/avatar/` URL
    /// without `font-size`): the layout's rule by number of characters.
    pub font_size: Option<FontSize>,
}

impl Resolved {
    /// The avatar to draw, borrowing the text.
    pub fn avatar(&self) -> Avatar<'_> {
        Avatar {
            size: self.size,
            shape: self.shape,
            bg: self.bg,
            fg: self.fg,
            content: if self.text.is_empty() {
                Content::Placeholder
            } else {
                Content::Text(&self.text)
            },
            font_size: self.font_size,
        }
    }
}

/// Decides text and colours. Text whose characters are not all in the
/// embedded fonts becomes the placeholder rather than missing-glyph boxes.
pub fn resolve(palette: &[Rgb], req: &AvatarRequest, fonts: &Fonts) -> Resolved {
    let text = bounded(&match &req.initials {
        Some(text) => text.clone(),
        None => initials::initials(&req.name, req.length, req.uppercase, |c| fonts.has_glyph(c)),
    });
    let drawable = !text.is_empty() && text.chars().all(|c| fonts.has_glyph(c));
    let (text, default_bg) = if drawable {
        let key = match &req.seed {
            Some(seed) => seed.clone(),
            None => initials::normalise(&req.name),
        };
        (text, colour::pick(palette, &key))
    } else {
        (String::new(), PLACEHOLDER_BG)
    };
    let bg = req.bg.unwrap_or(default_bg);
    let fg = req.fg.unwrap_or(match (drawable, req.bg) {
        (false, None) => PLACEHOLDER_FG,
        _ => colour::text_colour_for(bg),
    });
    Resolved {
        text,
        bg,
        fg,
        size: req.size,
        shape: req.shape,
        format: req.format,
        // Only text has a size: the placeholder ignores it, so it is one
        // image (and one ETag) whatever font size was asked for.
        font_size: req.font_size.filter(|_| drawable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::doors::request;

    fn resolved(path: &str) -> Resolved {
        let c = Config::default();
        let parsed = request::parse(&c, path).unwrap();
        resolve(&c.palette, &parsed, Fonts::get().unwrap())
    }

    #[test]
    fn bg_alone_gets_a_contrasting_text_colour() {
        assert_eq!(resolved("/avatar/Ada?bg=ffff00").fg, colour::INK);
    }

    #[test]
    fn what_is_drawn_is_bounded() {
        let stacked = format!("A{}", "\u{488}".repeat(164));
        assert_eq!(bounded(&stacked).chars().count(), MAX_CLUSTER_CHARS);
        assert_eq!(bounded("ÉZ"), "ÉZ");
        assert_eq!(bounded("ABCD"), "ABC");
        let path = format!(
            "/avatar/x?size=512&initials={}",
            "A%D2%88".to_string() + &"%D2%88".repeat(164)
        );
        assert_eq!(resolved(&path).text.chars().count(), MAX_CLUSTER_CHARS);
        // From a name: the first letter cluster of each word, bounded too.
        let name = format!(
            "/avatar/a{}%20b{}",
            "%CC%81".repeat(50),
            "%CC%81".repeat(50)
        );
        assert_eq!(resolved(&name).text.chars().count(), 2 * MAX_CLUSTER_CHARS);
    }

    #[test]
    fn undrawable_text_is_the_placeholder() {
        for path in ["/avatar/", "/avatar/%21%21", "/avatar/x?initials=%E2%98%83"] {
            let r = resolved(path);
            assert_eq!(
                (r.text.as_str(), r.bg, r.fg),
                ("", PLACEHOLDER_BG, PLACEHOLDER_FG),
                "{path}"
            );
            assert_eq!(r.avatar().content, Content::Placeholder);
        }
        let r = resolved("/avatar/Ada%20Lovelace");
        assert_eq!(r.avatar().content, Content::Text("AL"));
    }
}
