//! Draws an avatar into a 12-entry indexed image: the shape, anti-aliased
//! analytically row by row, and the glyphs' coverage composited on top.
//!
//! Units: pixels, y down, pixel centres at `i + 0.5`. Invariant: every index
//! in [`Image::indices`] is `< PALETTE_LEN` (12), so the image packs into 4
//! bits a pixel.
//!
//! Palette layout (why 12 entries suffice: the image has two colours, and
//! only their anti-aliased edges need intermediate levels):
//! - `0`: transparent (background colour at alpha 0, so scalers that ignore
//!   premultiplication do not fringe towards black);
//! - `1..=4`: the background at alpha `k/5`, the shape's edge;
//! - `5..=11`: opaque, background blended towards the text colour by `(i-5)/6`.
//!
//! The step counts are a measured trade: 5 edge and 6 text steps instead of 7
//! and 8 make a 128 px avatar 7% smaller (fewer distinct bytes for deflate),
//! and stay within 10% (edge alpha) and 1/12 of the text contrast of an exact
//! render, which a test checks against tiny-skia; side by side at 1× they
//! cannot be told apart.

use crate::avatar::colour::Rgb;
use crate::avatar::font_size::FontSize;
use crate::avatar::resolve::{Avatar, Content, SILHOUETTE};
use crate::avatar::shape::{Shape, ROUNDED_RADIUS};
use crate::draw::layout::{self, layout};
use crate::fonts::glyph_cache;
use crate::fonts::table::{Fonts, Glyph};
use std::sync::Arc;

/// Edge alpha steps: index `k` in `0..=EDGE_LEVELS` is the background at alpha `k/EDGE_LEVELS`.
const EDGE_LEVELS: u8 = 5;
/// Index of the opaque background.
const OPAQUE: u8 = EDGE_LEVELS;
/// Text blend steps: index `OPAQUE + j` is `j/TEXT_LEVELS` of the way to the text colour.
const TEXT_LEVELS: u8 = 6;
/// Entries in the palette: transparent, the edge alphas, opaque, the text blends.
pub const PALETTE_LEN: usize = (EDGE_LEVELS + TEXT_LEVELS + 1) as usize;

/// A rendered avatar: one palette index per pixel, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub size: u32,
    /// RGBA, straight (not premultiplied) alpha.
    pub palette: [[u8; 4]; PALETTE_LEN],
    /// `size * size` indices, each `< PALETTE_LEN`.
    pub indices: Vec<u8>,
    /// What the image was drawn over, if the renderer knows: the encoder
    /// can then reuse that bare shape's encoding outside the changed rows.
    pub over: Option<Over>,
}

/// The bare shape an image was drawn on and the rows drawing may have
/// changed: every other row equals [`draw_bare`] of that size and shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Over {
    pub shape: Shape,
    /// Rows `top..bottom`.
    pub rows: (usize, usize),
}

impl Image {
    /// The RGBA pixels, row-major: for tests and for comparing with references.
    pub fn to_rgba(&self) -> Vec<u8> {
        self.indices
            .iter()
            .flat_map(|&i| self.palette.get(usize::from(i)).copied().unwrap_or([0; 4]))
            .collect()
    }
}

/// Renders `avatar`. Text content must already be checked against `fonts`.
pub fn render(avatar: &Avatar, fonts: &Fonts) -> Image {
    render_on(avatar, fonts, None)
}

/// [`render`], starting from `bare`, the indices [`draw_bare`] gives for
/// this size and shape (a copy is cheaper than drawing the shape's edge);
/// without it, or with one of another size, the shape is drawn.
pub fn render_on(avatar: &Avatar, fonts: &Fonts, bare: Option<&[u8]>) -> Image {
    let size = avatar.size.max(1) as usize;
    let mut indices = match bare.filter(|b| b.len() == size.saturating_mul(size)) {
        Some(bare) => bare.to_vec(),
        None => draw_bare(size, avatar.shape),
    };
    let rows = match avatar.content {
        Content::Text(text) => {
            let text = place_text(size, text, avatar.font_size, fonts, |c, body| {
                glyph_cache::rasterize(fonts, c, body, TEXT_LEVELS)
            });
            for (x, y, g) in &text.glyphs {
                blit(&mut indices, size, g, *x, *y, text_over);
            }
            text.rows
        }
        Content::Placeholder => {
            draw_silhouette(&mut indices, size);
            (0, size)
        }
    };
    Image {
        size: size as u32,
        palette: palette(avatar.bg, avatar.fg),
        indices,
        over: Some(Over {
            shape: avatar.shape,
            rows,
        }),
    }
}

