//! The crates each hand-written piece of monogram is measured against, driven
//! the way monogram drives its own piece. One module for both halves of the
//! measurement: examples/bench_crates.rs times this code, and the wasm-size
//! probe (bench/wasm-size) weighs it, so the bytes shown are those of the
//! code timed.
use crate::raster::Canvas;
use monogram_glyph_store::Command;

/// What an encoder gets: side in pixels, RGBA palette (straight alpha), one
/// 4-bit palette index per pixel, row-major.
pub struct Indexed {
    pub size: u32,
    pub palette: Vec<[u8; 4]>,
    pub indices: Vec<u8>,
}

/// PNG rows of two indices a byte (high nibble first), each led by filter
/// byte 0 if `filter_byte`.
pub fn packed_rows(im: &Indexed, filter_byte: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for row in im.indices.chunks(im.size.max(1) as usize) {
        if filter_byte {
            out.push(0);
        }
        out.extend(
            row.chunks(2)
                .map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0)),
        );
    }
    out
}

/// A PNG around zlib data `idat`, in the chunks src/draw/encode.rs writes
/// (IHDR, PLTE, tRNS up to the last non-opaque entry, IDAT, IEND).
pub fn png_container(im: &Indexed, idat: &[u8]) -> Vec<u8> {
    let mut out = vec![137, 80, 78, 71, 13, 10, 26, 10];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&im.size.to_be_bytes());
    ihdr.extend_from_slice(&im.size.to_be_bytes());
    ihdr.extend_from_slice(&[4, 3, 0, 0, 0]);
    let plte: Vec<u8> = im.palette.iter().flat_map(|p| [p[0], p[1], p[2]]).collect();
    let used = im
        .palette
        .iter()
        .rposition(|p| p[3] != 255)
        .map_or(0, |p| p + 1);
    let trns: Vec<u8> = im.palette.iter().take(used).map(|p| p[3]).collect();
    for (kind, data) in [
        (b"IHDR", &ihdr[..]),
        (b"PLTE", &plte[..]),
        (b"tRNS", &trns[..]),
        (b"IDAT", idat),
        (b"IEND", &[][..]),
    ] {
        if kind == b"tRNS" && data.is_empty() {
            continue;
        }
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

/// The png crate's encoder at one of its compression settings, with the
/// filter choice it makes for that setting. `None` if it fails.
pub fn png_crate(im: &Indexed, compression: png::Compression) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, im.size, im.size);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Four);
    enc.set_palette(
        im.palette
            .iter()
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect::<Vec<_>>(),
    );
    enc.set_trns(im.palette.iter().map(|p| p[3]).collect::<Vec<_>>());
    enc.set_compression(compression);
    let mut w = enc.write_header().ok()?;
    w.write_image_data(&packed_rows(im, false)).ok()?;
    w.finish().ok()?;
    Some(out)
}

/// miniz_oxide's zlib at `level` over the same unfiltered rows monogram
/// compresses, in monogram's chunks.
pub fn miniz(im: &Indexed, level: u8) -> Vec<u8> {
    let idat = miniz_oxide::deflate::compress_to_vec_zlib(&packed_rows(im, true), level);
    png_container(im, &idat)
}

/// The hand-written rasteriser ([`crate::raster`]) over a glyph outline in
/// pixels, y down, inside its canvas (as are the other fills' outlines).
pub fn fill_ours(width: usize, height: usize, steps: &[Command]) -> Vec<u8> {
    let mut c = Canvas::new(width, height);
    for s in steps {
        match *s {
            Command::Move(x, y) => c.move_to(x, y),
            Command::Line(x, y) => c.line_to(x, y),
            Command::Quad(x1, y1, x, y) => c.quad_to(x1, y1, x, y),
            Command::Cubic(x1, y1, x2, y2, x, y) => c.cubic_to(x1, y1, x2, y2, x, y),
            Command::Close => c.close(),
        }
    }
    c.coverage()
}

/// tiny-skia's anti-aliased path fill into an 8-bit mask (its coverage).
pub fn fill_tiny_skia(width: usize, height: usize, steps: &[Command]) -> Vec<u8> {
    let mut pb = tiny_skia::PathBuilder::new();
    for s in steps {
        match *s {
            Command::Move(x, y) => pb.move_to(x, y),
            Command::Line(x, y) => pb.line_to(x, y),
            Command::Quad(x1, y1, x, y) => pb.quad_to(x1, y1, x, y),
            Command::Cubic(x1, y1, x2, y2, x, y) => pb.cubic_to(x1, y1, x2, y2, x, y),
            Command::Close => pb.close(),
        }
    }
    let (Some(path), Some(mut mask)) = (
        pb.finish(),
        tiny_skia::Mask::new(width as u32, height as u32),
    ) else {
        return vec![0; width * height];
    };
    mask.fill_path(
        &path,
        tiny_skia::FillRule::Winding,
        true,
        tiny_skia::Transform::identity(),
    );
    mask.take()
}

/// ab_glyph_rasterizer's coverage (the same signed-area method as ours).
pub fn fill_ab_glyph(width: usize, height: usize, steps: &[Command]) -> Vec<u8> {
    use ab_glyph_rasterizer::{point, Point, Rasterizer};
    let mut r = Rasterizer::new(width, height);
    let (mut start, mut pen) = (point(0.0, 0.0), point(0.0, 0.0));
    let close = |r: &mut Rasterizer, pen: Point, start: Point| {
        if pen != start {
            r.draw_line(pen, start);
        }
    };
    for s in steps {
        match *s {
            Command::Move(x, y) => {
                close(&mut r, pen, start);
                start = point(x, y);
                pen = start;
            }
            Command::Line(x, y) => {
                r.draw_line(pen, point(x, y));
                pen = point(x, y);
            }
            Command::Quad(x1, y1, x, y) => {
                r.draw_quad(pen, point(x1, y1), point(x, y));
                pen = point(x, y);
            }
            Command::Cubic(x1, y1, x2, y2, x, y) => {
                r.draw_cubic(pen, point(x1, y1), point(x2, y2), point(x, y));
                pen = point(x, y);
            }
            Command::Close => {
                close(&mut r, pen, start);
                pen = start;
            }
        }
    }
    close(&mut r, pen, start);
    let mut out = vec![0u8; width * height];
    r.for_each_pixel(|i, a| {
        if let Some(o) = out.get_mut(i) {
            *o = (a.min(1.0) * 255.0 + 0.5) as u8;
        }
    });
    out
}

/// Decodes a 22-character `sig` into its 16-byte tag with the `base64` crate
/// (strict: the 4 leftover bits must be zero).
pub fn decode_base64(sig: &str) -> Option<[u8; 16]> {
    use base64::Engine;
    let mut buf = [0u8; 18];
    match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode_slice(sig, &mut buf) {
        Ok(16) => buf[..16].try_into().ok(),
        _ => None,
    }
}

pub fn encode_base64(tag: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
}

/// The same with `base64ct` (also strict).
pub fn decode_base64ct(sig: &str) -> Option<[u8; 16]> {
    use base64ct::Encoding;
    let mut buf = [0u8; 16];
    base64ct::Base64UrlUnpadded::decode(sig, &mut buf)
        .ok()
        .and_then(|t| t.try_into().ok())
}

pub fn encode_base64ct(tag: &[u8]) -> String {
    use base64ct::Encoding;
    base64ct::Base64UrlUnpadded::encode_string(tag)
}
