//! Turns `:path` (path and query) under the avatar prefix into an
//! [`AvatarRequest`], or says exactly what is wrong with it. Strict where
//! leniency would be a guess: malformed percent-encoding, invalid UTF-8,
//! control characters and repeated parameters are errors; unknown parameters
//! and empty values are ignored. One table, [`PARAMS`], says which
//! parameters exist, which a signature covers and how each is read.
//!
//! Two spellings of the path, one meaning:
//! - the query form, `{prefix}{name}[.png|.svg]?size=64&…`;
//! - the path form, `{prefix}{size}/{name}[.png|.svg]` or, signed,
//!   `{prefix}{size}/{sig}/{name}[.png|.svg]`: for clients that drop the
//!   query (Gravatar's `d=` fallback). Its segments are the `size` and `sig`
//!   parameters written in the path, read by the same rows of [`PARAMS`]; the
//!   query may add the others, and giving one in both places is a repeat.
//!
//! The first segment decides: all ASCII digits and followed by more
//! segments means the path form; a name with a `/` is written `%2F`.
//!
//! The path is read as RFC 3986 normalises it ([`normalise`]), so a proxy or
//! CDN that normalises URLs in front of the filter never changes an answer.
//! The extension is the last `.png` or `.svg` of the normalised name, `%2E`
//! being a dot: a name that itself ends in `.svg` is written with the format
//! after it, `/avatar/x.svg.png`.
//!
//! The ui-avatars door has its own parser ([`crate::doors::ui_avatars`]) that
//! ends in the same [`AvatarRequest`].

use crate::avatar::asked::AvatarRequest;
use crate::avatar::colour::{hex_digit, Rgb};
use crate::avatar::font_size::FontSize;
use crate::avatar::format::Format;
use crate::avatar::initials;
use crate::avatar::shape::Shape;
use crate::config::{Config, MIN_SIZE};
use crate::doors::door::{Door, Phase};
use crate::doors::signing;
use crate::error::Error;
use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;

/// monogram's own door: `path_prefix`, in the query form or the path form.
pub const DOOR: Door = Door {
    prefix: |config| Some(&config.path_prefix),
    phase: Phase::Request,
    parse: |config, path, _| parse(config, path),
    vary: None,
    canonical: |config, _, r| signing::canonical(&config.path_prefix, &r.name, &r.given),
    cache_control: |config| &config.cache_control,
};

/// Longest decoded name, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest raw query string (after `?`), in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Most `&`-separated query parameters.
pub const MAX_PARAMETERS: usize = 16;

impl AvatarRequest {
    /// The request with no parameters: the configuration's defaults.
    pub fn new(config: &Config, name: String, format: Format) -> AvatarRequest {
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
            font_size: None,
            uppercase: true,
            given: Vec::new(),
            sig: None,
        }
    }
}

/// One query parameter a door reads: a row of [`PARAMS`] or of the
/// ui-avatars door's table. Its value reaches `apply` decoded and non-empty
/// (an empty value, `?size=`, means absent, as HTML forms send it).
#[derive(Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    /// Covered by a URL signature: every parameter that can change the image.
    pub signed: bool,
    pub apply: fn(&mut AvatarRequest, String, &Config) -> Result<(), Error>,
}

/// A door's table of parameters, `[Param; N]`, from its key enum: one row
/// per key of `$key::ALL`, in that order, each `$key::row`, so a key
/// addresses its row by place ([`slot_of`]) and no length is counted by hand.
macro_rules! rows {
    ($key:ty) => {{
        // Evaluated at compile time: an index out of bounds fails the build.
        #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
        const ROWS: [$crate::doors::request::Param; <$key>::ALL.len()] = {
            let mut rows = [$crate::doors::request::SIG; <$key>::ALL.len()];
            let mut i = 0;
            while i < rows.len() {
                rows[i] = <$key>::ALL[i].row();
                i += 1;
            }
            rows
        };
        ROWS
    }};
}
pub(crate) use rows;

/// The URL's signature (see [`crate::doors::signing`]), on every door: not itself signed.
pub const SIG: Param = Param {
    name: "sig",
    signed: false,
    apply: |r, v, _| {
        r.sig = Some(v);
        Ok(())
    },
};

/// A parameter of monogram's door: its row of [`PARAMS`], by place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Bg,
    Fg,
    FontSize,
    Initials,
    Length,
    Seed,
    Shape,
    Sig,
    Size,
    Uppercase,
}

