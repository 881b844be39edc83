//! The indexed PNG against a straightforward RGBA render of the same avatar:
//! tiny-skia fills the shape with anti-aliasing, the text's exact coverage is
//! blended over it in floating point, and the PNG we serve is decoded and
//! compared pixel by pixel. This bounds what the 12-entry palette costs.

use monogram::{
    handle_once, pick, text_colour_for, text_coverage, Config, Fonts, HttpRequest, Outcome, Shape,
    DEFAULT_PALETTE, ROUNDED_RADIUS,
};
use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

fn served_rgba(path: &str) -> (u32, Vec<u8>) {
    let req = HttpRequest {
        method: "GET",
        path,
        if_none_match: None,
        accept: None,
    };
    let Outcome::Respond(r) = handle_once(&Config::default(), &req) else {
        panic!("passed through")
    };
    let mut d = png::Decoder::new(std::io::Cursor::new(r.body));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = d.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, buf)
}

/// Straight-alpha RGBA of the avatar, rendered the obvious way.
fn reference_rgba(size: u32, shape: Shape, name_key: &str, text: &str) -> Vec<u8> {
    let bg = pick(DEFAULT_PALETTE, name_key);
    let fg = text_colour_for(bg);
    let s = size as f32;
    let path = match shape {
        Shape::Circle => PathBuilder::from_circle(s / 2.0, s / 2.0, s / 2.0).unwrap(),
        Shape::Square => PathBuilder::from_rect(Rect::from_xywh(0.0, 0.0, s, s).unwrap()),
        Shape::Rounded => {
            let r = s * ROUNDED_RADIUS;
            let k = r * 0.552_284_8; // cubic approximation of a quarter circle
            let mut pb = PathBuilder::new();
            pb.move_to(r, 0.0);
            pb.line_to(s - r, 0.0);
            pb.cubic_to(s - r + k, 0.0, s, r - k, s, r);
            pb.line_to(s, s - r);
            pb.cubic_to(s, s - r + k, s - r + k, s, s - r, s);
            pb.line_to(r, s);
            pb.cubic_to(r - k, s, 0.0, s - r + k, 0.0, s - r);
            pb.line_to(0.0, r);
            pb.cubic_to(0.0, r - k, r - k, 0.0, r, 0.0);
            pb.close();
            pb.finish().unwrap()
        }
    };
    // The shape at 8× and box-filtered down: accurate area coverage, free of
    // any one rasteriser's edge quirks.
    const SS: u32 = 8;
    let mut big = Pixmap::new(size * SS, size * SS).unwrap();
    let mut paint = Paint::default();
    paint.set_color_rgba8(255, 255, 255, 255);
    paint.anti_alias = true;
    let scale = Transform::from_scale(SS as f32, SS as f32);
    big.fill_path(&path, &paint, FillRule::Winding, scale, None);
    let shape_alpha = |x: u32, y: u32| -> f32 {
        let mut sum = 0u32;
        for sy in 0..SS {
            for sx in 0..SS {
                sum += u32::from(big.pixel(x * SS + sx, y * SS + sy).unwrap().alpha());
            }
        }
        sum as f32 / (255 * SS * SS) as f32
    };
    let coverage = text_coverage(size as usize, text, Fonts::get().unwrap());
    let mut out = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let a = shape_alpha(x, y);
            let t = f32::from(coverage[(y * size + x) as usize]) / 255.0;
            let mix = |b: u8, f: u8| (f32::from(b) * (1.0 - t) + f32::from(f) * t).round() as u8;
            out.extend([
                mix(bg.0, fg.0),
                mix(bg.1, fg.1),
                mix(bg.2, fg.2),
                (a * 255.0).round() as u8,
            ]);
        }
    }
    out
}

#[test]
fn indexed_png_is_within_a_few_levels_of_an_rgba_render() {
    let cases = [
        (128, Shape::Circle, "Ada%20Lovelace", "ada lovelace", "AL"),
        (128, Shape::Circle, "Grace%20Hopper", "grace hopper", "GH"),
        (
            64,
            Shape::Rounded,
            "Ken%20Thompson?shape=rounded&size=64",
            "ken thompson",
            "KT",
        ),
        (
            256,
            Shape::Square,
            "Mary%20Ann%20Smith?length=3&shape=square&size=256",
            "mary ann smith",
            "MAS",
        ),
        (32, Shape::Circle, "Wu?size=32", "wu", "W"),
    ];
    for (size, shape, path, key, text) in cases {
        let (w, got) = served_rgba(&format!("/avatar/{path}"));
        assert_eq!(w, size);
        let want = reference_rgba(size, shape, key, text);
        let mut worst = 0u8;
        let mut total = 0u64;
        for (a, b) in got.chunks(4).zip(want.chunks(4)) {
            // Compare what shows when composited: premultiplied colour, and alpha.
            let pm = |p: &[u8]| {
                let a = u32::from(p[3]);
                [0, 1, 2].map(|i| ((u32::from(p[i]) * a + 127) / 255) as u8)
            };
            let d = pm(a)
                .iter()
                .zip(pm(b))
                .map(|(x, y)| x.abs_diff(y))
                .chain([a[3].abs_diff(b[3])])
                .max()
                .unwrap();
            worst = worst.max(d);
            total += u64::from(d);
        }
        let mean = total as f64 / f64::from(size * size);
        // Quantisation alone allows half a step: 10% of alpha at the edge (26)
        // and 1/12 of the text contrast (≤ 21); the one-pixel edge ramp is
        // within a few percent of exact area coverage.
        assert!(worst <= 36, "{path}: worst channel difference {worst}");
        eprintln!("{path}: worst {worst}, mean {mean:.2}");
        assert!(mean < 2.0, "{path}: mean difference {mean:.2} per pixel");
    }
}
