//! Turns `:path` (path and query) under the avatar prefix into an
//! [`AvatarRequest`], or says exactly what is wrong with it. Strict where
//! leniency would be a guess: malformed percent-encoding, invalid UTF-8,
//! control characters and repeated parameters are errors; unknown parameters
//! and empty values are ignored.

use crate::colour::Rgb;
use crate::config::{Config, MIN_SIZE};
use crate::error::Error;
use crate::initials;
use crate::render::Shape;
use serde::Deserialize;
use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;

/// Longest decoded name, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest raw query string (after `?`), in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Most `&`-separated query parameters.
pub const MAX_PARAMETERS: usize = 16;
/// Most characters (extended grapheme clusters) in an `initials` override.
pub const MAX_INITIALS: usize = 3;

/// The image format, from the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// No extension or `.png`.
    Png,
    /// `.svg`.
    Svg,
}

/// A parsed, validated avatar request; sizes in pixels, already clamped.
#[derive(Debug, Clone, PartialEq)]
pub struct AvatarRequest {
    /// The decoded name segment (may be empty or unusable: that is the placeholder).
    pub name: String,
    pub format: Format,
    /// Edge of the square image, clamped to `MIN_SIZE..=max_size`.
    pub size: u32,
    /// Literal text to draw instead of the name's initials.
    pub initials: Option<String>,
    /// Colour key; the normalised name when absent.
    pub seed: Option<String>,
    pub bg: Option<Rgb>,
    pub fg: Option<Rgb>,
    pub shape: Shape,
    /// How many initials to take from the name, 1..=3.
    pub length: u8,
    /// The known parameters as given (decoded, empty ones dropped), sorted by
    /// name: what a URL signature covers, besides the name.
    pub given: Vec<(&'static str, String)>,
    /// The `sig` parameter, decoded.
    pub sig: Option<String>,
}

/// A header value from the host as text. HTTP lets bytes ≥ 0x80 through in
/// header values (and the host may pass them in `:path`); they are
/// percent-encoded rather than replaced, so the strict decoder still says
/// "not valid UTF-8" for the name, and nothing downstream ever sees invalid text.
pub fn text_from_host(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let mut out = String::with_capacity(raw.len().saturating_mul(3));
            for &b in raw {
                if b.is_ascii() {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Is `path` (with or without a query) under the configured avatar prefix?
pub fn is_avatar_path(config: &Config, path: &str) -> bool {
    path.starts_with(config.path_prefix.as_str())
}

/// Parses `:path` under the avatar prefix. The caller has checked the prefix.
pub fn parse(config: &Config, path: &str) -> Result<AvatarRequest, Error> {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    // A fragment never reaches a server from a browser; if a client sends one, it is not ours.
    let path = path.split_once('#').map_or(path, |(p, _)| p);
    let segment = path.get(config.path_prefix.len()..).unwrap_or("");
    if segment.contains('/') {
        return Err(Error::ExtraPathSegment);
    }
    let (segment, format) = if let Some(stem) = segment.strip_suffix(".png") {
        (stem, Format::Png)
    } else if let Some(stem) = segment.strip_suffix(".svg") {
        (stem, Format::Svg)
    } else {
        (segment, Format::Png)
    };
    let name = decode(segment, "name")?;
    if name.len() > MAX_NAME_BYTES {
        return Err(Error::NameTooLong {
            max: MAX_NAME_BYTES,
        });
    }
    let q = parse_query(query)?;
    let given = q.given();

    let size = match q.size {
        None => config.default_size,
        Some(s) => parse_clamped(&s, MIN_SIZE, config.max_size).ok_or(Error::BadParameter {
            name: "size",
            expected: "an integer number of pixels",
        })?,
    };
    let initials = match q.initials {
        None => None,
        Some(s) => {
            // Counted in grapheme clusters after NFC: `E` + combining acute,
            // a flag or a family emoji is one character to a reader.
            let text: String = s.trim().nfc().collect();
            let count = initials::grapheme_count(&text);
            if count == 0 || count > MAX_INITIALS {
                return Err(Error::BadParameter {
                    name: "initials",
                    expected: "1 to 3 characters",
                });
            }
            Some(text)
        }
    };
    let colour = |value: Option<String>, name: &'static str| -> Result<Option<Rgb>, Error> {
        value
            .map(|s| {
                Rgb::parse_hex(&s).ok_or(Error::BadParameter {
                    name,
                    expected: "a hex colour RRGGBB or RGB",
                })
            })
            .transpose()
    };
    let shape = match q.shape {
        None => config.shape,
        Some(s) => Shape::parse(&s).ok_or(Error::BadParameter {
            name: "shape",
            expected: "circle, rounded or square",
        })?,
    };
    let length = match q.length.as_deref() {
        None => config.length,
        Some("1") => 1,
        Some("2") => 2,
        Some("3") => 3,
        Some(_) => {
            return Err(Error::BadParameter {
                name: "length",
                expected: "1, 2 or 3",
            })
        }
    };
    Ok(AvatarRequest {
        name,
        format,
        size,
        initials,
        seed: q.seed,
        bg: colour(q.bg, "bg")?,
        fg: colour(q.fg, "fg")?,
        shape,
        length,
        given,
        sig: q.sig,
    })
}

/// Names of the parameters we read; keep in step with [`Query`].
const KNOWN: [&str; 8] = [
    "size", "initials", "seed", "bg", "fg", "shape", "length", "sig",
];

/// The query parameters we know; everything else is ignored.
#[derive(Deserialize, Default)]
struct Query {
    size: Option<String>,
    initials: Option<String>,
    seed: Option<String>,
    bg: Option<String>,
    fg: Option<String>,
    shape: Option<String>,
    length: Option<String>,
    sig: Option<String>,
}

impl Query {
    /// The parameters that change the image, sorted by name, as given.
    fn given(&self) -> Vec<(&'static str, String)> {
        [
            ("bg", &self.bg),
            ("fg", &self.fg),
            ("initials", &self.initials),
            ("length", &self.length),
            ("seed", &self.seed),
            ("shape", &self.shape),
            ("size", &self.size),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect()
    }
}

fn parse_query(raw: &str) -> Result<Query, Error> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(Error::QueryTooLong {
            max: MAX_QUERY_BYTES,
        });
    }
    let mut count = 0usize;
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        count = count.saturating_add(1);
        if count > MAX_PARAMETERS {
            return Err(Error::TooManyParameters {
                max: MAX_PARAMETERS,
            });
        }
        // serde_urlencoded is lenient (it keeps a stray '%' and replaces bad
        // UTF-8); validate known parameters strictly first so the client
        // learns what is wrong. Unknown ones are ignored whatever they hold.
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode(key, "query").is_ok_and(|k| KNOWN.contains(&k.as_str())) {
            decode(value, "query")?;
        }
    }
    let mut q: Query = serde_urlencoded::from_str(raw).map_err(|e| {
        let message = e.to_string();
        match message.split('`').nth(1) {
            Some(field) if message.starts_with("duplicate field") => Error::DuplicateParameter {
                name: field.to_string(),
            },
            _ => Error::BadParameter {
                name: "query",
                expected: "a valid form-urlencoded query",
            },
        }
    })?;
    // An empty value (`?size=`) means the parameter is absent, as HTML forms send it.
    for field in [
        &mut q.size,
        &mut q.initials,
        &mut q.seed,
        &mut q.bg,
        &mut q.fg,
        &mut q.shape,
        &mut q.length,
        &mut q.sig,
    ] {
        if field.as_deref().is_some_and(str::is_empty) {
            *field = None;
        }
    }
    Ok(q)
}

/// Strict percent-decoding of one path segment or query component; `+` is a
/// space in both (as the URL API promises).
pub fn decode(raw: &str, part: &'static str) -> Result<String, Error> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = bytes.next().and_then(hex_value);
                let lo = bytes.next().and_then(hex_value);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(Error::BadPercentEncoding { part }),
                }
            }
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
    }
    let s = String::from_utf8(out).map_err(|_| Error::InvalidUtf8 { part })?;
    if s.chars().any(char::is_control) {
        return Err(Error::ControlCharacter { part });
    }
    Ok(s)
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// An optionally signed decimal integer, clamped to `lo..=hi`; `None` if it is
/// not an integer. Any number of digits is accepted (and saturates).
fn parse_clamped(s: &str, lo: u32, hi: u32) -> Option<u32> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if negative {
        return Some(lo);
    }
    let value = digits.bytes().fold(0u32, |acc, b| {
        acc.saturating_mul(10)
            .saturating_add(char::from(b).to_digit(10).unwrap_or(0))
    });
    Some(value.clamp(lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &str) -> Result<AvatarRequest, Error> {
        parse(&Config::default(), path)
    }

    #[test]
    fn name_forms() {
        assert_eq!(p("/avatar/Ada%20Lovelace").unwrap().name, "Ada Lovelace");
        assert_eq!(p("/avatar/Ada+Lovelace.png").unwrap().name, "Ada Lovelace");
        assert_eq!(p("/avatar/%E7%8E%8B").unwrap().name, "王");
        assert_eq!(p("/avatar/").unwrap().name, "");
        assert_eq!(p("/avatar/a%2Fb").unwrap().name, "a/b");
        assert_eq!(
            p("/avatar/jane.doe@example.com").unwrap().name,
            "jane.doe@example.com"
        );
        assert_eq!(p("/avatar/x%2Epng").unwrap().name, "x.png");
    }

    #[test]
    fn extension_picks_the_format() {
        let f = |path: &str| {
            let r = p(path).unwrap();
            (r.name, r.format)
        };
        assert_eq!(f("/avatar/Ada"), ("Ada".into(), Format::Png));
        assert_eq!(f("/avatar/Ada.png"), ("Ada".into(), Format::Png));
        assert_eq!(f("/avatar/Ada.svg?size=64"), ("Ada".into(), Format::Svg));
        assert_eq!(f("/avatar/.svg"), ("".into(), Format::Svg));
        // An encoded dot is part of the name, not an extension.
        assert_eq!(f("/avatar/x%2Esvg"), ("x.svg".into(), Format::Png));
    }

    #[test]
    fn defaults() {
        let r = p("/avatar/x").unwrap();
        assert_eq!((r.size, r.shape, r.length), (128, Shape::Circle, 2));
        assert_eq!((r.initials, r.seed, r.bg, r.fg), (None, None, None, None));
    }

    #[test]
    fn size_is_clamped_or_rejected() {
        let size = |q: &str| p(&format!("/avatar/x?size={q}")).map(|r| r.size);
        assert_eq!(size("64"), Ok(64));
        assert_eq!(size("1"), Ok(16));
        assert_eq!(size("-5"), Ok(16));
        assert_eq!(size("513"), Ok(512));
        assert_eq!(size("99999999999999999999999"), Ok(512));
        assert_eq!(size(""), Ok(128));
        for bad in ["abc", "12.5", "1e3", "%2B5", "0x10", "-"] {
            assert_eq!(
                size(bad),
                Err(Error::BadParameter {
                    name: "size",
                    expected: "an integer number of pixels"
                }),
                "{bad}"
            );
        }
    }

    #[test]
    fn parameters() {
        let r = p(
            "/avatar/x?initials=%C3%89&seed=42&bg=%23ff0000&fg=0f0&shape=rounded&length=3&foo=bar",
        )
        .unwrap();
        assert_eq!(r.initials.as_deref(), Some("É"));
        assert_eq!(r.seed.as_deref(), Some("42"));
        assert_eq!(r.bg, Some(Rgb(255, 0, 0)));
        assert_eq!(r.fg, Some(Rgb(0, 255, 0)));
        assert_eq!((r.shape, r.length), (Shape::Rounded, 3));
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        assert_eq!(
            p("/avatar/x?a=1&b&&c=%41&d=%FF&e=%zz&%zz=1"),
            p("/avatar/x")
        );
    }

    #[test]
    fn errors() {
        use Error::*;
        let cases: &[(&str, Error)] = &[
            ("/avatar/a/b", ExtraPathSegment),
            ("/avatar/%zz", BadPercentEncoding { part: "name" }),
            ("/avatar/%4", BadPercentEncoding { part: "name" }),
            ("/avatar/%C3%28", InvalidUtf8 { part: "name" }),
            ("/avatar/a%00b", ControlCharacter { part: "name" }),
            ("/avatar/x?size=%zz", BadPercentEncoding { part: "query" }),
            (
                "/avatar/x?size=1&size=2",
                DuplicateParameter {
                    name: "size".into(),
                },
            ),
            (
                "/avatar/x?initials=ABCD",
                BadParameter {
                    name: "initials",
                    expected: "1 to 3 characters",
                },
            ),
            (
                "/avatar/x?initials=+",
                BadParameter {
                    name: "initials",
                    expected: "1 to 3 characters",
                },
            ),
            (
                "/avatar/x?bg=red",
                BadParameter {
                    name: "bg",
                    expected: "a hex colour RRGGBB or RGB",
                },
            ),
            (
                "/avatar/x?fg=12345",
                BadParameter {
                    name: "fg",
                    expected: "a hex colour RRGGBB or RGB",
                },
            ),
            (
                "/avatar/x?shape=star",
                BadParameter {
                    name: "shape",
                    expected: "circle, rounded or square",
                },
            ),
            (
                "/avatar/x?length=0",
                BadParameter {
                    name: "length",
                    expected: "1, 2 or 3",
                },
            ),
            (
                "/avatar/x?length=4",
                BadParameter {
                    name: "length",
                    expected: "1, 2 or 3",
                },
            ),
        ];
        for (path, want) in cases {
            assert_eq!(p(path).as_ref(), Err(want), "{path}");
        }
    }

    #[test]
    fn limits_at_and_past_the_edge() {
        let at = format!("/avatar/{}", "a".repeat(MAX_NAME_BYTES));
        assert!(p(&at).is_ok());
        let past = format!("/avatar/{}", "a".repeat(MAX_NAME_BYTES + 1));
        assert_eq!(
            p(&past),
            Err(Error::NameTooLong {
                max: MAX_NAME_BYTES
            })
        );

        let q_at = format!("/avatar/x?z={}", "a".repeat(MAX_QUERY_BYTES - 2));
        assert!(p(&q_at).is_ok());
        let q_past = format!("/avatar/x?z={}", "a".repeat(MAX_QUERY_BYTES - 1));
        assert_eq!(
            p(&q_past),
            Err(Error::QueryTooLong {
                max: MAX_QUERY_BYTES
            })
        );

        let params = |n: usize| {
            (0..n)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(p(&format!("/avatar/x?{}", params(MAX_PARAMETERS))).is_ok());
        assert_eq!(
            p(&format!("/avatar/x?{}", params(MAX_PARAMETERS + 1))),
            Err(Error::TooManyParameters {
                max: MAX_PARAMETERS
            })
        );
    }

    #[test]
    fn bytes_from_the_host_are_never_invalid_text() {
        assert_eq!(text_from_host(b"/avatar/Ada"), "/avatar/Ada");
        assert_eq!(text_from_host("/avatar/王".as_bytes()), "/avatar/王");
        assert_eq!(text_from_host(b"/avatar/\xffA\xc3"), "/avatar/%FFA%C3");
        assert_eq!(
            p(&text_from_host(b"/avatar/\xff")),
            Err(Error::InvalidUtf8 { part: "name" })
        );
        assert_eq!(
            p(&text_from_host(b"/avatar/x?utm=\xff")),
            p("/avatar/x"),
            "unknown parameters stay ignored"
        );
    }

    #[test]
    fn sig_is_a_strict_single_parameter() {
        assert_eq!(p("/avatar/x?sig=abc").unwrap().sig.as_deref(), Some("abc"));
        assert_eq!(p("/avatar/x?sig=").unwrap().sig, None);
        assert_eq!(
            p("/avatar/x?sig=a&sig=b"),
            Err(Error::DuplicateParameter { name: "sig".into() })
        );
        assert_eq!(
            p("/avatar/x?sig=%zz"),
            Err(Error::BadPercentEncoding { part: "query" })
        );
    }

    #[test]
    fn prefix_check() {
        let c = Config::default();
        assert!(is_avatar_path(&c, "/avatar/x?y"));
        assert!(!is_avatar_path(&c, "/avatars/x"));
        assert!(!is_avatar_path(&c, "/"));
    }
}