/// The part of an avatar drawing may change, drawn over a bare shape: what
/// [`render_on`] gives there, without copying what it leaves as the bare
/// shape has it. Every pixel outside rows `top..bottom` and columns
/// `left..right` is the bare shape's.
pub struct Band {
    /// The image's edge, in pixels.
    pub size: usize,
    pub palette: [[u8; 4]; PALETTE_LEN],
    /// Rows `top..bottom` ([`Over::rows`]).
    pub rows: (usize, usize),
    /// Columns `left..right`: `left` even, `right` even or `size`, so the
    /// columns are whole bytes of a packed row.
    pub cols: (usize, usize),
    /// The indices of those rows and columns, row-major.
    pub indices: Vec<u8>,
}

/// [`render_on`] over `bare` (the indices of this size's bare shape), kept
/// to the rectangle drawing may change ([`Band`]): the pixels there are the
/// same. `None` when `bare` is not of this size.
pub fn render_band(avatar: &Avatar, fonts: &Fonts, bare: &[u8]) -> Option<Band> {
    let size = avatar.size.max(1) as usize;
    if bare.len() != size.saturating_mul(size) {
        return None;
    }
    let text = match avatar.content {
        Content::Text(text) => Some(place_text(
            size,
            text,
            avatar.font_size,
            fonts,
            |c, body| glyph_cache::rasterize(fonts, c, body, TEXT_LEVELS),
        )),
        Content::Placeholder => None,
    };
    let ((top, bottom), (left, right)) = match &text {
        Some(text) => {
            // Whole bytes of a packed row: out to even columns (or the edge).
            let (left, right) = text.cols;
            let right = if right >= size {
                size
            } else {
                right.saturating_add(1) & !1
            };
            (text.rows, (left & !1, right))
        }
        None => ((0, size), (0, size)),
    };
    let mut indices = Vec::new();
    for row in bare.chunks_exact(size).take(bottom).skip(top) {
        indices.extend_from_slice(row.get(left..right)?);
    }
    let width = right.saturating_sub(left);
    match &text {
        Some(text) => {
            // Glyph pixels relative to the rectangle's corner.
            let (dx, dy) = (i32::try_from(left).ok()?, i32::try_from(top).ok()?);
            for (x, y, g) in &text.glyphs {
                blit(
                    &mut indices,
                    width,
                    g,
                    x.saturating_sub(dx),
                    y.saturating_sub(dy),
                    text_over,
                );
            }
        }
        None => draw_silhouette(&mut indices, size),
    }
    Some(Band {
        size,
        palette: palette(avatar.bg, avatar.fg),
        rows: (top, bottom),
        cols: (left, right),
        indices,
    })
}

/// The shape alone, `size` pixels square: what every avatar of that size
/// and shape has outside its text (`draw::bare` keeps it per VM).
pub fn draw_bare(size: usize, shape: Shape) -> Vec<u8> {
    let mut indices = vec![0u8; size.saturating_mul(size)];
    draw_shape(&mut indices, size, shape);
    indices
}

fn palette(bg: Rgb, fg: Rgb) -> [[u8; 4]; PALETTE_LEN] {
    let mut p = [[0u8; 4]; PALETTE_LEN];
    for (i, entry) in p.iter_mut().enumerate() {
        let i = i as u8;
        *entry = if i <= OPAQUE {
            let alpha = u32::from(i)
                .saturating_mul(255)
                .saturating_add(u32::from(EDGE_LEVELS) / 2)
                .checked_div(u32::from(EDGE_LEVELS))
                .unwrap_or(0);
            [bg.0, bg.1, bg.2, alpha as u8]
        } else {
            let t = u32::from(i.saturating_sub(OPAQUE));
            let mix = |b: u8, f: u8| {
                let n = u32::from(TEXT_LEVELS);
                (u32::from(b)
                    .saturating_mul(n.saturating_sub(t))
                    .saturating_add(u32::from(f).saturating_mul(t))
                    .saturating_add(n / 2)
                    .checked_div(n)
                    .unwrap_or(0)) as u8
            };
            [mix(bg.0, fg.0), mix(bg.1, fg.1), mix(bg.2, fg.2), 255]
        };
    }
    p
}

