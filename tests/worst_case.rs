//! The cost of one request is bounded by construction: whatever the name
//! or `initials`, at most three characters of at most four code points are
//! drawn (twelve glyphs), and no SVG answer exceeds 20 KB. Checked
//! structurally, by glyph count and body size, on the worst inputs found:
//! stacked marks, long clusters, dense glyphs, and every script's names.
//! (`make bench` prints what these cost against a normal render.)

mod support;

use monogram::{layout, parse, resolve, Config, Fonts, MAX_CLUSTERS, MAX_CLUSTER_CHARS};
use std::path::Path;

const MAX_SVG_BYTES: usize = 20 * 1024;
const MAX_GLYPHS: usize = MAX_CLUSTERS * MAX_CLUSTER_CHARS;

/// The longest of each kind the parser accepts (1024-byte query, 256-byte name).
fn worst_queries() -> Vec<String> {
    let marks = |m: &str, n: usize| m.repeat(n);
    vec![
        format!("initials=A{}", marks("%D2%88", 160)),
        format!("initials=A{0}B{0}C{0}", marks("%CC%81%CC%A3%CC%88", 16)),
        "initials=%E9%BE%98%E9%BD%89%E9%AC%B1".to_string(), // 龘齉鬱
        "initials=%F0%A0%AE%B7%E9%BE%98%E9%AC%B1".to_string(),
        "initials=WMW".to_string(),
        // The largest text size there is (it still fits the circle's chord).
        "initials=WMW&font-size=1".to_string(),
        format!(
            "initials=A{0}B{0}C{0}&font-size=1",
            marks("%CC%81%CC%A3%CC%88", 16)
        ),
        "initials=%E0%A4%95%E0%A5%8D%E0%A4%B7%E0%A4%BF%E0%A5%8D%E0%A4%B0".to_string(),
        format!("initials=%E0%B8%81{}", marks("%E0%B8%B4%E0%B9%89", 50)),
        "initials=%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7%E2%80%8D%F0%9F%91%A6"
            .to_string(),
    ]
}

#[test]
fn drawn_text_is_at_most_twelve_glyphs_and_svg_at_most_20_kb() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fonts = Fonts::get().unwrap();
    for config in [
        Config::default(),
        Config::from_json(br#"{"max_size":2048}"#).unwrap(),
    ] {
        let mut paths: Vec<String> = Vec::new();
        for q in worst_queries() {
            paths.push(format!("/avatar/x?size={}&{q}", config.max_size));
        }
        let stacked = format!("a{0}%20b{0}%20c{0}", "%CC%81".repeat(40));
        paths.push(format!(
            "/avatar/{stacked}?length=3&size={}",
            config.max_size
        ));
        for (_, path) in support::script_cases(root) {
            let sep = if path.contains('?') { '&' } else { '?' };
            let length = if path.contains("length=") {
                ""
            } else {
                "&length=3"
            };
            paths.push(format!("{path}{sep}size={}{length}", config.max_size));
        }
        for path in &paths {
            let parsed = parse(&config, path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let resolved = resolve(&config.palette, &parsed, fonts);
            let places = layout(
                &resolved.text,
                resolved.size as usize,
                resolved.font_size,
                fonts,
            )
            .places
            .len();
            assert!(places <= MAX_GLYPHS, "{path}: {places} glyphs");
            let svg_path = path.replacen('?', ".svg?", 1);
            let svg = support::render_with(&config, &svg_path);
            assert!(
                svg.len() <= MAX_SVG_BYTES,
                "{svg_path}: SVG of {} bytes",
                svg.len()
            );
        }
    }
}
