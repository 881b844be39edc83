//! PNG encoding of a rendered [`Image`]: 4-bit indexed colour with a `tRNS`
//! chunk for the edge alphas. A flat two-colour avatar compresses far better
//! as 12 palette indices than as RGBA (measured 2.4× smaller), and encoding
//! dominates the cost of a render, so this file is where speed is won.
//!
//! Output is deterministic: the same image gives the same bytes everywhere.

use crate::draw::deflate::{self, Reference};
use crate::draw::render::{Image, Over, PALETTE_LEN};

/// The PNG file signature.
const SIGNATURE: [u8; 8] = [137, 80, 78, 71, 13, 10, 26, 10];
/// Bytes around the chunk data: signature, and per chunk length + type + CRC
/// for five chunks, plus IHDR, PLTE (≤ 16 entries) and tRNS data.
const CONTAINER_BYTES: usize = 8 + 5 * 12 + 13 + 48 + 16;

/// Encodes `image` as a PNG. `None` only for an image PNG cannot hold (zero
/// or over 2^31 - 1 pixels wide), which [`Image`] never is (the caller
/// answers 500 if it ever does).
///
/// The container is written here rather than by the png crate: the bytes
/// are the same (signature, IHDR, PLTE, tRNS, IDAT, IEND), without its
/// per-call set-up and copies.
pub fn png(image: &Image) -> Option<Vec<u8>> {
    png_over(image, None)
}

/// The encoding of an image's bare shape ([`Image::over`]): its scanlines
/// ([`scanlines`]) and their deflate parse.
pub struct BareEncoding<'a> {
    pub scanlines: &'a [u8],
    pub reference: &'a Reference,
}

/// [`png`] for an image drawn over the bare shape `bare` encodes: the same
/// bytes, with only the rows drawing changed packed and parsed. Without
/// `bare`, or when the image does not say what it was drawn over, the
/// image is encoded whole.
pub fn png_over(image: &Image, bare: Option<BareEncoding>) -> Option<Vec<u8>> {
    if image.size == 0 || image.size > i32::MAX as u32 {
        return None;
    }
    let size = usize::try_from(image.size).ok()?;
    let stride = size.div_ceil(2).saturating_add(1);
    let over = image.over.zip(bare).filter(|(_, bare)| {
        image.indices.len() == size.saturating_mul(size)
            && bare.scanlines.len() == stride.saturating_mul(size)
    });
    if let Some((Over { rows, .. }, bare)) = over {
        let (top, bottom) = (rows.0.min(size), rows.1.min(size));
        if let Some(band) = image
            .indices
            .get(top.saturating_mul(size)..bottom.saturating_mul(size))
        {
            return png_band(size, &image.palette, (top, bottom), (0, size), band, bare);
        }
    }
    let scanlines = scanlines(&image.indices, size);
    container(size, &image.palette, scanlines.len(), |out| {
        deflate::zlib_into(out, &scanlines, stride)
    })
}

/// [`png_over`] for an image given as the rectangle drawing changed, rows
/// `top..bottom` and columns `left..right` (`band`, row-major, as
/// [`crate::draw::render::render_band`] draws it; `left` even, `right` even
/// or `size`), over the bare shape `bare` encodes.
pub fn png_band(
    size: usize,
    palette: &[[u8; 4]; PALETTE_LEN],
    (top, bottom): (usize, usize),
    (left, right): (usize, usize),
    band: &[u8],
    bare: BareEncoding,
) -> Option<Vec<u8>> {
    if size == 0 || size > i32::MAX as usize {
        return None;
    }
    let stride = size.div_ceil(2).saturating_add(1);
    let width = right.saturating_sub(left);
    if bare.scanlines.len() != stride.saturating_mul(size)
        || top > bottom
        || bottom > size
        || !left.is_multiple_of(2)
        || left > right
        || right > size
        || (!right.is_multiple_of(2) && right != size)
        || band.len() != bottom.saturating_sub(top).saturating_mul(width)
    {
        return None;
    }
    let mut lines = bare.scanlines.to_vec();
    let changed_lines = top.saturating_mul(stride)..bottom.saturating_mul(stride);
    if let Some(lines) = lines.get_mut(changed_lines.clone()) {
        // The filter byte, then the packed bytes of columns left..right.
        let bytes = (left / 2).saturating_add(1)..right.div_ceil(2).saturating_add(1);
        for (line, row) in lines
            .chunks_exact_mut(stride)
            .zip(band.chunks_exact(width.max(1)))
        {
            if let Some(packed) = line.get_mut(bytes.clone()) {
                pack_row(packed, row);
            }
        }
    }
    let changed = differing(&lines, bare.scanlines, changed_lines);
    container(size, palette, lines.len(), |out| {
        deflate::zlib_over(out, &lines, bare.reference, changed)
    })
}

