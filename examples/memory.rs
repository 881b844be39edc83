//! Where a VM's heap goes, measured natively with a counting allocator: the
//! fonts (natively copied out of the binary as a VM copies them out of the
//! module's font segment), one render at each size (its transient peak above what was
//! allocated before it, and what it leaves behind), the glyph cache and a
//! full avatar cache (bytes allocated against bytes charged). `make measure`
//! prints it beside the Envoy figures; docs/MEMORY.md explains them.
//!
//!     cargo run --release --example memory
//!
//! Figures are heap bytes as the Rust allocator is asked for them; in a wasm
//! VM dlmalloc adds its own headers and alignment (a few percent) and never
//! returns pages, so a VM's linear memory grows to the largest peak it has
//! seen and stays there.
use monogram::{handle, Budget, Cache, Config, Fonts, HttpRequest, Outcome, State};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now =
                    CURRENT.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn current() -> usize {
    CURRENT.load(Relaxed)
}

/// Runs `f`; returns (peak above the heap before it, heap left behind).
fn measure(f: impl FnOnce()) -> (usize, isize) {
    let before = current();
    PEAK.store(before, Relaxed);
    f();
    let peak = PEAK.load(Relaxed) - before;
    (peak, current() as isize - before as isize)
}

/// A VM's state with a cache of `capacity` bytes and the render budget off.
fn with_cache(capacity: usize) -> State {
    State {
        cache: Cache::new(capacity),
        budget: Budget::new(0, 0),
    }
}

/// Prints one table row: `what`, and [`measure`] of `f`.
fn row(what: &str, f: impl FnOnce()) {
    let (peak, kept) = measure(f);
    println!("| {what} | {} | {} |", kib(peak as f64), kib(kept as f64));
}

/// Requests `path` through the request path with `state` (the render
/// budget off: this measures memory, not admission); its body's length.
fn get(state: &mut State, path: &str) -> usize {
    let r = HttpRequest {
        method: "GET",
        path,
        if_none_match: None,
        accept: None,
    };
    match handle(&Config::default(), state, &r, &|| 0) {
        Outcome::Respond(r) => r.body.len(),
        Outcome::PassThrough => 0,
    }
}

fn kib(bytes: impl Into<f64>) -> String {
    format!("{:.1}", bytes.into() / 1024.0)
}

/// A name of two Latin capitals, distinct for each `i`.
fn latin(i: usize) -> String {
    let a = (b'A' + (i % 26) as u8) as char;
    let b = (b'A' + (i / 26 % 26) as u8) as char;
    format!("{a}x%20{b}y{i}")
}

/// A Han name, distinct for each `i` (CJK Unified Ideographs from U+4E00).
fn han(i: usize) -> String {
    let c = char::from_u32(0x4E00 + (i as u32 * 7919) % 20000).unwrap_or('王');
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect::<String>()
        + "%E7%8E%8B"
}

fn main() {
    println!("| what | peak above the heap before, KiB | left on the heap, KiB |");
    println!("|---|---|---|");
    let mut none = with_cache(0);
    row(
        "the fonts of a VM (first request; nothing copied yet)",
        || {
            Fonts::get();
        },
    );
    row(
        "first Latin render, 16 px (copies the Latin font, 135 KB)",
        || {
            get(&mut with_cache(0), "/avatar/Ab?size=16");
        },
    );
    row(
        "first Han render, 16 px (reads two glyphs out of the CJK glyph store)",
        || {
            get(&mut with_cache(0), "/avatar/%E7%8E%8B?size=16");
        },
    );
    row(
        "200 more Han renders, distinct characters, 16 px, avatar cache off",
        || {
            let mut none = with_cache(0);
            for i in 0..200 {
                get(&mut none, &format!("/avatar/{}?size=16", han(1000 + i)));
            }
        },
    );
    for size in [16, 40, 64, 128, 256, 512] {
        // Warm the glyph cache for this size, so the row is the render itself.
        get(&mut none, &format!("/avatar/{}?size={size}", latin(0)));
        let (peak, kept) = measure(|| {
            get(&mut none, &format!("/avatar/{}?size={size}", latin(0)));
        });
        let (han_peak, _) = measure(|| {
            get(&mut none, &format!("/avatar/{}?size={size}", han(size)));
        });
        println!(
            "| one render at {size} px, glyphs cached (Latin) / rasterised (Han) | {} / {} | {} |",
            kib(peak as f64),
            kib(han_peak as f64),
            kib(kept as f64)
        );
    }
    // The glyph cache and a full avatar cache at the default capacity, filled
    // by distinct names at mixed sizes, as `make measure` loads Envoy.
    let config = Config::default();
    let mut cache = with_cache(4 * 1024 * 1024);
    let sizes = [16, 40, 64, 128, 256, 512];
    let mut bodies = 0usize;
    let mut n = 0usize;
    let (peak, kept) = measure(|| {
        for i in 0..6000 {
            let size = sizes[i % sizes.len()];
            let name = if i % 3 == 0 { han(i) } else { latin(i) };
            bodies += get(&mut cache, &format!("/avatar/{name}?size={size}"));
            n += 1;
        }
    });
    println!(
        "| {n} distinct avatars, sizes 16-512, into a {} KiB cache (default) | {} | {} |",
        kib((config.cache_bytes) as f64),
        kib(peak as f64),
        kib(kept as f64)
    );
    println!();
    println!(
        "Avatar cache after that load: {} entries, {} KiB charged against its capacity; \
         mean body {} bytes.",
        cache.cache.len(),
        kib(cache.cache.bytes() as f64),
        bodies / n.max(1)
    );
    println!("Heap in use at the end: {} KiB.", kib(current() as f64));
}
