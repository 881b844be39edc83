//! The wasm-size probe of `make bench`: a wasm32-wasip1 program that reads
//! bytes from stdin, feeds them to exactly one piece (chosen by a Cargo
//! feature) and prints a checksum of what it returns. The input comes from
//! outside, so the optimiser cannot fold the piece away; the `baseline`
//! build does the same I/O with no piece, so a build's size minus the
//! baseline's is the code that piece links (with monogram's release profile:
//! opt-level 3, LTO, one codegen unit, panic=abort, stripped).
//!
//! A program, not a cdylib: a cdylib would export monogram's proxy-wasm
//! entry points and so link the whole filter; a program exports only
//! `_start`, and LTO drops everything the piece does not reach.
//!
//! Every piece is compiled in every build (so one `cargo clippy` checks them
//! all); the feature picks the one `main` calls.
#![allow(dead_code)]

use monogram::{zlib_into, Cache, Command, Entry, RequestOutcome};
use monogram_dev::alternatives::{self, Indexed};
use std::io::Read;
use std::rc::Rc;

#[cfg(feature = "ab-glyph-rasterizer")]
use ab_glyph_rasterizer as run;
#[cfg(feature = "base64")]
use base64 as run;
#[cfg(feature = "base64ct")]
use base64ct as run;
#[cfg(feature = "baseline")]
use baseline as run;
#[cfg(feature = "miniz-oxide")]
use miniz_oxide as run;
#[cfg(feature = "ours-cache")]
use ours_cache as run;
#[cfg(feature = "ours-encoder")]
use ours_encoder as run;
#[cfg(feature = "ours-raster")]
use ours_raster as run;
#[cfg(feature = "png-balanced")]
use png_balanced as run;
#[cfg(feature = "png-fast")]
use png_fast as run;
#[cfg(feature = "tiny-skia")]
use tiny_skia as run;

fn main() {
    let mut input = Vec::new();
    if std::io::stdin().read_to_end(&mut input).is_err() {
        return;
    }
    let output = run(&input);
    println!(
        "{} {}",
        output.len(),
        output.iter().map(|&b| u64::from(b)).sum::<u64>()
    );
}

/// Reads the input as a stream of small numbers.
struct Bytes<'a>(std::slice::Iter<'a, u8>);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        self.0.next().copied().unwrap_or(0)
    }
    fn coord(&mut self) -> f32 {
        f32::from(self.byte()) / 4.0
    }
}

/// An image of 4-bit palette indices and its palette.
fn image(input: &[u8]) -> Indexed {
    let mut b = Bytes(input.iter());
    let size = u32::from(b.byte()).max(1);
    Indexed {
        size,
        palette: (0..12)
            .map(|_| [b.byte(), b.byte(), b.byte(), b.byte()])
            .collect(),
        indices: (0..size * size).map(|_| b.byte() % 12).collect(),
    }
}

/// A canvas side and outline steps inside it.
fn outline(input: &[u8]) -> (usize, Vec<Command>) {
    let mut b = Bytes(input.iter());
    let side = usize::from(b.byte()).max(1);
    let mut steps = Vec::new();
    while b.0.len() > 0 {
        steps.push(match b.byte() % 5 {
            0 => Command::Move(b.coord(), b.coord()),
            1 => Command::Line(b.coord(), b.coord()),
            2 => Command::Quad(b.coord(), b.coord(), b.coord(), b.coord()),
            3 => Command::Cubic(
                b.coord(),
                b.coord(),
                b.coord(),
                b.coord(),
                b.coord(),
                b.coord(),
            ),
            _ => Command::Close,
        });
    }
    (side, steps)
}

/// Cache keys and body sizes.
fn requests(input: &[u8]) -> Vec<(String, usize)> {
    input
        .chunks(3)
        .map(|c| {
            let key = c.iter().map(|&b| char::from(b'a' + b % 26)).collect();
            (key, c.len() * 300)
        })
        .collect()
}

fn baseline(input: &[u8]) -> Vec<u8> {
    input.to_vec()
}

/// monogram's encoder (src/draw/deflate.rs) in the same chunks as the miniz_oxide build.
fn ours_encoder(input: &[u8]) -> Vec<u8> {
    let im = image(input);
    let stride = (im.size as usize).div_ceil(2) + 1;
    let mut idat = Vec::new();
    zlib_into(&mut idat, &alternatives::packed_rows(&im, true), stride);
    alternatives::png_container(&im, &idat)
}

fn png_fast(input: &[u8]) -> Vec<u8> {
    alternatives::png_crate(&image(input), png::Compression::Fast).unwrap_or_default()
}

fn png_balanced(input: &[u8]) -> Vec<u8> {
    alternatives::png_crate(&image(input), png::Compression::Balanced).unwrap_or_default()
}

fn miniz_oxide(input: &[u8]) -> Vec<u8> {
    alternatives::miniz(&image(input), input.last().copied().unwrap_or(6) % 10)
}

fn ours_raster(input: &[u8]) -> Vec<u8> {
    let (side, steps) = outline(input);
    alternatives::fill_ours(side, side, &steps)
}

fn tiny_skia(input: &[u8]) -> Vec<u8> {
    let (side, steps) = outline(input);
    alternatives::fill_tiny_skia(side, side, &steps)
}

fn ab_glyph_rasterizer(input: &[u8]) -> Vec<u8> {
    let (side, steps) = outline(input);
    alternatives::fill_ab_glyph(side, side, &steps)
}

/// Gets each key, inserting it on a miss; the bodies' lengths on hits.
fn ours_cache(input: &[u8]) -> Vec<u8> {
    let mut cache = Cache::new(usize::from(input.first().copied().unwrap_or(0)) << 12);
    let mut out = Vec::new();
    for (key, n) in requests(input) {
        match cache.get(&key) {
            Some(e) => out.push(e.body.len() as u8),
            None => {
                let entry = Entry {
                    body: vec![1; n],
                    etag: key.clone(),
                    content_type: "image/png",
                    outcome: RequestOutcome::Rendered,
                    script: None,
                };
                cache.insert(Rc::new(entry));
            }
        }
    }
    out
}

/// Encodes the input, then decodes it back 22 characters at a time.
fn round_trip(
    input: &[u8],
    encode: fn(&[u8]) -> String,
    decode: fn(&str) -> Option<[u8; 16]>,
) -> Vec<u8> {
    let text = encode(input);
    let mut out = text.clone().into_bytes();
    for chunk in text.as_bytes().chunks(22) {
        if let Some(tag) = std::str::from_utf8(chunk).ok().and_then(decode) {
            out.extend_from_slice(&tag);
        }
    }
    out
}

fn base64(input: &[u8]) -> Vec<u8> {
    round_trip(
        input,
        alternatives::encode_base64,
        alternatives::decode_base64,
    )
}

fn base64ct(input: &[u8]) -> Vec<u8> {
    round_trip(
        input,
        alternatives::encode_base64ct,
        alternatives::decode_base64ct,
    )
}
