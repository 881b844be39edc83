//! One resolved avatar to the bytes of its format: pixels through
//! [`render`] and [`encode`] for PNG, outlines through [`svg`] for SVG.

use crate::avatar::format::Format;
use crate::avatar::resolve::{Avatar, Resolved};
use crate::draw::bare;
use crate::draw::encode;
use crate::draw::render;
use crate::draw::svg;
use crate::error::Error;
use crate::fonts::table::Fonts;

/// The encoded image of `r`. Its text must already be checked against
/// `fonts` (as [`crate::avatar::resolve::resolve`] does).
///
/// The bytes own no spare capacity: the encoder sizes its buffer for the
/// worst case (16 KB for a typical 5 KB 512 px avatar), and a cached body
/// would keep that slack for as long as it is cached (measured: 10.3 MB of
/// heap behind a 4 MiB cache).
pub fn draw(r: &Resolved, fonts: &Fonts) -> Result<Vec<u8>, Error> {
    let avatar = r.avatar();
    let mut body = match r.format {
        Format::Png => png(&avatar, fonts).ok_or(Error::EncodeFailed),
        Format::Svg => svg::svg(&avatar, fonts)
            .map(String::into_bytes)
            .ok_or(Error::OutlineMissing),
    }?;
    body.shrink_to_fit();
    Ok(body)
}

/// `avatar` as a PNG, drawn and encoded over the bare shape of its size
/// ([`bare`]), the way every request is.
pub fn png(avatar: &Avatar, fonts: &Fonts) -> Option<Vec<u8>> {
    let size = avatar.size.max(1) as usize;
    // Only the rows the text changes are drawn and packed; the bare shape
    // stands for the rest.
    let band = bare::get(size, avatar.shape).and_then(|bare| {
        let band = render::render_band(avatar, fonts, &bare.indices)?;
        Some((bare, band))
    });
    match band {
        Some((bare, band)) => encode::png_band(
            band.size,
            &band.palette,
            band.rows,
            band.cols,
            &band.indices,
            bare.encoding(),
        ),
        None => encode::png(&render::render(avatar, fonts)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avatar::resolve::resolve;
    use crate::config::Config;
    use crate::doors::request::parse;

    #[test]
    fn drawing_over_the_bare_shape_gives_the_whole_image_bytes() {
        use crate::avatar::resolve::Content;
        use crate::avatar::shape::Shape;
        let fonts = Fonts::get().unwrap();
        for size in [16, 17, 31, 64, 128, 129, 512] {
            for shape in [Shape::Circle, Shape::Rounded, Shape::Square] {
                for content in [
                    Content::Text("QJ"),
                    Content::Text("W"),
                    Content::Text("WWW"),
                    Content::Text("\u{1EC6}\u{301}g"),
                    Content::Text("\u{738B}\u{5C0F}"),
                    Content::Text(""),
                    Content::Placeholder,
                ] {
                    let avatar = Avatar::blue(size, shape, content);
                    assert_eq!(
                        png(&avatar, fonts),
                        encode::png(&render::render(&avatar, fonts)),
                        "{size} {shape:?} {content:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn bodies_keep_no_spare_capacity() {
        let config = Config::default();
        let fonts = Fonts::get().unwrap();
        for path in [
            "/avatar/Ada?size=512",
            "/avatar/Ada.svg?size=512",
            "/avatar/",
        ] {
            let resolved = resolve(&config.palette, &parse(&config, path).unwrap(), fonts);
            let body = draw(&resolved, fonts).unwrap();
            assert_eq!(body.capacity(), body.len(), "{path}");
        }
    }
}
