//! Renders and encodes distinct two-letter avatars in a loop, for profilers
//! (`valgrind --tool=callgrind`, node's `--cpu-prof` on the wasm32-wasip1
//! build): `render_loop SIZE COUNT`. Prints the total bytes so nothing is
//! optimised away.
use monogram::{draw_png, pick, text_colour_for, Avatar, Content, Fonts, Shape, DEFAULT_PALETTE};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(128);
    let count: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let fonts = Fonts::get().expect("fonts load");
    let mut total = 0usize;
    let start = std::time::Instant::now();
    for i in 0..count {
        // The initials of `make bench`'s uncached names (bench/run.py):
        // the n-th name's are the letters n and 7n + 3, modulo 26.
        let a = (b'A' + (i % 26) as u8) as char;
        let b = (b'A' + ((7 * i + 3) % 26) as u8) as char;
        let text = format!("{a}{b}");
        let bg = pick(DEFAULT_PALETTE, &text);
        let avatar = Avatar {
            size,
            shape: Shape::Circle,
            bg,
            fg: text_colour_for(bg),
            content: Content::Text(&text),
            font_size: None,
        };
        let mut body = draw_png(&avatar, fonts).unwrap_or_default();
        body.shrink_to_fit();
        total += body.len();
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / count as f64;
    println!(
        "{count} renders at {size} px: {us:.1} µs each, {} bytes each",
        total / count
    );
}
