//! Golden images: each case renders natively and is compared, decoded pixel
//! by decoded pixel, with its reference PNG in `tests/golden/`. A mismatch
//! writes the render and a diff image under `target/golden-diff/`.
//! Accept new references with `make golden` (MONOGRAM_BLESS=1).
//!
//! Besides the fixed cases, every name of `tests/scripts.txt` (the contact
//! sheet's names, one or more per script) is a case `script-SLUG`, at 128 px.

mod support;

use std::path::{Path, PathBuf};
use support::{render, script_cases};

/// (file stem, request path)
pub const CASES: &[(&str, &str)] = &[
    ("ada-lovelace-128", "/avatar/Ada%20Lovelace"),
    ("ada-lovelace-16", "/avatar/Ada%20Lovelace?size=16"),
    ("ada-lovelace-512", "/avatar/Ada%20Lovelace?size=512"),
    ("email-64", "/avatar/jane.doe@example.com?size=64"),
    (
        "three-rounded-128",
        "/avatar/Mary%20Ann%20Smith?length=3&shape=rounded",
    ),
    ("one-square-96", "/avatar/Madonna?shape=square&size=96"),
    ("light-bg-128", "/avatar/Grace%20Hopper?bg=ffeb3b"),
    ("custom-fg-bg-128", "/avatar/x?initials=QJ&bg=000&fg=ff0"),
    ("placeholder-128", "/avatar/"),
    (
        "placeholder-rounded-40",
        "/avatar/%21?shape=rounded&size=40",
    ),
    ("accents-128", "/avatar/%C3%89lodie%20%C3%91%C3%BA%C3%B1ez"),
    ("wide-www-128", "/avatar/x?initials=WWW"),
];

/// Largest per-channel difference tolerated (rasteriser float noise across CPUs).
const TOLERANCE: u8 = 2;

fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut d = png::Decoder::new(std::io::Cursor::new(png_bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut r = d.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn write_rgba(path: &Path, w: u32, h: u32, rgba: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(rgba).unwrap();
}

#[test]
fn script_list_covers_every_script() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stems: Vec<String> = script_cases(root).into_iter().map(|c| c.0).collect();
    for script in [
        "latin",
        "vietnamese",
        "greek",
        "cyrillic",
        "armenian",
        "georgian",
        "hebrew",
        "arabic",
        "devanagari",
        "bengali",
        "tamil",
        "thai",
        "gujarati",
        "gurmukhi",
        "odia",
        "telugu",
        "kannada",
        "malayalam",
        "sinhala",
        "myanmar",
        "khmer",
        "lao",
        "tibetan",
        "ethiopic",
        "syriac",
        "thaana",
        "nko",
        "adlam",
        "tifinagh",
        "cherokee",
        "syllabics",
        "ol-chiki",
        "mongolian",
        "chinese",
        "japanese-kanji",
        "japanese-kana",
        "korean",
        "han-ext-b",
    ] {
        assert!(stems.contains(&format!("script-{script}")), "{script}");
    }
}

#[test]
fn renders_match_golden_images() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden_dir = root.join("tests/golden");
    let diff_dir = root.join("target/golden-diff");
    let bless = std::env::var_os("MONOGRAM_BLESS").is_some();
    let mut failures = Vec::new();
    let cases = CASES
        .iter()
        .map(|(stem, path)| (stem.to_string(), path.to_string()))
        .chain(script_cases(root));
    for (stem, path) in cases {
        let (stem, path) = (stem.as_str(), path.as_str());
        let png_bytes = render(path);
        let reference: PathBuf = golden_dir.join(format!("{stem}.png"));
        if bless {
            std::fs::write(&reference, &png_bytes).unwrap();
            continue;
        }
        let Ok(want_bytes) = std::fs::read(&reference) else {
            failures.push(format!("{stem}: no reference {}", reference.display()));
            continue;
        };
        let (w, h, got) = decode(&png_bytes);
        let (ww, wh, want) = decode(&want_bytes);
        if (w, h) != (ww, wh) {
            failures.push(format!("{stem}: size {w}x{h}, reference {ww}x{wh}"));
            continue;
        }
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap_or(0);
        if worst > TOLERANCE {
            std::fs::create_dir_all(&diff_dir).unwrap();
            // Diff image: red where pixels differ, scaled by how much; grey elsewhere.
            let diff: Vec<u8> = got
                .chunks(4)
                .zip(want.chunks(4))
                .flat_map(|(a, b)| {
                    let d = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
                    if d > TOLERANCE {
                        [255, 255 - d, 255 - d, 255]
                    } else {
                        [200, 200, 200, 255]
                    }
                })
                .collect();
            write_rgba(&diff_dir.join(format!("{stem}.diff.png")), w, h, &diff);
            std::fs::write(diff_dir.join(format!("{stem}.got.png")), &png_bytes).unwrap();
            failures.push(format!(
                "{stem}: pixels differ by up to {worst} (see {}/{stem}.diff.png)",
                diff_dir.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden images differ:\n  {}\nIf the change is intended, look at the renders, then run `make golden` and commit tests/golden/.",
        failures.join("\n  ")
    );
}