/// The PNG of a `size`-pixel square image with `palette`, whose IDAT data
/// (`scanline_bytes` of scanlines, compressed) `idat` appends.
fn container(
    size: usize,
    palette: &[[u8; 4]; PALETTE_LEN],
    scanline_bytes: usize,
    idat: impl FnOnce(&mut Vec<u8>),
) -> Option<Vec<u8>> {
    let edge = u32::try_from(size).ok().filter(|&s| s <= i32::MAX as u32)?;
    let mut out = Vec::with_capacity(
        (scanline_bytes / 8).saturating_add(CONTAINER_BYTES.saturating_add(128)),
    );
    out.extend_from_slice(&SIGNATURE);

    let mut ihdr = [0u8; 13];
    let (dims, format) = ihdr.split_at_mut(8);
    let (width, height) = dims.split_at_mut(4);
    width.copy_from_slice(&edge.to_be_bytes());
    height.copy_from_slice(&edge.to_be_bytes());
    // Bit depth 4, colour type 3 (indexed); compression, filter and
    // interlace methods 0.
    format.copy_from_slice(&[4, 3, 0, 0, 0]);
    chunk(&mut out, *b"IHDR", |out| out.extend_from_slice(&ihdr))?;

    chunk(&mut out, *b"PLTE", |out| {
        out.extend(palette.iter().flat_map(|p| [p[0], p[1], p[2]]));
    })?;
    // tRNS may stop at the last non-opaque entry; the rest default to opaque.
    let used = palette
        .iter()
        .rposition(|p| p[3] != 255)
        .map_or(0, |p| p.saturating_add(1));
    if used > 0 {
        chunk(&mut out, *b"tRNS", |out| {
            out.extend(palette.iter().take(used).map(|p| p[3]));
        })?;
    }
    chunk(&mut out, *b"IDAT", idat)?;
    chunk(&mut out, *b"IEND", |_| {})?;
    Some(out)
}

/// Appends one chunk whose data `write` appends: length, type, data, and the
/// CRC-32 of type and data. `None` if the data is too long for a chunk.
fn chunk(out: &mut Vec<u8>, kind: [u8; 4], write: impl FnOnce(&mut Vec<u8>)) -> Option<()> {
    let start = out.len();
    // Length placeholder, filled in once the data is written.
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&kind);
    write(out);
    let data_len = out.len().checked_sub(start)?.checked_sub(8)?;
    let len = u32::try_from(data_len)
        .ok()
        .filter(|&l| l <= i32::MAX as u32)?;
    out.get_mut(start..start.checked_add(4)?)?
        .copy_from_slice(&len.to_be_bytes());
    let crc = crc32fast::hash(out.get(start.checked_add(4)?..)?);
    out.extend_from_slice(&crc.to_be_bytes());
    Some(())
}

/// The first and one past the last offset within `band` where `a` and `b`
/// differ; an empty range when they do not.
fn differing(a: &[u8], b: &[u8], band: std::ops::Range<usize>) -> (usize, usize) {
    let (Some(a), Some(b)) = (a.get(band.clone()), b.get(band.clone())) else {
        return (0, 0);
    };
    let Some(first) = a.iter().zip(b).position(|(x, y)| x != y) else {
        return (0, 0);
    };
    let last = a.iter().zip(b).rposition(|(x, y)| x != y).unwrap_or(first);
    (
        band.start.saturating_add(first),
        band.start.saturating_add(last).saturating_add(1),
    )
}

/// PNG scanlines: each row is filter type 0 (None) then the packed row, two
/// 4-bit indices a byte, high nibble first, an odd last pixel padded. No
/// filter is needed: the deflate matcher finds the row above by itself.
pub fn scanlines(indices: &[u8], size: usize) -> Vec<u8> {
    let size = size.max(1);
    let stride = size.div_ceil(2).saturating_add(1);
    let rows = indices.len().checked_div(size).unwrap_or(0);
    // Zeroed, so every row's filter byte (and the odd pixel's pad) is already 0.
    let mut out = vec![0u8; stride.saturating_mul(rows)];
    pack(&mut out, indices, size);
    out
}

/// Packs rows of `size` indices into `out`'s scanlines, whose filter bytes
/// (and odd pixels' pads) must already be 0.
fn pack(out: &mut [u8], indices: &[u8], size: usize) {
    let size = size.max(1);
    let stride = size.div_ceil(2).saturating_add(1);
    for (line, row) in out.chunks_exact_mut(stride).zip(indices.chunks_exact(size)) {
        if let Some((_filter, packed)) = line.split_first_mut() {
            pack_row(packed, row);
        }
    }
}