/// Coverage in 0..=1 of a pixel whose centre is `d` pixels from the centre of
/// a disc of radius `r`: a one-pixel linear ramp across the edge, which is
/// within a few percent of exact area coverage for radii above a few pixels.
fn disc_coverage(d: f32, r: f32) -> f32 {
    (r - d + 0.5).clamp(0.0, 1.0)
}

fn edge_index(coverage: f32) -> u8 {
    (coverage * f32::from(EDGE_LEVELS) + 0.5) as u8
}

/// Fills the shape: whole runs of opaque background, and per-pixel
/// coverage only within one pixel of the edge.
fn draw_shape(indices: &mut [u8], size: usize, shape: Shape) {
    let s = size as f32;
    // For each row: (cx, r) of the disc that bounds this row's corners, and the
    // x-extent of the straight middle part that is fully inside.
    let (r, inset) = match shape {
        Shape::Circle => (s / 2.0, s / 2.0),
        Shape::Rounded => {
            let r = (s * ROUNDED_RADIUS).max(0.5);
            (r, r)
        }
        Shape::Square => {
            indices.fill(OPAQUE);
            return;
        }
    };
    for (y, row) in indices.chunks_exact_mut(size).enumerate() {
        let py = y as f32 + 0.5;
        // Vertical distance from the nearest corner-disc centre (0 in the straight band).
        let dy = if py < inset {
            inset - py
        } else if py > s - inset {
            py - (s - inset)
        } else {
            0.0
        };
        // Pixels whose centre is within `inner` of a corner centre are fully inside.
        let inner = ((r - 0.5).max(0.0).powi(2) - dy * dy).max(0.0).sqrt();
        let outer_sq = (r + 0.5).powi(2) - dy * dy;
        if outer_sq <= 0.0 {
            continue;
        }
        let outer = outer_sq.sqrt();
        let left_centre = inset;
        let right_centre = s - inset;
        // Fully inside: [left_centre - inner, right_centre + inner] in centre coordinates.
        let full_from = (left_centre - inner - 0.5).ceil().max(0.0) as usize;
        let full_to = ((right_centre + inner - 0.5).floor() as isize)
            .saturating_add(1)
            .clamp(0, size as isize) as usize;
        let edge_from = (left_centre - outer - 0.5).ceil().max(0.0) as usize;
        let edge_to = ((right_centre + outer - 0.5).floor() as isize)
            .saturating_add(1)
            .clamp(0, size as isize) as usize;
        if let Some(run) = row.get_mut(full_from..full_to.max(full_from)) {
            run.fill(OPAQUE);
        }
        let edge = |x: usize| {
            let px = x as f32 + 0.5;
            let dx = if px < left_centre {
                left_centre - px
            } else if px > right_centre {
                px - right_centre
            } else {
                0.0
            };
            edge_index(disc_coverage((dx * dx + dy * dy).sqrt(), r))
        };
        for x in (edge_from..full_from.min(edge_to)).chain(full_to.max(edge_from)..edge_to) {
            if let Some(p) = row.get_mut(x) {
                *p = edge(x);
            }
        }
    }
}

/// The text's exact coverage (0..=255 a pixel, `size * size`, row-major),
/// before quantisation: what a straightforward renderer would blend with.
pub fn text_coverage(size: usize, text: &str, fonts: &Fonts) -> Vec<u8> {
    let mut plane = vec![0u8; size.saturating_mul(size)];
    let text = place_text(size, text, None, fonts, |c, body| {
        Arc::new(fonts.rasterize(c, body))
    });
    for (x, y, g) in &text.glyphs {
        blit(&mut plane, size, g, *x, *y, |row, src| {
            for (p, &c) in row.iter_mut().zip(src) {
                *p = (*p).max(c);
            }
        });
    }
    plane
}

/// Text placed on an image: each glyph with the image pixel its bitmap's
/// top-left lands on, and the rows `top..bottom` and columns `left..right`
/// they may change.
struct Placed {
    glyphs: Vec<(i32, i32, Arc<Glyph>)>,
    rows: (usize, usize),
    cols: (usize, usize),
}

