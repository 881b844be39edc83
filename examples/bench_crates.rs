//! Each hand-written piece of monogram against the crates that could replace
//! it, time and bytes measured in one run: the PNG encoder (src/draw/encode.rs +
//! src/draw/deflate.rs) against the png crate and miniz_oxide; and the crates in
//! use where a crate was as good: the glyph rasteriser (ab_glyph_rasterizer,
//! against the hand-written one it replaced and tiny-skia, on the same
//! outlines), the avatar cache (`lru`) and the `sig` base64 (`base64ct`,
//! beside `base64`).
//!
//! Run by `make bench` natively and, built for wasm32-wasip1, under node's V8
//! (the engine Envoy runs the filter in); bench/run.py adds each piece's wasm
//! size (bench/wasm-size) and writes the tables into bench/results.md.
//! Output: one JSON object per line: `section`, `case`, `impl`, `wasm` (the
//! bench/wasm-size feature that links this implementation), `us` (time per
//! operation in microseconds: the fastest of 15 batches, the implementations
//! of a case taking turns batch by batch, so drift on a shared machine lands
//! on all alike and noise, which only ever adds time, is dropped), and what
//! the section compares beside time (`bytes`, `heap`, `diff`).
//!
//! Every alternative's output is checked against ours (same pixels, same
//! text) before it is timed.
use monogram::{
    encode_png, font_px, pick, render, sign, text_colour_for, Avatar, Cache, Command, Content,
    Entry, Fonts, RequestOutcome, Shape, SigningKey, DEFAULT_PALETTE,
};
use monogram_counting_alloc::{current, Counting};
use monogram_dev::alternatives::{self, Indexed};
use serde_json::{json, Value};
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

/// Counts the bytes held on the heap, so the caches' own memory per entry can
/// be measured (natively and in wasm alike).
#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One implementation of a case: its label, its bench/wasm-size feature
/// (empty if none), and what it does.
type Named<'a, F> = (&'a str, &'a str, F);
/// An operation to time, called with a running index to vary its input.
type Contender<'a> = Named<'a, Box<dyn FnMut(usize) + 'a>>;
/// An encoder of the `i`-th image.
type Encoder<'a> = Box<dyn Fn(usize) -> Vec<u8> + 'a>;
/// A rasteriser: coverage bytes of a placed outline.
type Fill = fn(&Placed) -> Vec<u8>;

/// Microseconds per call of each contender: the fastest of 15 batches of
/// `batch` calls, the contenders taking turns batch by batch.
fn race(contenders: &mut [Contender], batch: usize) -> Vec<f64> {
    let mut best = vec![f64::INFINITY; contenders.len()];
    for round in 0..15 {
        for (b, (_, _, f)) in best.iter_mut().zip(contenders.iter_mut()) {
            let start = Instant::now();
            for i in 0..batch {
                f(round * batch + i);
            }
            *b = b.min(start.elapsed().as_secs_f64() * 1e6 / batch as f64);
        }
    }
    best
}

fn emit(section: &str, case: &str, label: &str, wasm: &str, us: f64, extra: Value) {
    let mut row = json!({"section": section, "case": case, "impl": label, "wasm": wasm, "us": us});
    if let (Some(row), Value::Object(extra)) = (row.as_object_mut(), extra) {
        row.extend(extra);
    }
    println!("{row}");
}

// ---- encoder -----------------------------------------------------------------

const NAMES: [&str; 16] = [
    "AL", "GH", "MS", "JD", "DW", "QJ", "WM", "KT", "RB", "EO", "NP", "CV", "XY", "ZA", "HI", "OS",
];

fn decode_rgba(bytes: &[u8]) -> Vec<u8> {
    let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut r = d.read_info().expect("decodes");
    let mut buf = vec![0; r.output_buffer_size().expect("size")];
    let info = r.next_frame(&mut buf).expect("frame");
    buf.truncate(info.buffer_size());
    buf
}