impl Key {
    /// Every key, in the order of the rows of [`PARAMS`]: sorted by name (the
    /// order of the signed canonical form).
    pub const ALL: &[Key] = &[
        Key::Bg,
        Key::Fg,
        Key::FontSize,
        Key::Initials,
        Key::Length,
        Key::Seed,
        Key::Shape,
        Key::Sig,
        Key::Size,
        Key::Uppercase,
    ];

    /// This parameter's name, how it is read and whether it is signed.
    /// Adding a parameter is a variant here, its row, and a field in
    /// [`AvatarRequest`].
    pub const fn row(self) -> Param {
        match self {
            Key::Bg => Param {
                name: "bg",
                signed: true,
                apply: |r, v, _| {
                    r.bg = Some(colour(&v, "bg")?);
                    Ok(())
                },
            },
            Key::Fg => Param {
                name: "fg",
                signed: true,
                apply: |r, v, _| {
                    r.fg = Some(colour(&v, "fg")?);
                    Ok(())
                },
            },
            Key::FontSize => Param {
                name: "font-size",
                signed: true,
                apply: |r, v, _| {
                    r.font_size = Some(FontSize::parse(&v).ok_or(Error::BadParameter {
                        name: "font-size",
                        expected: "a decimal number, the fraction of the edge (0.1 to 1)",
                    })?);
                    Ok(())
                },
            },
            Key::Initials => Param {
                name: "initials",
                signed: true,
                apply: |r, v, _| {
                    // Counted in grapheme clusters after NFC: `E` + combining acute,
                    // a flag or a family emoji is one character to a reader.
                    let text: String = v.trim().nfc().collect();
                    let count = initials::grapheme_count(&text);
                    if count == 0 || count > usize::from(initials::MAX_INITIALS) {
                        return Err(Error::BadInitials {
                            max: initials::MAX_INITIALS,
                        });
                    }
                    r.initials = Some(text);
                    Ok(())
                },
            },
            Key::Length => Param {
                name: "length",
                signed: true,
                apply: |r, v, _| {
                    // Exactly the digits 1 to the limit: no sign, no leading zero.
                    r.length = (1..=initials::MAX_INITIALS)
                        .find(|n| n.to_string() == v)
                        .ok_or(Error::BadLength {
                            max: initials::MAX_INITIALS,
                        })?;
                    Ok(())
                },
            },
            Key::Seed => Param {
                name: "seed",
                signed: true,
                apply: |r, v, _| {
                    r.seed = Some(v);
                    Ok(())
                },
            },
            Key::Shape => Param {
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
            Key::Sig => SIG,
            Key::Size => Param {
                name: "size",
                signed: true,
                apply: |r, v, config| {
                    let size = parse_clamped(&v, MIN_SIZE, config.max_size).ok_or(
                        Error::BadParameter {
                            name: "size",
                            expected: "an integer number of pixels",
                        },
                    )?;
                    r.size = config.snap(size);
                    Ok(())
                },
            },
            Key::Uppercase => Param {
                name: "uppercase",
                signed: true,
                apply: |r, v, _| {
                    r.uppercase = match v.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(Error::BadParameter {
                                name: "uppercase",
                                expected: "true or false",
                            })
                        }
                    };
                    Ok(())
                },
            },
        }
    }
}

/// Every parameter we read, one row per [`Key`] in [`Key::ALL`]'s order;
/// anything not in this table is ignored.
pub const PARAMS: &[Param] = &rows!(Key);

fn colour(value: &str, name: &'static str) -> Result<Rgb, Error> {
    Rgb::parse_hex(value).ok_or(Error::BadParameter {
        name,
        expected: "a hex colour RRGGBB or RGB",
    })
}

/// Parses `:path` under the avatar prefix, in the query form or the path
/// form. The caller has checked the prefix ([`crate::doors::door_of`]).
pub fn parse(config: &Config, path: &str) -> Result<AvatarRequest, Error> {
    let (path, query) = split(path);
    let path = normalise(path);
    let rest = path
        .strip_prefix(config.path_prefix.as_str())
        .ok_or(Error::LeavesPrefix)?;
    let (size, sig, segment) = segments(rest)?;
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
    let mut values = values(PARAMS, query)?;
    // The path form's segments are values of the rows they stand for.
    for (key, raw) in [(Key::Size, size), (Key::Sig, sig)] {
        let (Some(raw), Some(slot)) = (raw, slot_of(Key::ALL, &mut values, key)) else {
            continue;
        };
        if slot.is_some() {
            return Err(Error::DuplicateParameter {
                name: key.row().name.to_string(),
            });
        }
        *slot = Some(decode(raw, "path")?);
    }
    let mut request = AvatarRequest::new(config, name, format);
    apply(PARAMS, values, &mut request, config)?;
    Ok(request)
}