/// Places `text`'s glyphs (from `glyph(character, body height)`) where
/// [`layout()`] puts them, centred.
fn place_text(
    size: usize,
    text: &str,
    font_size: Option<FontSize>,
    fonts: &Fonts,
    glyph: impl Fn(char, f32) -> Arc<Glyph>,
) -> Placed {
    let layout = layout(text, size, font_size, fonts);
    let mut glyphs: Vec<(i32, i32, Arc<Glyph>)> = layout
        .places
        .iter()
        .map(|p| (p.x as i32, p.y as i32, glyph(p.c, layout.body)))
        .filter(|(_, _, g)| g.width > 0 && g.height > 0)
        .collect();
    // Ink boxes in whole pixels, so the snapped origin is whole too.
    let ink = layout::union(glyphs.iter().map(|(x, y, g)| {
        let left = x.saturating_add(g.left);
        let top = y.saturating_add(g.top);
        (
            left as f32,
            top as f32,
            left.saturating_add(g.width as i32) as f32,
            top.saturating_add(g.height as i32) as f32,
        )
    }))
    .unwrap_or((0.0, 0.0, 0.0, 0.0));
    let (origin_x, baseline) = layout::origin(size, &layout, ink, f32::round);
    let (origin_x, baseline) = (origin_x as i32, baseline as i32);
    let clip = |v: i32| usize::try_from(v.max(0)).unwrap_or(0).min(size);
    let (mut top, mut bottom, mut left, mut right) = (size, 0, size, 0);
    for (x, y, g) in &mut glyphs {
        *x = origin_x.saturating_add(*x).saturating_add(g.left);
        *y = baseline.saturating_add(*y).saturating_add(g.top);
        top = top.min(clip(*y));
        bottom = bottom.max(clip(y.saturating_add(g.height as i32)));
        left = left.min(clip(*x));
        right = right.max(clip(x.saturating_add(g.width as i32)));
    }
    Placed {
        glyphs,
        rows: (top, bottom.max(top)),
        cols: (left, right.max(left)),
    }
}

/// Merges a coverage bitmap whose top-left pixel lands at (`x0`, `y0`),
/// clipped to the plane (`width` pixels a row): `merge(plane row, bitmap
/// row)` on each row's overlap, slices of the same length. The clip is
/// computed once per glyph so the merge is over plain slices: it runs for
/// every ink pixel.
fn blit(
    plane: &mut [u8],
    width: usize,
    g: &Glyph,
    x0: i32,
    y0: i32,
    merge: impl Fn(&mut [u8], &[u8]),
) {
    if g.width == 0 {
        return;
    }
    // Glyph columns left of the plane, and the first plane column written.
    let skip = usize::try_from(x0.saturating_neg()).unwrap_or(0);
    let Ok(x_start) = usize::try_from(x0.max(0)) else {
        return;
    };
    let overlap = g
        .width
        .saturating_sub(skip)
        .min(width.saturating_sub(x_start));
    if overlap == 0 {
        return;
    }
    let rows = plane.len().checked_div(width).unwrap_or(0);
    for (gy, src) in g.coverage.chunks_exact(g.width).enumerate() {
        let Ok(y) = usize::try_from(y0.saturating_add(gy as i32)) else {
            continue;
        };
        if y >= rows {
            break;
        }
        let start = y.saturating_mul(width).saturating_add(x_start);
        let (Some(row), Some(src)) = (
            plane.get_mut(start..start.saturating_add(overlap)),
            src.get(skip..skip.saturating_add(overlap)),
        ) else {
            continue;
        };
        merge(row, src);
    }
}

/// [`composite`] of a row of pixels with a row of glyph levels `q` (coverage
/// already rounded to `0..=TEXT_LEVELS`, as [`glyph_cache::rasterize`] keeps
/// it): pixel `p` becomes `max(p, OPAQUE + q)` inside the shape (`p >=
/// OPAQUE`) and stays `p` elsewhere. Sixteen pixels at a time with wasm
/// SIMD, else eight at a time in a `u64`; the bytes are the same. A row's
/// last group overlaps the one before it rather than leaving a tail pixel
/// by pixel: the step is idempotent (a pixel it raised is inside and at
/// least the text already).
fn text_over(row: &mut [u8], q: &[u8]) {
    let n = row.len().min(q.len());
    let (Some(row), Some(q)) = (row.get_mut(..n), q.get(..n)) else {
        return;
    };
    #[cfg(target_arch = "wasm32")]
    if n >= 16 {
        text_over16(row, q);
        return;
    }
    if n >= 8 {
        in_groups::<8>(row, q, |p, q| {
            *p = text_over8(u64::from_le_bytes(*p), u64::from_le_bytes(*q)).to_le_bytes();
        });
        return;
    }
    for (p, &q) in row.iter_mut().zip(q) {
        if *p >= OPAQUE {
            *p = (*p).max(OPAQUE.saturating_add(q));
        }
    }
}

