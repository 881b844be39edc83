//! Native render cost per avatar, split into glyph rasterisation, drawing and
//! PNG encoding; plus response bytes. Run by `make bench` (release mode):
//! `cargo run --release --example bench_render`
//!
//! Each figure is the median of several timed batches, in microseconds per
//! avatar on one core. Names vary so no step sees the same input twice in a row.
use monogram::colour::{pick, text_colour_for, DEFAULT_PALETTE};
use monogram::encode;
use monogram::fonts::Fonts;
use monogram::render::{font_px, render, Avatar, Content, Shape};
use std::hint::black_box;
use std::time::Instant;

const NAMES: [&str; 16] = [
    "AL", "GH", "MS", "JD", "DW", "QJ", "WM", "KT", "RB", "EO", "NP", "CV", "XY", "ZA", "HI", "OS",
];

fn median_us(mut f: impl FnMut(usize), batch: usize) -> f64 {
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
    samples[samples.len() / 2]
}

fn avatar(i: usize, size: u32) -> Avatar<'static> {
    let text = NAMES[i % NAMES.len()];
    let bg = pick(&DEFAULT_PALETTE, text);
    Avatar {
        size,
        shape: Shape::Circle,
        bg,
        fg: text_colour_for(bg),
        content: Content::Text(text),
    }
}

fn main() {
    let fonts = Fonts::get().expect("fonts load");
    println!("| size px | glyphs µs | draw µs | encode µs | total µs | bytes (avg of 16) |");
    println!("|---|---|---|---|---|---|");
    for size in [64u32, 128, 512] {
        let batch = if size > 256 { 40 } else { 200 };
        let glyphs = median_us(
            |i| {
                let text = NAMES[i % NAMES.len()];
                let px = font_px(text, size as usize, fonts);
                for c in text.chars() {
                    black_box(fonts.rasterize(c, px));
                }
            },
            batch,
        );
        let render_total = median_us(|i| drop(black_box(render(&avatar(i, size), fonts))), batch);
        let images: Vec<_> = (0..NAMES.len())
            .map(|i| render(&avatar(i, size), fonts))
            .collect();
        let encode = median_us(
            |i| drop(black_box(encode::png(&images[i % images.len()]))),
            batch,
        );
        let bytes: usize = images
            .iter()
            .map(|im| encode::png(im).map_or(0, |b| b.len()))
            .sum();
        let draw = (render_total - glyphs).max(0.0);
        println!(
            "| {size} | {glyphs:.1} | {draw:.1} | {encode:.1} | {:.1} | {} |",
            render_total + encode,
            bytes / NAMES.len()
        );
    }
}
