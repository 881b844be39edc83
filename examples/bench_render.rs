//! Native render cost per avatar, split into glyph rasterisation, drawing and
//! PNG encoding; plus response bytes. Run by `make bench` (release mode):
//! `cargo run --release --example bench_render`
//!
//! Each figure is the fastest of 15 timed batches, in microseconds per avatar
//! on one core: on a shared machine noise only ever adds time, and a median
//! moved by ±40% between runs here while the fastest batch held steady. Names vary so no step sees the same input twice in a row.
//! "glyphs" rasterises the outlines (no cache); "draw" is the rest of a render
//! (layout, shape, compositing) with glyphs from the per-VM glyph cache and
//! over the bare shape of the size (src/draw/bare.rs), as in a running proxy;
//! "encode" packs and compresses it over that shape's encoding, as the
//! filter does; the two totals bracket a render with and without the glyph
//! cache.
//! The encoder against the crates it replaces: examples/bench_crates.rs.
use monogram::{
    bare_shape, encode_png_over, font_px, handle_once, pick, render_on, text_colour_for, Avatar,
    Bare, Config, Content, Fonts, HttpRequest, Outcome, Shape, DEFAULT_PALETTE,
};
use std::hint::black_box;
use std::time::Instant;

const NAMES: [&str; 16] = [
    "AL", "GH", "MS", "JD", "DW", "QJ", "WM", "KT", "RB", "EO", "NP", "CV", "XY", "ZA", "HI", "OS",
];

fn fastest_us(mut f: impl FnMut(usize), batch: usize) -> f64 {
    let mut samples: Vec<f64> = (0..15)
        .map(|round| {
            let start = Instant::now();
            for i in 0..batch {
                f(round * batch + i);
            }
            start.elapsed().as_secs_f64() * 1e6 / batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[0]
}

fn avatar(i: usize, size: u32) -> Avatar<'static> {
    let text = NAMES[i % NAMES.len()];
    let bg = pick(DEFAULT_PALETTE, text);
    Avatar {
        size,
        shape: Shape::Circle,
        bg,
        fg: text_colour_for(bg),
        content: Content::Text(text),
        font_size: None,
    }
}

/// Real names, as they arrive in URLs, for the response-size table.
const PEOPLE: [&str; 16] = [
    "Ada%20Lovelace",
    "Grace%20Hopper",
    "Alan%20Turing",
    "Katherine%20Johnson",
    "Edsger%20Dijkstra",
    "Barbara%20Liskov",
    "Donald%20Knuth",
    "Margaret%20Hamilton",
    "Tim%20Berners-Lee",
    "Radia%20Perlman",
    "Ken%20Thompson",
    "Frances%20Allen",
    "John%20McCarthy",
    "Shafi%20Goldwasser",
    "Leslie%20Lamport",
    "Hedy%20Lamarr",
];

fn response_bytes(name: &str, size: u32) -> usize {
    let path = format!("/avatar/{name}?size={size}");
    let req = HttpRequest {
        method: "GET",
        path: &path,
        if_none_match: None,
        accept: None,
    };
    match handle_once(&Config::default(), &req) {
        Outcome::Respond(r) => r.body.len(),
        Outcome::PassThrough => 0,
    }
}

fn main() {
    let fonts = Fonts::get().expect("fonts load");
    println!(
        "| size px | glyphs µs | draw µs | encode µs | total µs, glyphs cached | total µs, glyphs rasterised | bytes (avg of 16) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for size in [64u32, 128, 512] {
        let batch = if size > 256 { 40 } else { 200 };
        let glyphs = fastest_us(
            |i| {
                let text = NAMES[i % NAMES.len()];
                let px = font_px(text, size as usize, None, fonts);
                for c in text.chars() {
                    black_box(fonts.rasterize(c, px));
                }
            },
            batch,
        );
        // Layout, shape and text with the glyphs from the per-VM glyph cache,
        // over the bare shape of this size, as every render after a VM's
        // first few (the first pass fills both).
        let bare = bare_shape(size as usize, Shape::Circle);
        let indices = bare.as_deref().map(|b| b.indices.as_slice());
        let draw = fastest_us(
            |i| drop(black_box(render_on(&avatar(i, size), fonts, indices))),
            batch,
        );
        let images: Vec<_> = (0..NAMES.len())
            .map(|i| render_on(&avatar(i, size), fonts, indices))
            .collect();
        let png = |im| encode_png_over(im, bare.as_deref().map(Bare::encoding));
        let encode = fastest_us(|i| drop(black_box(png(&images[i % images.len()]))), batch);
        let bytes: usize = images.iter().map(|im| png(im).map_or(0, |b| b.len())).sum();
        println!(
            "| {size} | {glyphs:.1} | {draw:.1} | {encode:.1} | {:.1} | {:.1} | {} |",
            draw + encode,
            glyphs + draw + encode,
            bytes / NAMES.len()
        );
    }
    println!();
    println!("Response bytes for 16 real names (Ada Lovelace, Grace Hopper, ...), default shape:");
    println!();
    println!("| size px | mean | min | max |");
    println!("|---|---|---|---|");
    for size in [64, 128, 256] {
        let b: Vec<usize> = PEOPLE.iter().map(|n| response_bytes(n, size)).collect();
        println!(
            "| {size} | {} | {} | {} |",
            b.iter().sum::<usize>() / b.len(),
            b.iter().min().unwrap(),
            b.iter().max().unwrap()
        );
    }
}