/// [`text_over`] of a row of at least 16 pixels with wasm SIMD.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn text_over16(row: &mut [u8], q: &[u8]) {
    use core::arch::wasm32::{u8x16_add, u8x16_ge, u8x16_max, u8x16_splat, v128, v128_bitselect};
    let over = |p: &mut [u8; 16], q: &[u8; 16]| {
        // SAFETY: v128 is 16 plain bytes, as [u8; 16] is, and unaligned
        // reads and writes are what read_unaligned and write_unaligned do.
        let (pv, qv) = unsafe {
            (
                core::ptr::read_unaligned(p.as_ptr().cast::<v128>()),
                core::ptr::read_unaligned(q.as_ptr().cast::<v128>()),
            )
        };
        let text = u8x16_add(qv, u8x16_splat(OPAQUE));
        let inside = u8x16_ge(pv, u8x16_splat(OPAQUE));
        let out = v128_bitselect(u8x16_max(pv, text), pv, inside);
        // SAFETY: as above.
        unsafe { core::ptr::write_unaligned(p.as_mut_ptr().cast::<v128>(), out) };
    };
    in_groups::<16>(row, q, over);
}

/// Applies `over` to each group of `N` pixels of `row` with its levels in
/// `q` (equally long, at least `N`), the last group overlapping the one
/// before it when `N` does not divide the length: `over` must be
/// idempotent.
#[inline(always)]
fn in_groups<const N: usize>(row: &mut [u8], q: &[u8], over: impl Fn(&mut [u8; N], &[u8; N])) {
    let n = row.len().min(q.len());
    for (p, q) in row
        .as_chunks_mut::<N>()
        .0
        .iter_mut()
        .zip(q.as_chunks::<N>().0)
    {
        over(p, q);
    }
    if !n.is_multiple_of(N) {
        let last = n.saturating_sub(N);
        if let (Some((p, _)), Some((q, _))) = (
            row.get_mut(last..)
                .and_then(|r| r.split_first_chunk_mut::<N>()),
            q.get(last..).and_then(|q| q.split_first_chunk::<N>()),
        ) {
            over(p, q);
        }
    }
}

/// [`text_over`] on eight pixels and levels in a `u64` each (every byte of
/// `p` ≤ 127 and of `q` ≤ 127 - OPAQUE, as indices and levels are), with
/// per-byte comparisons that cannot borrow across bytes.
fn text_over8(p: u64, q: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let text = q.wrapping_add(ONES.wrapping_mul(u64::from(OPAQUE)));
    // High bit of a byte set where p ≥ text, and where p ≥ OPAQUE.
    let at_least_text = (p | HIGH).wrapping_sub(text) & HIGH;
    let inside = (p | HIGH).wrapping_sub(ONES.wrapping_mul(u64::from(OPAQUE))) & HIGH;
    // 0xff in the bytes that take the text: inside and below it.
    let take = ((inside & !at_least_text) >> 7).wrapping_mul(0xff);
    (p & !take) | (text & take)
}

/// Puts text coverage `c` (0..=255) over the pixel with index `p`. Only
/// inside the shape: outside it and on its anti-aliased edge the shape wins,
/// so nothing (the placeholder's shoulders, a wide glyph) leaks past it.
/// Zero coverage leaves `p` as it is. The placeholder's silhouette is drawn
/// with it; text is composited from coverage already at these levels
/// ([`text_over`], which tests check against this).
fn composite(p: u8, c: u8) -> u8 {
    let text = TEXT_INDEX.get(usize::from(c)).copied().unwrap_or(OPAQUE);
    if p >= OPAQUE {
        p.max(text)
    } else {
        p
    }
}

/// The palette index of text coverage `c`: `OPAQUE` + round(c ×
/// TEXT_LEVELS / 255).
static TEXT_INDEX: [u8; 256] = text_index();

// Built at compile time, where an out-of-range index or an overflow is a
// build error (c ≤ 255, so an entry is at most OPAQUE + TEXT_LEVELS).
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn text_index() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = OPAQUE + ((c as u32 * TEXT_LEVELS as u32 + 127) / 255) as u8;
        c += 1;
    }
    t
}

