//! An ETag that cannot lie: a strong ETag names one byte sequence, and it
//! hashes `RENDER_VERSION` with what is drawn, not the bytes themselves. So
//! this test hashes the exact bytes of a fixed set of renders (PNG and SVG,
//! several sizes, shapes and scripts) and keeps one digest per case in
//! `tests/render_bytes.txt` under the version that made them. A case whose
//! bytes changed while `RENDER_VERSION` did not fails, even when blessing:
//! the version must be bumped first. `make golden` records the digests
//! (MONOGRAM_BLESS=1) together with the golden images.

mod support;

use monogram::RENDER_VERSION;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

const RECORD: &str = "tests/render_bytes.txt";

/// Every request path whose bytes are pinned.
fn cases(root: &Path) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for name in ["Ada%20Lovelace", "jane.doe@example.com", "", "%E7%8E%8B"] {
        for size in [16, 64, 128, 512] {
            for shape in ["circle", "rounded", "square"] {
                for ext in ["", ".svg"] {
                    paths.push(format!("/avatar/{name}{ext}?size={size}&shape={shape}"));
                }
            }
        }
    }
    for (_, path) in support::script_cases(root) {
        paths.push(path.clone());
        let svg = match path.split_once('?') {
            Some((p, q)) => format!("{p}.svg?{q}"),
            None => format!("{path}.svg"),
        };
        paths.push(svg);
    }
    paths.extend(
        [
            "/avatar/x?initials=WWW&size=192",
            "/avatar/x?initials=QJ&bg=000&fg=ff0",
            "/avatar/Grace%20Hopper?bg=ffeb3b&length=1",
            "/avatar/Mary%20Ann%20Smith?length=3&shape=rounded",
            // An explicit font size (the ui-avatars door's defaults) and
            // initials in their own case.
            "/avatar/Ada%20Lovelace?size=64&bg=ddd&fg=222&shape=square&font-size=0.4375",
            "/avatar/Ada%20Lovelace.svg?size=64&bg=ddd&fg=222&shape=square&font-size=0.4375",
            "/avatar/Mary%20Wu?size=100&font-size=1",
            "/avatar/ada%20lovelace?uppercase=false&font-size=0.6",
            "/avatar/ada%20lovelace.svg?uppercase=false",
        ]
        .map(String::from),
    );
    paths
}

fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(16)
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The record: its version line and `digest path` lines.
fn read_record(text: &str) -> (String, BTreeMap<String, String>) {
    let mut lines = text.lines();
    let version = lines
        .next()
        .and_then(|l| l.strip_prefix("version "))
        .unwrap_or_default()
        .to_string();
    let digests = lines
        .filter_map(|l| l.split_once(' '))
        .map(|(d, p)| (p.to_string(), d.to_string()))
        .collect();
    (version, digests)
}

#[test]
fn bytes_change_only_with_render_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("MONOGRAM_BLESS").is_some();
    let record_path = root.join(RECORD);
    let (version, recorded) =
        read_record(&std::fs::read_to_string(&record_path).unwrap_or_default());
    let now: BTreeMap<String, String> = cases(root)
        .into_iter()
        .map(|p| {
            let d = digest(&support::render(&p));
            (p, d)
        })
        .collect();
    if version == RENDER_VERSION {
        let changed: Vec<&String> = now
            .iter()
            .filter(|(p, d)| recorded.get(*p).is_some_and(|r| r != *d))
            .map(|(p, _)| p)
            .collect();
        assert!(
            changed.is_empty(),
            "bytes changed: bump RENDER_VERSION and run make golden ({} renders differ, e.g. {})",
            changed.len(),
            changed.first().map_or("", |p| p.as_str())
        );
    }
    if bless {
        let mut out = format!("version {RENDER_VERSION}\n");
        for (p, d) in &now {
            let _ = writeln!(out, "{d} {p}");
        }
        std::fs::write(&record_path, out).unwrap();
        return;
    }
    assert_eq!(
        version, RENDER_VERSION,
        "{RECORD} records {version}, the renderer is {RENDER_VERSION}: run make golden"
    );
    let missing: Vec<&String> = now.keys().filter(|p| !recorded.contains_key(*p)).collect();
    assert!(
        missing.is_empty(),
        "no recorded bytes for {} renders (e.g. {}): run make golden",
        missing.len(),
        missing.first().map_or("", |p| p.as_str())
    );
}