fn encoders(fonts: &Fonts) {
    for size in [64u32, 128, 512] {
        let renders: Vec<_> = NAMES
            .iter()
            .map(|text| {
                let bg = pick(DEFAULT_PALETTE, text);
                let avatar = Avatar {
                    size,
                    shape: Shape::Circle,
                    bg,
                    fg: text_colour_for(bg),
                    content: Content::Text(text),
                    font_size: None,
                };
                render(&avatar, fonts)
            })
            .collect();
        let images: Vec<Indexed> = renders
            .iter()
            .map(|r| Indexed {
                size: r.size,
                palette: r.palette.to_vec(),
                indices: r.indices.clone(),
            })
            .collect();
        let n = images.len();
        let ours = |i: usize| encode_png(&renders[i % n]).expect("encodes");
        let contenders: Vec<Named<Encoder>> = vec![
            (
                "monogram (src/draw/encode.rs + src/draw/deflate.rs)",
                "ours-encoder",
                Box::new(ours),
            ),
            (
                "png 0.18, Compression::Fast (fdeflate, adaptive filter)",
                "png-fast",
                Box::new(|i| {
                    alternatives::png_crate(&images[i % n], png::Compression::Fast)
                        .expect("encodes")
                }),
            ),
            (
                "png 0.18, Compression::Balanced (zlib level 6, adaptive filter)",
                "png-balanced",
                Box::new(|i| {
                    alternatives::png_crate(&images[i % n], png::Compression::Balanced)
                        .expect("encodes")
                }),
            ),
            (
                "png 0.18, Compression::High (zlib level 9, adaptive filter)",
                "png-balanced",
                Box::new(|i| {
                    alternatives::png_crate(&images[i % n], png::Compression::High)
                        .expect("encodes")
                }),
            ),
            (
                "miniz_oxide 0.8, level 1 (no filter, our chunks)",
                "miniz-oxide",
                Box::new(|i| alternatives::miniz(&images[i % n], 1)),
            ),
            (
                "miniz_oxide 0.8, level 6 (no filter, our chunks)",
                "miniz-oxide",
                Box::new(|i| alternatives::miniz(&images[i % n], 6)),
            ),
        ];
        // Same pixels from every encoder, and the mean size of each.
        let mut bytes = Vec::new();
        for (label, _, f) in &contenders {
            let mut total = 0;
            for (i, r) in renders.iter().enumerate() {
                let png = f(i);
                assert_eq!(decode_rgba(&png), r.to_rgba(), "{label} at {size} px");
                total += png.len();
            }
            bytes.push(total / n);
        }
        let batch = if size > 256 { 16 } else { 128 };
        let times = race(
            &mut contenders
                .iter()
                .map(|(label, wasm, f)| -> Contender {
                    (label, wasm, Box::new(move |i| drop(black_box(f(i)))))
                })
                .collect::<Vec<_>>(),
            batch,
        );
        for (((label, wasm, _), us), b) in contenders.iter().zip(times).zip(bytes) {
            emit(
                "encoder",
                &format!("{size} px"),
                label,
                wasm,
                us,
                json!({"bytes": b}),
            );
        }
    }
}

// ---- rasteriser --------------------------------------------------------------

/// One letter from each font but the Latin one.
const LETTERS: [char; 10] = ['Ա', 'Ა', 'ה', 'م', 'क', 'ক', 'க', 'ก', '国', '한'];

/// A glyph outline moved to its pixel box: side lengths and steps.
struct Placed {
    width: usize,
    height: usize,
    steps: Vec<Command>,
}

fn place(fonts: &Fonts, c: char, body: f32) -> Option<Placed> {
    let o = fonts.outline(c, body)?;
    let (left, top) = (o.bounds.0.floor(), o.bounds.1.floor());
    let steps = o
        .commands
        .iter()
        .map(|s| match *s {
            Command::Move(x, y) => Command::Move(x - left, y - top),
            Command::Line(x, y) => Command::Line(x - left, y - top),
            Command::Quad(x1, y1, x, y) => Command::Quad(x1 - left, y1 - top, x - left, y - top),
            Command::Cubic(x1, y1, x2, y2, x, y) => {
                Command::Cubic(x1 - left, y1 - top, x2 - left, y2 - top, x - left, y - top)
            }
            Command::Close => Command::Close,
        })
        .collect();
    Some(Placed {
        width: (o.bounds.2.ceil() - left) as usize,
        height: (o.bounds.3.ceil() - top) as usize,
        steps,
    })
}

fn fill_ours(g: &Placed) -> Vec<u8> {
    alternatives::fill_ours(g.width, g.height, &g.steps)
}

fn fill_tiny_skia(g: &Placed) -> Vec<u8> {
    alternatives::fill_tiny_skia(g.width, g.height, &g.steps)
}

fn fill_ab_glyph(g: &Placed) -> Vec<u8> {
    alternatives::fill_ab_glyph(g.width, g.height, &g.steps)
}