/// The placeholder: a head and shoulders, analytically anti-aliased discs.
fn draw_silhouette(indices: &mut [u8], size: usize) {
    let s = size as f32;
    let discs = SILHOUETTE.map(|(cx, cy, r)| (cx * s, cy * s, r * s));
    for (y, row) in indices.chunks_exact_mut(size).enumerate() {
        let py = y as f32 + 0.5;
        for (x, p) in row.iter_mut().enumerate() {
            let px = x as f32 + 0.5;
            let cov = discs
                .iter()
                .map(|&(cx, cy, r)| {
                    disc_coverage(((px - cx).powi(2) + (py - cy).powi(2)).sqrt(), r)
                })
                .fold(0.0f32, f32::max);
            if cov > 0.0 {
                *p = composite(*p, (cov * 255.0 + 0.5) as u8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avatar::shape::Shape;

    fn avatar(size: u32, shape: Shape, content: Content) -> Image {
        render(&Avatar::blue(size, shape, content), Fonts::get().unwrap())
    }

    #[test]
    fn indices_fit_the_palette() {
        for size in [16, 17, 64, 128, 511] {
            for shape in [Shape::Circle, Shape::Rounded, Shape::Square] {
                for content in [Content::Text("WM"), Content::Placeholder] {
                    let img = avatar(size, shape, content);
                    assert_eq!(img.indices.len(), (size * size) as usize);
                    assert!(img.indices.iter().all(|&i| usize::from(i) < PALETTE_LEN));
                }
            }
        }
    }

    #[test]
    fn bands_are_the_rendered_rows_and_the_rest_is_bare() {
        let fonts = Fonts::get().unwrap();
        for size in [16, 17, 64, 128, 255] {
            for shape in [Shape::Circle, Shape::Rounded, Shape::Square] {
                for content in [
                    Content::Text("QJ"),
                    Content::Text("\u{1EC6}\u{301}g"),
                    Content::Text("\u{738B}\u{5C0F}"),
                    Content::Text(""),
                    Content::Placeholder,
                ] {
                    let avatar = Avatar::blue(size, shape, content);
                    let bare = draw_bare(size as usize, shape);
                    let whole = render(&avatar, fonts);
                    let band = render_band(&avatar, fonts, &bare).unwrap();
                    let (top, bottom) = whole.over.unwrap().rows;
                    let (left, right) = band.cols;
                    let n = size as usize;
                    let case = format!("{size} {shape:?} {content:?}");
                    assert_eq!(band.rows, (top, bottom), "{case}");
                    assert!(left % 2 == 0 && (right % 2 == 0 || right == n), "{case}");
                    assert_eq!(band.palette, whole.palette);
                    let mut inside = Vec::new();
                    for (y, (row, bare_row)) in
                        whole.indices.chunks(n).zip(bare.chunks(n)).enumerate()
                    {
                        if (top..bottom).contains(&y) {
                            inside.extend_from_slice(&row[left..right]);
                            assert_eq!(row[..left], bare_row[..left], "{case}");
                            assert_eq!(row[right..], bare_row[right..], "{case}");
                        } else {
                            assert_eq!(row, bare_row, "{case}");
                        }
                    }
                    assert_eq!(band.indices, inside, "{case}");
                }
            }
        }
        assert!(render_band(
            &Avatar::blue(64, Shape::Circle, Content::Text("A")),
            fonts,
            &[0; 10]
        )
        .is_none());
    }

    #[test]
    fn text_over_is_composite_of_the_rounded_coverage() {
        // Every pixel index against every level, at every offset of the
        // eight- and sixteen-pixel paths and their tails.
        let levels: Vec<u8> = (0..=TEXT_LEVELS).collect();
        let pixels: Vec<u8> = (0..PALETTE_LEN as u8).collect();
        let mut row = Vec::new();
        let mut q = Vec::new();
        for &p in &pixels {
            for &l in &levels {
                row.push(p);
                q.push(l);
            }
        }
        for start in 0..17 {
            for len in [0, 1, 7, 8, 9, 15, 16, 17, 33, row.len() - start] {
                let end = (start + len).min(row.len());
                let mut got = row[start..end].to_vec();
                text_over(&mut got, &q[start..end]);
                for (i, &g) in got.iter().enumerate() {
                    let (p, l) = (row[start + i], q[start + i]);
                    // The coverage whose rounding is l: c = l × 255 / 6 rounds back to l.
                    let c = (u32::from(l) * 255 / u32::from(TEXT_LEVELS)) as u8;
                    assert_eq!(TEXT_INDEX[c as usize], OPAQUE + l);
                    assert_eq!(g, composite(p, c), "p {p} level {l}");
                }
            }
        }
    }

    #[test]
    fn circle_is_transparent_in_corners_and_opaque_inside() {
        let img = avatar(64, Shape::Circle, Content::Text("AB"));
        assert_eq!(img.indices[0], 0);
        assert_eq!(img.indices[63], 0);
        assert_eq!(img.indices[64 * 63], 0);
        assert_eq!(img.indices[64 * 2 + 32], OPAQUE, "top middle");
        // The disc's area is about pi/4 of the square.
        let alpha: f32 = img.to_rgba().chunks(4).map(|p| p[3] as f32 / 255.0).sum();
        let expected = std::f32::consts::PI / 4.0 * 64.0 * 64.0;
        assert!(
            (alpha - expected).abs() / expected < 0.01,
            "{alpha} vs {expected}"
        );
    }

    #[test]
    fn nothing_is_drawn_outside_the_shape() {
        for content in [Content::Placeholder, Content::Text("WWW")] {
            let img = avatar(128, Shape::Circle, content);
            for (n, &i) in img.indices.iter().enumerate() {
                let (x, y) = ((n % 128) as f32 + 0.5, (n / 128) as f32 + 0.5);
                let d = ((x - 64.0).powi(2) + (y - 64.0).powi(2)).sqrt();
                if d > 64.5 {
                    assert_eq!(i, 0, "pixel {n} outside the circle is {i}");
                }
                if d > 63.7 {
                    assert!(i <= OPAQUE, "pixel {n} on the edge is {i}");
                }
            }
        }
    }

    #[test]
    fn square_is_opaque_everywhere() {
        let img = avatar(32, Shape::Square, Content::Placeholder);
        assert!(img.indices.iter().all(|&i| i >= OPAQUE));
    }

    #[test]
    fn rounded_has_transparent_corner_and_opaque_edge_middle() {
        let img = avatar(100, Shape::Rounded, Content::Placeholder);
        assert_eq!(img.indices[0], 0);
        assert_eq!(img.indices[50], OPAQUE, "middle of the top edge");
    }

    #[test]
    fn text_is_centred() {
        let img = avatar(128, Shape::Circle, Content::Text("HH"));
        let text: Vec<(usize, usize)> = img
            .indices
            .iter()
            .enumerate()
            .filter(|(_, &i)| i > OPAQUE + TEXT_LEVELS / 2)
            .map(|(n, _)| (n % 128, n / 128))
            .collect();
        let (xs, ys): (Vec<_>, Vec<_>) = text.into_iter().unzip();
        let mid = |v: &[usize]| (*v.iter().min().unwrap() + *v.iter().max().unwrap()) as f32 / 2.0;
        assert!((mid(&xs) - 63.5).abs() <= 1.0, "x centre {}", mid(&xs));
        assert!((mid(&ys) - 63.5).abs() <= 1.0, "y centre {}", mid(&ys));
    }

    #[test]
    fn placeholder_palette_is_neutral() {
        let img = render(
            &Avatar::placeholder(64, Shape::Circle),
            Fonts::get().unwrap(),
        );
        assert!(img.indices.contains(&(OPAQUE + TEXT_LEVELS)));
    }

    #[test]
    fn composite_levels_round_to_nearest() {
        for c in 0..=255u8 {
            let exact = (u32::from(c) * u32::from(TEXT_LEVELS) + 127) / 255;
            assert_eq!(u32::from(composite(OPAQUE, c) - OPAQUE), exact, "{c}");
            assert_eq!(composite(OPAQUE - 1, c), OPAQUE - 1, "edge wins");
        }
    }

    #[test]
    fn palette_ends_are_exact() {
        let p = palette(Rgb(10, 20, 30), Rgb(200, 210, 220));
        assert_eq!(p[0], [10, 20, 30, 0]);
        assert_eq!(p[OPAQUE as usize], [10, 20, 30, 255]);
        assert_eq!(p[PALETTE_LEN - 1], [200, 210, 220, 255]);
    }
}
