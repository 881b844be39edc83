//! One resolved avatar to the bytes of its format: pixels through
//! [`render`] and [`encode`] for PNG, outlines through [`svg`] for SVG.

use crate::avatar::Resolved;
use crate::encode;
use crate::error::Error;
use crate::fonts::Fonts;
use crate::render;
use crate::request::Format;
use crate::svg;

/// The encoded image of `r`. Its text must already be checked against
/// `fonts` (as [`crate::avatar::resolve`] does).
pub fn draw(r: &Resolved, fonts: &Fonts) -> Result<Vec<u8>, Error> {
    let avatar = r.avatar();
    match r.format {
        Format::Png => encode::png(&render::render(&avatar, fonts)).ok_or(Error::EncodeFailed),
        Format::Svg => svg::svg(&avatar, fonts)
            .map(String::into_bytes)
            .ok_or(Error::OutlineMissing),
    }
}
