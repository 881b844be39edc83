//! `make bench`'s worst-case rows: the most expensive requests found against
//! a normal render of the same size, natively, whole request path (parse,
//! resolve, layout, rasterise, encode), glyph cache warm. What is drawn is
//! bounded (`avatar::bounded`: three characters of at most four code
//! points), so the worst stays within a small multiple of the normal.
//!
//! Prints a Markdown table: µs per request (fastest of 15 batches) and the
//! ratio to the normal render, and each answer's bytes.

use monogram::{handle_once, Config, HttpRequest, Outcome};
use std::hint::black_box;
use std::time::Instant;

fn answer(config: &Config, path: &str) -> Vec<u8> {
    let req = HttpRequest {
        method: "GET",
        path,
        if_none_match: None,
        accept: None,
    };
    match handle_once(config, &req) {
        Outcome::Respond(r) => r.body,
        Outcome::PassThrough => Vec::new(),
    }
}

fn fastest_us(config: &Config, path: &str, batch: usize) -> f64 {
    (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                black_box(answer(config, path));
            }
            start.elapsed().as_secs_f64() * 1e6 / batch as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let config = Config::default();
    let marks = "%D2%88".repeat(160);
    let worst: Vec<(&str, String)> = vec![
        (
            "a mark stacked 160 times on each of 3 letters",
            format!("initials=A{marks}B{marks}C{marks}"),
        ),
        (
            "three dense Han characters",
            "initials=%E9%BE%98%E9%BD%89%E9%AC%B1".to_string(),
        ),
        (
            "Vietnamese with stacked marks",
            "initials=%E1%BB%86%CC%83%CC%81%E1%BA%AE%CC%83".to_string(),
        ),
        ("three wide Latin capitals", "initials=WMW".to_string()),
        (
            "three Hangul syllables",
            "initials=%EB%98%A0%EB%B7%81%EC%8D%BD".to_string(),
        ),
    ];
    println!("| request | size px | µs PNG | × normal | PNG bytes | SVG bytes |");
    println!("|---|---|---|---|---|---|");
    for size in [128u32, 512] {
        let batch = if size > 256 { 20 } else { 100 };
        let normal_path = format!("/avatar/Ada%20Lovelace?size={size}");
        let normal = fastest_us(&config, &normal_path, batch);
        let svg_normal = answer(&config, &format!("/avatar/Ada%20Lovelace.svg?size={size}")).len();
        println!(
            "| normal: Ada Lovelace | {size} | {normal:.1} | 1.00 | {} | {svg_normal} |",
            answer(&config, &normal_path).len()
        );
        for (label, query) in &worst {
            let path = format!("/avatar/x?size={size}&{query}");
            let us = fastest_us(&config, &path, batch);
            let png = answer(&config, &path).len();
            let svg = answer(&config, &format!("/avatar/x.svg?size={size}&{query}")).len();
            println!(
                "| {label} | {size} | {us:.1} | {:.2} | {png} | {svg} |",
                us / normal
            );
        }
    }
}