/// Packs `row`'s indices into `packed`, two a byte, high nibble first, an
/// odd last pixel padded with 0. Thirty-two pixels at a time with wasm
/// SIMD (`pack32`), then eight at a time in a `u64`; the bytes are the
/// same.
fn pack_row(packed: &mut [u8], row: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    let (packed, row) = {
        let done = pack32(packed, row);
        match (
            packed.get_mut(done.saturating_mul(16)..),
            row.get(done.saturating_mul(32)..),
        ) {
            (Some(packed), Some(row)) => (packed, row),
            _ => return,
        }
    };
    // Eight pixels at a time through a u64, then the last few one pair at a time.
    let (octets, _) = row.as_chunks::<8>();
    let (quads, _) = packed.as_chunks_mut::<4>();
    for (quad, octet) in quads.iter_mut().zip(octets) {
        *quad = pack8(*octet);
    }
    let done = octets.len().min(quads.len());
    let (Some(packed), Some(row)) = (
        packed.get_mut(done.saturating_mul(4)..),
        row.get(done.saturating_mul(8)..),
    ) else {
        return;
    };
    let (pairs, odd) = row.as_chunks::<2>();
    for (byte, &[high, low]) in packed.iter_mut().zip(pairs) {
        *byte = high << 4 | (low & 0x0f);
    }
    if let (Some(&high), Some(last)) = (odd.first(), packed.last_mut()) {
        *last = high << 4;
    }
}

/// [`pack_row`] of `row`'s whole groups of 32 pixels with wasm SIMD;
/// returns how many groups it packed.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn pack32(packed: &mut [u8], row: &[u8]) -> usize {
    use core::arch::wasm32::*;
    // Each u16 lane holds a pixel pair, the first in its low byte: make it
    // `first << 4 | second`, which fits the low byte.
    let pairs = |v: v128| {
        let v = v128_and(v, u8x16_splat(0x0f));
        v128_and(v128_or(u16x8_shl(v, 4), u16x8_shr(v, 8)), u16x8_splat(0xff))
    };
    let (groups, _) = row.as_chunks::<32>();
    let (outs, _) = packed.as_chunks_mut::<16>();
    for (out, group) in outs.iter_mut().zip(groups) {
        let (first, second) = group.split_at(16);
        // SAFETY: v128 is 16 plain bytes, and both halves of a 32-byte
        // group and `out` are 16 bytes; unaligned reads and writes are what
        // read_unaligned and write_unaligned do.
        unsafe {
            let first = core::ptr::read_unaligned(first.as_ptr().cast::<v128>());
            let second = core::ptr::read_unaligned(second.as_ptr().cast::<v128>());
            // Lanes are at most 0xff: the saturating narrow is exact.
            let bytes = u8x16_narrow_i16x8(pairs(first), pairs(second));
            core::ptr::write_unaligned(out.as_mut_ptr().cast::<v128>(), bytes);
        }
    }
    groups.len().min(outs.len())
}

