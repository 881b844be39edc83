//! `make bench`'s worst-case rows: the most expensive requests found against
//! a normal render of the same size, natively, whole request path (parse,
//! resolve, layout, rasterise, encode), glyph cache warm. What is drawn is
//! bounded (`avatar::bounded`: three characters of at most four code
//! points), so the worst stays within a small multiple of the normal.
//!
//! Prints a Markdown table: µs per request (fastest of 15 batches) and the
//! ratio to the normal render, and each answer's bytes. Every row is a 200
//! with an image, asserted: a request the filter refuses is no worst case.

use monogram::{handle_once, Config, HttpRequest, Outcome, MAX_NAME_BYTES, MAX_QUERY_BYTES};
use std::hint::black_box;
use std::time::Instant;

/// The body of `path`'s answer, which must be a 200 with an image.
fn answer(config: &Config, path: &str) -> Vec<u8> {
    let req = HttpRequest {
        method: "GET",
        path,
        if_none_match: None,
        accept: None,
    };
    match handle_once(config, &req) {
        Outcome::Respond(r) if r.status == 200 => {
            let image = r
                .header("content-type")
                .is_some_and(|t| t.starts_with("image/"));
            assert!(image, "{path}: 200 without an image");
            r.body
        }
        Outcome::Respond(r) => panic!(
            "{path}: {} {}, not a render",
            r.status,
            String::from_utf8_lossy(&r.body).trim()
        ),
        Outcome::PassThrough => panic!("{path}: not under the prefix"),
    }
}

/// U+0488 (combining cyrillic hundred thousands sign), percent-encoded: 2
/// bytes decoded, 6 in the URL.
const MARK: &str = "%D2%88";

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
    // As many marks as the query limit allows on each of three letters
    // (after `size=512&` and `initials=`), and as the name limit allows on
    // each of three words: the drawn text is cut to four code points a
    // character, so the rest costs parsing, normalising and segmenting.
    let in_query = (MAX_QUERY_BYTES - "size=512&initials=".len() - 3) / (3 * MARK.len());
    let in_name = (MAX_NAME_BYTES - "A B C".len()) / (3 * 2);
    let q = MARK.repeat(in_query);
    let n = MARK.repeat(in_name);
    let worst: Vec<(String, String, String)> = vec![
        (
            format!("a mark stacked {in_query} times on each of 3 initials (query limit)"),
            "x".to_string(),
            format!("initials=A{q}B{q}C{q}"),
        ),
        (
            format!("a name of 3 words, a mark stacked {in_name} times on each (name limit)"),
            format!("A{n}%20B{n}%20C{n}"),
            "length=3".to_string(),
        ),
        row(
            "three dense Han characters",
            "initials=%E9%BE%98%E9%BD%89%E9%AC%B1",
        ),
        row(
            "Vietnamese with stacked marks",
            "initials=%E1%BB%86%CC%83%CC%81%E1%BA%AE%CC%83",
        ),
        row("three wide Latin capitals", "initials=WMW"),
        row(
            "three Hangul syllables",
            "initials=%EB%98%A0%EB%B7%81%EC%8D%BD",
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
        for (label, name, query) in &worst {
            let path = format!("/avatar/{name}?size={size}&{query}");
            let png = answer(&config, &path).len();
            let us = fastest_us(&config, &path, batch);
            let svg = answer(&config, &format!("/avatar/{name}.svg?size={size}&{query}")).len();
            println!(
                "| {label} | {size} | {us:.1} | {:.2} | {png} | {svg} |",
                us / normal
            );
        }
    }
}

/// A row whose name is `x` and whose query draws the text.
fn row(label: &str, query: &str) -> (String, String, String) {
    (label.to_string(), "x".to_string(), query.to_string())
}