fn rasterisers(fonts: &Fonts) {
    for size in [128usize, 512] {
        let glyphs: Vec<Placed> = LETTERS
            .iter()
            .filter_map(|&c| place(fonts, c, font_px(&format!("{c}{c}"), size, None, fonts)))
            .collect();
        assert_eq!(glyphs.len(), LETTERS.len(), "every letter has an outline");
        let n = glyphs.len();
        let mut contenders: Vec<Named<Fill>> = vec![
            (
                "ab_glyph_rasterizer 0.1 (in use: src/fonts/table.rs)",
                "ab-glyph-rasterizer",
                fill_ab_glyph,
            ),
            (
                "hand-written signed-area rasteriser (used before; crates/dev/src/raster.rs)",
                "ours-raster",
                fill_ours,
            ),
            (
                "tiny-skia 0.12, Mask::fill_path (anti-aliased)",
                "tiny-skia",
                fill_tiny_skia,
            ),
        ];
        // How far each coverage is from the one in use, in levels of 255.
        let reference: Vec<Vec<u8>> = glyphs.iter().map(fill_ab_glyph).collect();
        let mut diffs = Vec::new();
        for (_, _, f) in &contenders {
            let (mut sum, mut max, mut pixels) = (0u64, 0u8, 0usize);
            for (g, want) in glyphs.iter().zip(&reference) {
                let got = f(g);
                assert_eq!(got.len(), want.len());
                for (a, b) in got.iter().zip(want) {
                    let d = a.abs_diff(*b);
                    sum += u64::from(d);
                    max = max.max(d);
                }
                pixels += want.len();
            }
            diffs.push((sum as f64 / pixels as f64, max));
        }
        let mut timed: Vec<Contender> = contenders
            .iter_mut()
            .map(|&mut (label, wasm, f)| -> Contender {
                let glyphs = &glyphs;
                (
                    label,
                    wasm,
                    Box::new(move |i| drop(black_box(f(&glyphs[i % n])))),
                )
            })
            .collect();
        let times = race(&mut timed, if size > 256 { 40 } else { 200 });
        let px: usize = glyphs.iter().map(|g| g.width * g.height).sum::<usize>() / n;
        for (((label, wasm, _), us), (mean, max)) in contenders.iter().zip(times).zip(diffs) {
            emit(
                "raster",
                &format!("{size} px avatar, {n} glyphs of ~{px} px"),
                label,
                wasm,
                us,
                json!({"diff_mean": mean, "diff_max": max}),
            );
        }
    }
}

// ---- cache ---------------------------------------------------------------------

/// The default `cache_bytes`, and a body the size of a 128 px avatar.
const CACHE_BYTES: usize = 4 << 20;
const BODY: usize = 1000;

fn entry(i: usize) -> Rc<Entry> {
    Rc::new(Entry {
        body: vec![(i % 251) as u8; BODY],
        etag: format!("\"{i:016x}\""),
        content_type: "image/png",
        outcome: RequestOutcome::Rendered,
        script: None,
    })
}

/// The avatar cache in use (the `lru` crate with a byte budget): time per hit
/// and per miss that inserts, and its own heap per entry.
fn caches() {
    // Images are kept under their ETag; here the ETag is the key itself.
    let cost = 2 * "/avatar/ABCD%20EFGH?size=128".len() + BODY + monogram::ENTRY_OVERHEAD;
    // Images get the budget less the aliases' share (src/flow/cache.rs).
    let fits = (CACHE_BYTES - CACHE_BYTES / monogram::ALIAS_SHARE) / cost;
    let keys: Vec<String> = (0..2 * fits)
        .map(|i| format!("/avatar/{:04X}%20{:04X}?size=128", i * 7919 % 65536, i))
        .collect();
    let entries: Vec<Rc<Entry>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut e = Rc::unwrap_or_clone(entry(i));
            e.etag = k.clone();
            Rc::new(e)
        })
        .collect();
    let label = "monogram (src/flow/cache.rs: lru 0.19 over std's SipHash map, bounded in bytes)";
    // The cache's own heap per entry (its key copy, map and list), the
    // entries themselves being allocated beforehand.
    let before = current() as isize;
    let mut cache = Cache::new(CACHE_BYTES);
    for e in entries.iter().take(fits) {
        cache.insert(Rc::clone(e));
    }
    let heap = (current() as isize - before) as f64 / fits as f64;
    assert_eq!(cache.len(), fits, "all {fits} entries fit");
    let hit = race(
        &mut [(
            label,
            "ours-cache",
            Box::new(|i: usize| drop(black_box(cache.get(&keys[i * 4099 % fits]))))
                as Box<dyn FnMut(usize)>,
        )],
        2000,
    );
    emit(
        "cache",
        &format!("hit: get among {fits} entries (4 MiB of 1 KB avatars)"),
        label,
        "ours-cache",
        hit[0],
        json!({"heap": heap}),
    );
    // A flood of new names: each a miss, then an insert that evicts the least
    // recently used (2 × `fits` keys in turn, so none is still there).
    let flood = race(
        &mut [(
            label,
            "ours-cache",
            Box::new(|i: usize| {
                let k = (fits + i) % keys.len();
                if cache.get(&keys[k]).is_none() {
                    cache.insert(Rc::clone(&entries[k]));
                }
            }) as Box<dyn FnMut(usize)>,
        )],
        2000,
    );
    emit(
        "cache",
        "miss, then insert evicting the least recently used",
        label,
        "ours-cache",
        flood[0],
        json!({}),
    );
}