/// Packs eight 4-bit indices into four bytes, high nibble first, with a few
/// shifts on one `u64` instead of eight byte operations (a byte-wise loop
/// costs a fifth of the encode time).
fn pack8(pixels: [u8; 8]) -> [u8; 4] {
    let x = u64::from_le_bytes(pixels) & 0x0f0f_0f0f_0f0f_0f0f;
    // Each 16-bit lane holds a pixel pair (first in its low byte); make the
    // low byte `first << 4 | second` and clear the high byte.
    let pairs = (x << 4 | x >> 8) & 0x00ff_00ff_00ff_00ff;
    // Gather the four low bytes together.
    let halves = (pairs | pairs >> 8) & 0x0000_ffff_0000_ffff;
    let packed = (halves | halves >> 16) & 0xffff_ffff;
    (packed as u32).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avatar::colour::{Rgb, WHITE};
    use crate::avatar::resolve::{Avatar, Content};
    use crate::avatar::shape::Shape;
    use crate::draw::render::render;
    use crate::fonts::table::Fonts;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
        d.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
        let mut r = d.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn round_trips_to_the_same_pixels() {
        for size in [16, 17, 33, 128] {
            let img = render(
                &Avatar {
                    size,
                    shape: Shape::Circle,
                    bg: Rgb(0x2E, 0x7D, 0x32),
                    fg: WHITE,
                    content: Content::Text("QJ"),
                    font_size: None,
                },
                Fonts::get().unwrap(),
            );
            let bytes = png(&img).unwrap();
            let (w, h, rgba) = decode(&bytes);
            assert_eq!((w, h), (size, size));
            assert_eq!(rgba, img.to_rgba(), "size {size}");
        }
    }

    #[test]
    fn images_drawn_over_a_bare_shape_encode_as_whole_images() {
        // The encoder reuses the bare shape's encoding outside the text's
        // rows: the bytes must be those of encoding the image whole.
        let fonts = Fonts::get().unwrap();
        for size in [16, 17, 40, 64, 127, 128, 256, 512] {
            for shape in [Shape::Circle, Shape::Rounded, Shape::Square] {
                for content in [
                    Content::Text("QJ"),
                    Content::Text("W"),
                    Content::Text("\u{1EC6}\u{301}g"),
                    Content::Text("\u{738B}\u{5C0F}"),
                    Content::Text(""),
                    Content::Placeholder,
                ] {
                    let img = render(
                        &Avatar {
                            size,
                            shape,
                            bg: Rgb(0x2E, 0x7D, 0x32),
                            fg: WHITE,
                            content,
                            font_size: None,
                        },
                        fonts,
                    );
                    assert!(img.over.is_some(), "{size} {shape:?}");
                    let bare = crate::draw::bare::get(size as usize, shape).unwrap();
                    let over = png_over(
                        &img,
                        Some(BareEncoding {
                            scanlines: &bare.scanlines,
                            reference: &bare.reference,
                        }),
                    );
                    assert_eq!(over, png(&img), "{size} {shape:?} {content:?}");
                }
            }
        }
    }

    #[test]
    fn round_trips_tiny_odd_and_largest_images() {
        // Synthetic images (no rendering) at sizes the renderer allows and
        // beyond: a disc of index 5 on 0, with noise on its edge.
        let mut seed = 0x9E37_79B9u32;
        for size in [1u32, 2, 3, 5, 31, 63, 127, 129, 255, 511, 1023, 2048] {
            let n = size as usize;
            let c = n as i64;
            let indices: Vec<u8> = (0..n * n)
                .map(|p| {
                    let (x, y) = ((p % n) as i64 * 2 - c, (p / n) as i64 * 2 - c);
                    let d = x * x + y * y - c * c;
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    match d {
                        _ if d.abs() < 4 * c => (seed % 12) as u8,
                        _ if d < 0 => 5,
                        _ => 0,
                    }
                })
                .collect();
            let mut palette = [[0u8; 4]; crate::draw::render::PALETTE_LEN];
            for (i, p) in palette.iter_mut().enumerate() {
                *p = [i as u8 * 20, 255 - i as u8, 7, if i == 0 { 0 } else { 255 }];
            }
            let img = Image {
                size,
                palette,
                indices,
                over: None,
            };
            let bytes = png(&img).unwrap();
            let (w, h, rgba) = decode(&bytes);
            assert_eq!((w, h), (size, size));
            assert_eq!(rgba, img.to_rgba(), "size {size}");
        }
    }

    #[test]
    fn adler32_is_the_bytewise_sum() {
        let mut seed = 0x2545_F491u32;
        let data: Vec<u8> = (0..40_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed >> 24) as u8
            })
            .collect();
        let bytewise = |d: &[u8]| {
            let (mut a, mut b) = (1u32, 0u32);
            for &x in d {
                a = (a + u32::from(x)) % 65_521;
                b = (b + a) % 65_521;
            }
            b << 16 | a
        };
        for len in (0..70).chain([5551, 5552, 5553, 11_104, 11_120, 40_000]) {
            for start in [0, 1, 3] {
                let d = &data[start..start + len.min(data.len() - start)];
                assert_eq!(deflate::adler32(d), bytewise(d), "{start}+{len}");
            }
        }
        let ones = vec![255u8; 40_000];
        assert_eq!(deflate::adler32(&ones), bytewise(&ones));
    }

    #[test]
    fn packs_any_length_from_any_offset() {
        let pixels: Vec<u8> = (0..200).map(|i| (i * 5 % 12) as u8).collect();
        for start in 0..3 {
            for len in (0..80).chain([127, 128, 129, 197]) {
                let row = &pixels[start..start + len];
                let mut packed = vec![0xaa; len.div_ceil(2)];
                pack_row(&mut packed, row);
                let expected: Vec<u8> = row
                    .chunks(2)
                    .map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0))
                    .collect();
                assert_eq!(packed, expected, "{start}+{len}");
            }
        }
    }

    #[test]
    fn packs_high_nibble_first_and_pads_odd_rows() {
        assert_eq!(
            scanlines(&[1, 2, 3, 4, 5, 6], 3),
            vec![0, 0x12, 0x30, 0, 0x45, 0x60]
        );
        // Rows long enough for the eight-pixel path, with and without a tail.
        for size in [8, 9, 16, 17, 23, 64] {
            let indices: Vec<u8> = (0..size * 2).map(|i| (i * 7 % 12) as u8).collect();
            let mut expected = Vec::new();
            for row in indices.chunks(size) {
                expected.push(0);
                for p in row.chunks(2) {
                    expected.push(p[0] << 4 | p.get(1).copied().unwrap_or(0));
                }
            }
            assert_eq!(scanlines(&indices, size), expected, "size {size}");
        }
    }
}
