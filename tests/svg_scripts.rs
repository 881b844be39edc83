//! The SVG of an avatar in each script that needs more than the plain
//! outline path (Mongolian turned upright, Tibetan letters hanging below the
//! headline, right-to-left Adlam and N'Ko, Extension B from the CJK font)
//! puts the same amount of text colour in the same place as its PNG: the
//! upright turn and the new fonts' metrics reach both renderers alike.

mod support;

const SIZE: u32 = 128;

fn png_rgb(bytes: &[u8]) -> Vec<[u8; 3]> {
    let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut r = d.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (SIZE, SIZE));
    buf.chunks(4).map(|p| [p[0], p[1], p[2]]).collect()
}

fn svg_rgb(svg: &[u8]) -> Vec<[u8; 3]> {
    let text = std::str::from_utf8(svg).unwrap();
    let tree = resvg::usvg::Tree::from_str(text, &resvg::usvg::Options::default()).unwrap();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(SIZE, SIZE).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .pixels()
        .iter()
        .map(|p| {
            let p = p.demultiply();
            [p.red(), p.green(), p.blue()]
        })
        .collect()
}

/// Text colour per pixel, 0..=1: the projection of each pixel from the
/// background colour (the corner of a square avatar) to the text colour.
fn ink(rgb: &[[u8; 3]], bg: [u8; 3], fg: [u8; 3]) -> Vec<f32> {
    let (b, f) = (bg.map(f32::from), fg.map(f32::from));
    let span: f32 = (0..3).map(|k| (f[k] - b[k]).powi(2)).sum();
    rgb.iter()
        .map(|p| {
            let t: f32 = (0..3)
                .map(|k| (f32::from(p[k]) - b[k]) * (f[k] - b[k]))
                .sum();
            (t / span).clamp(0.0, 1.0)
        })
        .collect()
}

/// Total ink and its centroid, in pixels.
fn mass(ink: &[f32]) -> (f32, f32, f32) {
    let total: f32 = ink.iter().sum();
    let (mut cx, mut cy) = (0.0, 0.0);
    for (i, t) in ink.iter().enumerate() {
        cx += t * (i as u32 % SIZE) as f32;
        cy += t * (i as u32 / SIZE) as f32;
    }
    (total, cx / total, cy / total)
}

#[test]
fn svg_draws_what_the_png_draws_in_the_new_scripts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let slugs = [
        "mongolian",
        "mongolian-one",
        "tibetan",
        "adlam-lower",
        "nko",
        "han-ext-b",
        "cherokee",
        "kannada",
    ];
    let cases: Vec<(String, String)> = support::script_cases(root)
        .into_iter()
        .filter(|(stem, _)| {
            slugs
                .iter()
                .any(|s| stem.strip_prefix("script-") == Some(s))
        })
        .collect();
    assert_eq!(cases.len(), slugs.len());
    for (stem, path) in cases {
        let (stem_path, query) = path.split_once('?').unwrap_or((path.as_str(), ""));
        let query = format!("?size={SIZE}&shape=square&{query}");
        let query = query.trim_end_matches('&');
        let png = png_rgb(&support::render(&format!("{stem_path}{query}")));
        let svg = svg_rgb(&support::render(&format!("{stem_path}.svg{query}")));
        let bg = png[0];
        let fg = *png
            .iter()
            .max_by_key(|p| (0..3).map(|k| u32::from(p[k].abs_diff(bg[k]))).sum::<u32>())
            .unwrap();
        let (m1, x1, y1) = mass(&ink(&png, bg, fg));
        let (m2, x2, y2) = mass(&ink(&svg, bg, fg));
        let what = format!("{stem}: ink {m1} vs {m2}, centre ({x1}, {y1}) vs ({x2}, {y2})");
        assert!(m1 > 200.0, "{what}");
        assert!((m1 - m2).abs() / m1 < 0.05, "{what}");
        assert!((x1 - x2).abs() < 1.0 && (y1 - y2).abs() < 1.0, "{what}");
    }
}