/// The path (without its query) as RFC 3986 normalises it (§6.2.2):
/// percent-encoded unreserved characters (`A-Z a-z 0-9 - . _ ~`) decoded
/// and dot segments removed (§5.2.4). A proxy or cache in front may have
/// done this already (Envoy's `normalize_path`); doing it here too makes
/// both spellings one URL with one answer, so `Ada%2Esvg` is `Ada.svg` and
/// `%3128/Ada` is `128/Ada`. Other escapes stay as they are, for [`decode`].
pub fn normalise(path: &str) -> Cow<'_, str> {
    let has_escape = path.contains('%');
    let has_dot = path.split('/').any(|s| s == "." || s == "..");
    if !has_escape && !has_dot {
        return Cow::Borrowed(path);
    }
    let decoded = match has_escape.then(|| decode_unreserved(path)) {
        Some(Some(decoded)) => Cow::Owned(decoded),
        Some(None) => return Cow::Borrowed(path),
        None => Cow::Borrowed(path),
    };
    let mut out: Vec<&str> = Vec::new();
    let mut segments = decoded.split('/').skip(1).peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            _ => {
                out.push(segment);
                continue;
            }
        }
        // A dot segment at the end leaves the path ending in `/`.
        if last {
            out.push("");
        }
    }
    Cow::Owned(format!("/{}", out.join("/")))
}

/// `path` with every `%XX` that encodes an unreserved character decoded;
/// `None` if any `%` lacks two hex digits, so that `%%32%35` cannot become
/// the escape `%25` (the path is then left for [`decode`] to refuse).
fn decode_unreserved(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i = i.saturating_add(1);
            continue;
        }
        let hex = |at: usize| bytes.get(i.saturating_add(at)).copied().and_then(hex_digit);
        let (hi, lo) = (hex(1)?, hex(2)?);
        let c = hi << 4 | lo;
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            out.push(c);
        } else {
            out.extend_from_slice(bytes.get(i..i.saturating_add(3)).unwrap_or_default());
        }
        i = i.saturating_add(3);
    }
    // Only ASCII bytes were decoded, each in place of three ASCII bytes, so
    // the text stays UTF-8.
    String::from_utf8(out).ok()
}

/// `:path` as its path and its raw query (empty without `?`). A fragment
/// never reaches a server from a browser; if a client sends one, it is not ours.
pub fn split(path: &str) -> (&str, &str) {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    (path.split_once('#').map_or(path, |(p, _)| p), query)
}

/// The path after the prefix as (size, sig, name segment), still encoded:
/// one segment is the name; two whose first is all digits are size and
/// name; three whose first is all digits are size, signature and name.
fn segments(rest: &str) -> Result<(Option<&str>, Option<&str>, &str), Error> {
    let mut parts = rest.split('/');
    let first = parts.next().unwrap_or("");
    let (second, third, more) = (parts.next(), parts.next(), parts.next());
    let is_size = !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit());
    match (second, third, more) {
        (None, _, _) => Ok((None, None, first)),
        (Some(name), None, None) if is_size => Ok((Some(first), None, name)),
        (Some(sig), Some(name), None) if is_size => Ok((Some(first), Some(sig), name)),
        _ => Err(Error::ExtraPathSegment),
    }
}

/// Checks the query a door reads (`part`, named as the error names it: the
/// whole query, or the photo door's own part of it) against
/// [`MAX_QUERY_BYTES`] and [`MAX_PARAMETERS`], before any of it is decoded.
pub fn within_bounds(raw: &str, part: &'static str) -> Result<(), Error> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(Error::QueryTooLong {
            max: MAX_QUERY_BYTES,
            part,
        });
    }
    if raw
        .split('&')
        .filter(|p| !p.is_empty())
        .nth(MAX_PARAMETERS)
        .is_some()
    {
        return Err(Error::TooManyParameters {
            max: MAX_PARAMETERS,
            part,
        });
    }
    Ok(())
}

/// Every non-empty `&`-separated pair of a raw query as (decoded key, raw
/// value), within the query's bounds. Pairs whose key does not decode are
/// left out: no parameter has such a name.
pub fn pairs(raw: &str) -> Result<Vec<(String, &str)>, Error> {
    within_bounds(raw, "query")?;
    let mut out = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if let Ok(key) = decode(key, "query") {
            out.push((key, value));
        }
    }
    Ok(out)
}

