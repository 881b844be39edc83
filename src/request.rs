//! Turns `:path` (path and query) under the avatar prefix into an
//! [`AvatarRequest`], or says exactly what is wrong with it. Strict where
//! leniency would be a guess: malformed percent-encoding, invalid UTF-8,
//! control characters and repeated parameters are errors; unknown parameters
//! and empty values are ignored. One table, [`PARAMS`], says which
//! parameters exist, which a signature covers and how each is read.

use crate::colour::Rgb;
use crate::config::{Config, MIN_SIZE};
use crate::error::Error;
use crate::initials;
use crate::shape::Shape;
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

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Svg => "image/svg+xml",
        }
    }
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
    /// The signed parameters as given (decoded, empty ones dropped), sorted
    /// by name: what a URL signature covers, besides the name.
    pub given: Vec<(&'static str, String)>,
    /// The `sig` parameter, decoded.
    pub sig: Option<String>,
}

impl AvatarRequest {
    /// The request with no parameters: the configuration's defaults.
    fn new(config: &Config, name: String, format: Format) -> AvatarRequest {
        AvatarRequest {
            name,
            format,
            size: config.default_size,
            initials: None,
            seed: None,
            bg: None,
            fg: None,
            shape: config.shape,
            length: config.length,
            given: Vec::new(),
            sig: None,
        }
    }
}

/// One query parameter we read. Its value reaches `apply` decoded and
/// non-empty (an empty value, `?size=`, means absent, as HTML forms send it).
struct Param {
    name: &'static str,
    /// Covered by a URL signature: every parameter that can change the image.
    signed: bool,
    apply: fn(&mut AvatarRequest, String, &Config) -> Result<(), Error>,
}

/// Every parameter we read, sorted by name (the order of the signed
/// canonical form). Adding a parameter is a row here and a field in
/// [`AvatarRequest`]; anything not in this table is ignored.
const PARAMS: [Param; 8] = [
    Param {
        name: "bg",
        signed: true,
        apply: |r, v, _| {
            r.bg = Some(colour(&v, "bg")?);
            Ok(())
        },
    },
    Param {
        name: "fg",
        signed: true,
        apply: |r, v, _| {
            r.fg = Some(colour(&v, "fg")?);
            Ok(())
        },
    },
    Param {
        name: "initials",
        signed: true,
        apply: |r, v, _| {
            // Counted in grapheme clusters after NFC: `E` + combining acute,
            // a flag or a family emoji is one character to a reader.
            let text: String = v.trim().nfc().collect();
            let count = initials::grapheme_count(&text);
            if count == 0 || count > MAX_INITIALS {
                return Err(Error::BadParameter {
                    name: "initials",
                    expected: "1 to 3 characters",
                });
            }
            r.initials = Some(text);
            Ok(())
        },
    },
    Param {
        name: "length",
        signed: true,
        apply: |r, v, _| {
            r.length = match v.as_str() {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                _ => {
                    return Err(Error::BadParameter {
                        name: "length",
                        expected: "1, 2 or 3",
                    })
                }
            };
            Ok(())
        },
    },
    Param {
        name: "seed",
        signed: true,
        apply: |r, v, _| {
            r.seed = Some(v);
            Ok(())
        },
    },
    Param {
        name: "shape",
        signed: true,
        apply: |r, v, _| {
            r.shape = Shape::parse(&v).ok_or(Error::BadParameter {
                name: "shape",
                expected: "circle, rounded or square",
            })?;
            Ok(())
        },
    },
    Param {
        name: "sig",
        signed: false,
        apply: |r, v, _| {
            r.sig = Some(v);
            Ok(())
        },
    },
    Param {
        name: "size",
        signed: true,
        apply: |r, v, config| {
            let size = parse_clamped(&v, MIN_SIZE, config.max_size).ok_or(Error::BadParameter {
                name: "size",
                expected: "an integer number of pixels",
            })?;
            r.size = config.snap(size);
            Ok(())
        },
    },
];

fn colour(value: &str, name: &'static str) -> Result<Rgb, Error> {
    Rgb::parse_hex(value).ok_or(Error::BadParameter {
        name,
        expected: "a hex colour RRGGBB or RGB",
    })
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
    let values = parse_query(query)?;
    let mut request = AvatarRequest::new(config, name, format);
    for (param, value) in PARAMS.iter().zip(values) {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        if param.signed {
            request.given.push((param.name, value.clone()));
        }
        (param.apply)(&mut request, value, config)?;
    }
    Ok(request)
}

/// The decoded value of each parameter of [`PARAMS`], by row. Known
/// parameters are decoded strictly, so the client learns what is wrong;
/// unknown ones are ignored whatever they hold. A known parameter given
/// twice is an error, even if one is empty: which one wins would be a guess.
fn parse_query(raw: &str) -> Result<[Option<String>; PARAMS.len()], Error> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(Error::QueryTooLong {
            max: MAX_QUERY_BYTES,
        });
    }
    let mut values: [Option<String>; PARAMS.len()] = Default::default();
    for (count, pair) in raw.split('&').filter(|p| !p.is_empty()).enumerate() {
        if count >= MAX_PARAMETERS {
            return Err(Error::TooManyParameters {
                max: MAX_PARAMETERS,
            });
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Ok(key) = decode(key, "query") else {
            continue;
        };
        let Some((param, slot)) = PARAMS
            .iter()
            .zip(values.iter_mut())
            .find(|(p, _)| p.name == key)
        else {
            continue;
        };
        if slot.is_some() {
            return Err(Error::DuplicateParameter {
                name: param.name.to_string(),
            });
        }
        *slot = Some(decode(value, "query")?);
    }
    Ok(values)
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
    fn the_table_is_sorted_unique_and_signs_all_but_sig() {
        let names: Vec<&str> = PARAMS.iter().map(|p| p.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        for p in &PARAMS {
            assert_eq!(p.signed, p.name != "sig", "{}", p.name);
        }
    }

    #[test]
    fn every_parameter_is_single_and_empty_means_absent() {
        for param in &PARAMS {
            let twice = format!("/avatar/x?{0}=&{0}=1", param.name);
            assert_eq!(
                p(&twice),
                Err(Error::DuplicateParameter {
                    name: param.name.to_string()
                }),
                "{}",
                param.name
            );
            let empty = format!("/avatar/x?{}=", param.name);
            assert_eq!(p(&empty), p("/avatar/x"), "{}", param.name);
        }
        // Keys are decoded before they are looked up.
        assert_eq!(
            p("/avatar/x?%73ize=1&size=2"),
            Err(Error::DuplicateParameter {
                name: "size".into()
            })
        );
    }

    #[test]
    fn given_lists_the_signed_parameters_by_name() {
        let r = p("/avatar/x?size=64&sig=abc&bg=fff&utm=1&seed=").unwrap();
        assert_eq!(
            r.given,
            vec![("bg", "fff".to_string()), ("size", "64".to_string())]
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
