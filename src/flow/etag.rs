//! Validators: the strong ETag that names one byte sequence, and
//! `If-None-Match`.
//!
//! The ETag is SHA-256, truncated to 128 bits, of everything that decides
//! the bytes: [`RENDER_VERSION`] and the [`Resolved`] avatar. A chosen-input
//! collision (two images, one ETag) would need about 2^64 work.
//!
//! Invariant: the same `Resolved` avatar and `RENDER_VERSION` always encode
//! to the same bytes. `tests/render_bytes.rs` hashes the exact bytes of a
//! fixed set of renders and fails when they change while `RENDER_VERSION`
//! does not.

use crate::avatar::resolve::Resolved;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Bumped whenever the same request could encode to different bytes (any
/// change in layout, rasterising, encoding, fonts or SVG output), so ETags,
/// and the caches keyed on them, never outlive the renderer that made them.
pub const RENDER_VERSION: &str = "monogram-5";

/// Bytes of the SHA-256 digest kept in the ETag.
const ETAG_BYTES: usize = 16;

/// Everything that determines the bytes, as one string: what the ETag hashes.
/// A font size is appended only when there is one, so every avatar without
/// one keeps the fingerprint (and ETag) it always had.
pub fn fingerprint(r: &Resolved) -> String {
    let mut out = format!(
        "{RENDER_VERSION}\0{}\0{}\0{}\0{}\0{}\0{:?}",
        r.text,
        r.bg.hex(),
        r.fg.hex(),
        r.size,
        r.shape.name(),
        r.format
    );
    if let Some(f) = r.font_size {
        // Writing to a String cannot fail.
        let _ = write!(out, "\0font-size={}", f.units());
    }
    out
}

/// The strong ETag of `r`, quoted: 32 hex digits.
pub fn etag(r: &Resolved) -> String {
    let digest = Sha256::digest(fingerprint(r).as_bytes());
    let mut out = String::with_capacity(ETAG_BYTES * 2 + 2);
    out.push('"');
    for b in digest.iter().take(ETAG_BYTES) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out.push('"');
    out
}

/// `If-None-Match` semantics (RFC 9110 §13.1.2): `*`, or any listed tag equal
/// under weak comparison. Garbage in the header simply does not match.
pub fn matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avatar::colour::Rgb;
    use crate::avatar::format::Format;
    use crate::avatar::shape::Shape;

    fn resolved(text: &str) -> Resolved {
        Resolved {
            text: text.to_string(),
            bg: Rgb(1, 2, 3),
            fg: Rgb(250, 250, 250),
            size: 128,
            shape: Shape::Circle,
            format: Format::Png,
            font_size: None,
        }
    }

    #[test]
    fn a_quoted_128_bit_digest_of_the_fingerprint() {
        let e = etag(&resolved("AL"));
        assert_eq!(e.len(), 34);
        assert!(e.starts_with('"') && e.ends_with('"'));
        assert!(e[1..33].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(e, etag(&resolved("AM")));
        let svg = Resolved {
            format: Format::Svg,
            ..resolved("AL")
        };
        assert_ne!(e, etag(&svg));
    }

    #[test]
    fn a_font_size_enters_the_fingerprint_only_when_given() {
        let plain = resolved("AL");
        assert!(!fingerprint(&plain).contains("font-size"));
        // Without a font size the fingerprint names no font size at all.
        assert_eq!(
            fingerprint(&plain),
            format!("{RENDER_VERSION}\0AL\0010203\0fafafa\0128\0circle\0Png")
        );
        let sized = |f: f64| Resolved {
            font_size: Some(crate::avatar::font_size::FontSize::clamped(f)),
            ..resolved("AL")
        };
        assert_ne!(etag(&plain), etag(&sized(0.4375)));
        assert_ne!(etag(&sized(0.4375)), etag(&sized(0.5)));
        assert_eq!(etag(&sized(0.5)), etag(&sized(0.50001)));
    }

    #[test]
    fn images_that_collide_under_64_bit_fnv_1a_get_distinct_etags() {
        // These two share one 64-bit FNV-1a hash.
        let a = Resolved {
            text: "TUM".into(),
            bg: Rgb(0x89, 0xb4, 0x15),
            fg: Rgb(0xf9, 0xa8, 0x71),
            size: 124,
            shape: Shape::Circle,
            format: Format::Png,
            font_size: None,
        };
        let b = Resolved {
            text: "MFN".into(),
            bg: Rgb(0xea, 0xce, 0x5b),
            fg: Rgb(0x25, 0x27, 0x39),
            size: 127,
            shape: Shape::Circle,
            format: Format::Png,
            font_size: None,
        };
        assert_ne!(etag(&a), etag(&b));
    }

    #[test]
    fn if_none_match() {
        let e = "\"abc\"";
        for h in ["\"abc\"", "W/\"abc\"", "\"x\", \"abc\"", "*"] {
            assert!(matches(h, e), "{h}");
        }
        for h in ["\"other\"", "", ",,,", "W/", "\"", "abc"] {
            assert!(!matches(h, e), "{h:?}");
        }
    }
}