// ---- base64 ----------------------------------------------------------------------

fn base64s() {
    let tags: Vec<[u8; 16]> = (0..256u32)
        .map(|i| {
            std::array::from_fn(|j| (i.wrapping_mul(2654435761) >> (j % 4 * 8)) as u8 ^ j as u8)
        })
        .collect();
    let sigs: Vec<String> = tags
        .iter()
        .map(|t| alternatives::encode_base64ct(t))
        .collect();
    let n = tags.len();
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (t, s) in tags.iter().zip(&sigs) {
        assert_eq!(&alternatives::encode_base64(t), s);
        // Strict alike: one spelling per tag (the 4 leftover bits must be zero).
        let mut loose = s.clone();
        let last = loose.pop().and_then(|c| ALPHABET.find(c)).expect("base64");
        loose.push(char::from(ALPHABET.as_bytes()[last ^ 1]));
        for decode in [alternatives::decode_base64ct, alternatives::decode_base64] {
            assert_eq!(decode(s).as_ref(), Some(t));
            assert_eq!(decode(&loose), None, "{loose}");
        }
    }
    let in_use = "base64ct 1, Base64UrlUnpadded (in use: src/doors/signing.rs)";
    let other = "base64 0.23, URL_SAFE_NO_PAD";
    let mut enc: Vec<Contender> = vec![
        (
            in_use,
            "base64ct",
            Box::new(|i| drop(black_box(alternatives::encode_base64ct(&tags[i % n])))),
        ),
        (
            other,
            "base64",
            Box::new(|i| drop(black_box(alternatives::encode_base64(&tags[i % n])))),
        ),
    ];
    let enc_times = race(&mut enc, 5000);
    let mut dec: Vec<Contender> = vec![
        (
            in_use,
            "base64ct",
            Box::new(|i| {
                black_box(alternatives::decode_base64ct(&sigs[i % n]));
            }),
        ),
        (
            other,
            "base64",
            Box::new(|i| {
                black_box(alternatives::decode_base64(&sigs[i % n]));
            }),
        ),
    ];
    let dec_times = race(&mut dec, 5000);
    for ((label, wasm, _), us) in enc.iter().zip(enc_times) {
        emit("base64", "encode a 16-byte tag", label, wasm, us, json!({}));
    }
    for ((label, wasm, _), us) in dec.iter().zip(dec_times) {
        emit(
            "base64",
            "decode a 22-character sig",
            label,
            wasm,
            us,
            json!({}),
        );
    }
    // For scale: the MAC that every signed request computes once per key.
    let key = SigningKey::new("0123456789abcdef0123456789abcdef").expect("a key");
    let mut mac: Vec<Contender> = vec![(
        "HMAC-SHA256 of a canonical URL (signing::sign), for scale",
        "",
        Box::new(|i| {
            drop(black_box(sign(
                &key,
                &format!("/avatar/Ada Lovelace\nsize={}", i % 500),
            )))
        }),
    )];
    let mac_time = race(&mut mac, 2000);
    emit(
        "base64",
        "sign one URL",
        mac[0].0,
        "",
        mac_time[0],
        json!({}),
    );
}

fn main() {
    let fonts = Fonts::get().expect("fonts load");
    encoders(fonts);
    rasterisers(fonts);
    caches();
    base64s();
}