/// The decoded value of each parameter of `table`, by row. Known
/// parameters are decoded strictly, so the client learns what is wrong;
/// unknown ones are ignored whatever they hold. A known parameter given
/// twice is refused, even if one is empty: which one wins would be a guess,
/// and a CDN that sorts query strings would change it.
pub fn values(table: &[Param], query: &str) -> Result<Vec<Option<String>>, Error> {
    let mut values: Vec<Option<String>> = vec![None; table.len()];
    for (key, value) in pairs(query)? {
        let Some((param, slot)) = slot(table, &mut values, &key) else {
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

/// The row of `table` named `key`, and its value.
fn slot<'t, 'v>(
    table: &'t [Param],
    values: &'v mut [Option<String>],
    key: &str,
) -> Option<(&'t Param, &'v mut Option<String>)> {
    table
        .iter()
        .zip(values.iter_mut())
        .find(|(p, _)| p.name == key)
}

/// The value of the row of `key` (one of `all`, the keys of the table
/// `values` was read with, in its order).
pub fn slot_of<'v, K: PartialEq>(
    all: &[K],
    values: &'v mut [Option<String>],
    key: K,
) -> Option<&'v mut Option<String>> {
    let at = all.iter().position(|k| *k == key)?;
    values.get_mut(at)
}

/// Applies each non-empty value to `request` by its row, in table order,
/// and lists the signed ones in [`AvatarRequest::given`].
pub fn apply(
    table: &[Param],
    values: Vec<Option<String>>,
    request: &mut AvatarRequest,
    config: &Config,
) -> Result<(), Error> {
    for (param, value) in table.iter().zip(values) {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        if param.signed {
            request.given.push((param.name, value.clone()));
        }
        (param.apply)(request, value, config)?;
    }
    Ok(())
}

/// Strict percent-decoding of one path segment or query component; `+` is a
/// space in both (as the URL API promises).
pub fn decode(raw: &str, part: &'static str) -> Result<String, Error> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = bytes.next().and_then(hex_digit);
                let lo = bytes.next().and_then(hex_digit);
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
        assert_eq!(p("/avatar/x.png.png").unwrap().name, "x.png");
    }

    #[test]
    fn normalise_is_rfc_3986_section_6_2_2() {
        for (raw, normal) in [
            ("/avatar/Ada", "/avatar/Ada"),
            ("/avatar/Ada%2Esvg", "/avatar/Ada.svg"),
            ("/avatar/%41da%2esvg", "/avatar/Ada.svg"),
            ("/avatar/%3128/Ada", "/avatar/128/Ada"),
            ("/avatar/%7E%5F%2D", "/avatar/~_-"),
            ("/avatar/a%2Fb%20c%25", "/avatar/a%2Fb%20c%25"),
            ("/avatar/%E7%8E%8B", "/avatar/%E7%8E%8B"),
            ("/avatar/./Ada", "/avatar/Ada"),
            ("/avatar/x/../Ada", "/avatar/Ada"),
            ("/avatar/Ada/.", "/avatar/Ada/"),
            ("/avatar/%2E%2E/x", "/x"),
            ("/avatar/..", "/"),
            ("/avatar/.../x", "/avatar/.../x"),
        ] {
            assert_eq!(normalise(raw), normal, "{raw}");
        }
        // A malformed escape anywhere leaves the path as it is, for the
        // parser to refuse: nothing is decoded twice.
        for malformed in [
            "/avatar/%%32%35",
            "/avatar/%",
            "/avatar/a%2",
            "/avatar/%G0/./x",
        ] {
            assert_eq!(normalise(malformed), malformed);
        }
    }

    #[test]
    fn a_normalised_path_means_what_it_meant() {
        for raw in [
            "/avatar/Ada%2Esvg",
            "/avatar/Ada%2Epng?size=64",
            "/avatar/Ada.svg%2Epng",
            "/avatar/%3128/Ada",
            "/avatar/%31%32%38/Ada%2esvg",
            "/avatar/./Ada",
            "/avatar/%7Ejo%2Dann",
        ] {
            let (path, query) = split(raw);
            let normal = format!("{}?{query}", normalise(path));
            assert_eq!(p(raw), p(&normal), "{raw}");
        }
        assert_eq!(p("/avatar/Ada%2Esvg").unwrap().format, Format::Svg);
        assert_eq!(p("/avatar/%3128/Ada").unwrap().size, 128);
        assert_eq!(p("/avatar/%2E%2E/x"), Err(Error::LeavesPrefix));
        assert_eq!(p("/avatar/.."), Err(Error::LeavesPrefix));
    }

    #[test]
    fn the_path_form_spells_size_and_sig_in_the_path() {
        let query = p("/avatar/Ada%20Lovelace.png?size=64&bg=fff").unwrap();
        let path = p("/avatar/64/Ada%20Lovelace.png?bg=fff").unwrap();
        assert_eq!(path, query);
        assert_eq!(
            path.given,
            vec![("bg", "fff".into()), ("size", "64".into())]
        );
        let r = p("/avatar/9999/x.svg").unwrap();
        assert_eq!((r.name.as_str(), r.size, r.format), ("x", 512, Format::Svg));
        assert_eq!(
            p("/avatar/064/x").unwrap().given,
            vec![("size", "064".into())]
        );
        assert_eq!(p("/avatar/16/").unwrap().name, "");
        let signed = p("/avatar/64/AAAAAAAAAAAAAAAAAAAAAA/Ada.png").unwrap();
        assert_eq!(signed.sig.as_deref(), Some("AAAAAAAAAAAAAAAAAAAAAA"));
        assert_eq!((signed.name.as_str(), signed.size), ("Ada", 64));
        // A size or sig in both places is a repeat.
        for path in [
            "/avatar/64/x?size=32",
            "/avatar/64/x?size=",
            "/avatar/64/s/x?sig=s",
        ] {
            assert!(
                matches!(p(path), Err(Error::DuplicateParameter { .. })),
                "{path}"
            );
        }
        // Only digits open the path form; anything else is a name with a '/'.
        for path in [
            "/avatar/a/b",
            "/avatar//x",
            "/avatar/-1/x",
            "/avatar/6 4/x",
            "/avatar/64/s/x/y",
        ] {
            assert_eq!(p(path), Err(Error::ExtraPathSegment), "{path}");
        }
        assert_eq!(
            p("/avatar/64/%zz/x"),
            Err(Error::BadPercentEncoding { part: "path" })
        );
    }

    #[test]
    fn font_size_and_uppercase() {
        let r = p("/avatar/x?font-size=0.4375&uppercase=false").unwrap();
        assert_eq!(r.font_size, Some(FontSize::UI_AVATARS_DEFAULT));
        assert!(!r.uppercase);
        let r = p("/avatar/x").unwrap();
        assert_eq!((r.font_size, r.uppercase), (None, true));
        assert_eq!(
            p("/avatar/x?font-size=2")
                .unwrap()
                .font_size
                .map(FontSize::units),
            Some(FontSize::MAX)
        );
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
        // The extension is read after RFC 3986 normalisation, so `%2E` is
        // a dot: a name's own `.svg` is written with the format after it.
        assert_eq!(f("/avatar/x%2Esvg"), ("x".into(), Format::Svg));
        assert_eq!(f("/avatar/x.svg.png"), ("x.svg".into(), Format::Png));
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
                BadInitials {
                    max: initials::MAX_INITIALS,
                },
            ),
            (
                "/avatar/x?initials=+",
                BadInitials {
                    max: initials::MAX_INITIALS,
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
                BadLength {
                    max: initials::MAX_INITIALS,
                },
            ),
            (
                "/avatar/x?length=4",
                BadLength {
                    max: initials::MAX_INITIALS,
                },
            ),
            (
                "/avatar/x?font-size=big",
                BadParameter {
                    name: "font-size",
                    expected: "a decimal number, the fraction of the edge (0.1 to 1)",
                },
            ),
            (
                "/avatar/x?uppercase=no",
                BadParameter {
                    name: "uppercase",
                    expected: "true or false",
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
                max: MAX_QUERY_BYTES,
                part: "query"
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
                max: MAX_PARAMETERS,
                part: "query"
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
        for p in PARAMS {
            assert_eq!(p.signed, p.name != "sig", "{}", p.name);
        }
        for (i, key) in Key::ALL.iter().enumerate() {
            assert_eq!(PARAMS[i].name, key.row().name);
            assert_eq!(*key as usize, i, "{key:?}: Key::ALL in declaration order");
        }
    }

    #[test]
    fn every_parameter_is_single_and_empty_means_absent() {
        for param in PARAMS {
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
}
