//! The avatar as a URL asks for it: what every door parses its URL into,
//! sizes already clamped, before [`crate::avatar::resolve`] decides the text
//! and colours.

use crate::avatar::colour::Rgb;
use crate::avatar::font_size::FontSize;
use crate::avatar::format::Format;
use crate::avatar::shape::Shape;

/// A parsed, validated avatar request; sizes in pixels, already clamped.
#[derive(Debug, Clone, PartialEq)]
pub struct AvatarRequest {
    /// The decoded name segment (may be empty or unusable: that is the placeholder).
    pub name: String,
    pub format: Format,
    /// Edge of the square image, clamped to `MIN_SIZE..=max_size`.
    pub size: u32,
    /// Literal text to draw instead of the name's initials.
    pub initials: Option<String>,
    /// Colour key; the normalised name when absent.
    pub seed: Option<String>,
    pub bg: Option<Rgb>,
    pub fg: Option<Rgb>,
    pub shape: Shape,
    /// How many initials to take from the name, 1..=3.
    pub length: u8,
    /// Text size as a fraction of the edge; `None`: the layout's own rule.
    pub font_size: Option<FontSize>,
    /// Initials taken from the name are upper-cased (the default); `false`
    /// keeps each letter's case as written.
    pub uppercase: bool,
    /// The signed parameters as given (decoded, empty ones dropped), sorted
    /// by name: what a URL signature covers, besides the name.
    pub given: Vec<(&'static str, String)>,
    /// The `sig` parameter, decoded.
    pub sig: Option<String>,
}
