//! The ui-avatars front door: `{ui_avatars_prefix}?name=…&size=…` read as
//! ui-avatars.com reads it, into the same [`AvatarRequest`] as monogram's
//! own URLs, so both doors share one request path, one renderer, one cache
//! and one ETag per image. Off unless `ui_avatars_prefix` is configured.
//!
//! The parameters, their defaults and how a value is read are one table,
//! [`UI_PARAMS`], in the style of [`crate::doors::request`]'s. Each sets the field
//! of the avatar that monogram's own parameter of the same meaning sets, so
//! every ui-avatars URL has an `/avatar/` twin with the same bytes (for
//! example `?name=Ada+Lovelace` and
//! `/avatar/Ada%20Lovelace?size=64&bg=ddd&fg=222&shape=square&font-size=0.4375`).
//!
//! Lenient, as ui-avatars is: a URL that gave an image there gives one here.
//! Values are read as ui-avatars (PHP) reads them: numbers by their leading
//! numeric part (`64px` is 64, `abc` is 0, then clamped as ui-avatars
//! clamps), booleans as PHP's `FILTER_VALIDATE_BOOLEAN` (`1`, `true`, `on`,
//! `yes` in any case are true, anything else false); a colour that is not
//! hex keeps the default; an empty value is the default. What stays a 400 is
//! what bounds the work and keeps text valid, as on every door: bad
//! percent-encoding, invalid UTF-8, control characters, a name over 256
//! bytes, a query over 1024 bytes or 16 parameters; and, unlike PHP, which
//! takes the last, a known parameter given twice: a CDN that sorts query
//! strings would otherwise turn `?name=Ada&name=Bob` into Bob's avatar for
//! one client and Ada's for another under one cache key.
//!
//! ui-avatars also takes the parameters as path segments,
//! `{prefix}{name}/{size}/{background}/{color}/{length}/{font-size}/{rounded}/{uppercase}/{bold}/{format}`,
//! when the query has none of them; so does this door.

use crate::avatar::asked::AvatarRequest;
use crate::avatar::colour::Rgb;
use crate::avatar::font_size::FontSize;
use crate::avatar::format::Format;
use crate::avatar::initials::MAX_INITIALS;
use crate::avatar::shape::Shape;
use crate::config::{Config, MIN_SIZE};
use crate::doors::door::{Door, Phase, Vary};
use crate::doors::request::{self, Param, MAX_NAME_BYTES};
use crate::doors::signing;
use crate::error::Error;

/// The ui-avatars door: `ui_avatars_prefix`, off unless configured. One URL
/// may be PNG or SVG by `Accept`.
pub const DOOR: Door = Door {
    prefix: |config| config.ui_avatars_prefix.as_deref(),
    phase: Phase::Request,
    parse,
    vary: Some(Vary {
        header: "Accept",
        variant: |accept| accepts_svg(accept).then_some("accept: svg"),
    }),
    canonical: |config, _, r| {
        let prefix = config.ui_avatars_prefix.as_deref().unwrap_or_default();
        signing::canonical(prefix, &r.name, &r.given)
    },
    cache_control: |config| &config.cache_control,
};

/// The name drawn when the URL has no `name`.
pub const DEFAULT_NAME: &str = "John Doe";
/// Edge when the URL has no `size`, in pixels.
pub const DEFAULT_SIZE: u32 = 64;
/// Largest edge ui-avatars draws, in pixels (lower if `max_size` is). Sizes
/// then snap up to the configured `sizes`, as on every door.
pub const MAX_SIZE: u32 = 512;
/// `background` when absent: `#ddd`.
pub const DEFAULT_BACKGROUND: Rgb = Rgb(0xdd, 0xdd, 0xdd);
/// `color` when absent: `#222`.
pub const DEFAULT_COLOR: Rgb = Rgb(0x22, 0x22, 0x22);
/// `font-size` when it is not a positive number (ui-avatars' repair, which
/// is not its default of 0.4375).
const UNREADABLE_FONT_SIZE: f64 = 0.5;

/// The parameters in the order ui-avatars reads them from path segments.
const SEGMENTS: &[UiKey] = &[
    UiKey::Name,
    UiKey::Size,
    UiKey::Background,
    UiKey::Color,
    UiKey::Length,
    UiKey::FontSize,
    UiKey::Rounded,
    UiKey::Uppercase,
    UiKey::Bold,
    UiKey::Format,
];

/// A parameter of the door: its row of [`UI_PARAMS`], by place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiKey {
    Background,
    Bold,
    Color,
    FontSize,
    Format,
    Length,
    Name,
    Rounded,
    Sig,
    Size,
    Uppercase,
}

impl UiKey {
    /// Every key, in the order of the rows of [`UI_PARAMS`]: sorted by
    /// name (the order of the signed canonical form).
    pub const ALL: &[UiKey] = &[
        UiKey::Background,
        UiKey::Bold,
        UiKey::Color,
        UiKey::FontSize,
        UiKey::Format,
        UiKey::Length,
        UiKey::Name,
        UiKey::Rounded,
        UiKey::Sig,
        UiKey::Size,
        UiKey::Uppercase,
    ];

    /// This parameter's name, how it is read and whether it is signed.
    /// `name` is the first line of the signed canonical form, not a
    /// `key=value` line, and `format` picks an encoding, not the image, so
    /// neither is signed, as on monogram's own door.
    pub const fn row(self) -> Param {
        match self {
            UiKey::Background => Param {
                name: "background",
                signed: true,
                apply: |r, v, _| {
                    if v == "random" {
                        // The palette colour of the name (or the placeholder's grey
                        // for a name without initials), with its contrasting text
                        // colour unless `color` says otherwise.
                        r.bg = None;
                        r.fg = None;
                    } else if let Some(c) = Rgb::parse_hex(&v) {
                        r.bg = Some(c);
                    }
                    Ok(())
                },
            },
            UiKey::Bold => Param {
                name: "bold",
                signed: true,
                // Every embedded font is bold: `bold=false` draws bold too.
                apply: |_, _, _| Ok(()),
            },
            UiKey::Color => Param {
                name: "color",
                signed: true,
                apply: |r, v, _| {
                    if let Some(c) = Rgb::parse_hex(&v) {
                        r.fg = Some(c);
                    }
                    Ok(())
                },
            },
            UiKey::FontSize => Param {
                name: "font-size",
                signed: true,
                apply: |r, v, _| {
                    let f = php_number(&v);
                    let f = if f > 0.0 { f } else { UNREADABLE_FONT_SIZE };
                    r.font_size = Some(FontSize::clamped(f));
                    Ok(())
                },
            },
            UiKey::Format => Param {
                name: "format",
                signed: false,
                apply: |r, v, _| {
                    match v.as_str() {
                        "png" => r.format = Format::Png,
                        "svg" => r.format = Format::Svg,
                        _ => {}
                    }
                    Ok(())
                },
            },
            UiKey::Length => Param {
                name: "length",
                signed: true,
                apply: |r, v, _| {
                    r.length = php_integer(&v).clamp(1, i64::from(MAX_INITIALS)) as u8;
                    Ok(())
                },
            },
            UiKey::Name => Param {
                name: "name",
                signed: false,
                apply: |r, v, _| {
                    if v.len() > MAX_NAME_BYTES {
                        return Err(Error::NameTooLong {
                            max: MAX_NAME_BYTES,
                        });
                    }
                    r.name = v;
                    Ok(())
                },
            },
            UiKey::Rounded => Param {
                name: "rounded",
                signed: true,
                apply: |r, v, _| {
                    r.shape = if php_bool(&v) {
                        Shape::Circle
                    } else {
                        Shape::Square
                    };
                    Ok(())
                },
            },
            UiKey::Sig => request::SIG,
            UiKey::Size => Param {
                name: "size",
                signed: true,
                apply: |r, v, config| {
                    let max = i64::from(MAX_SIZE.min(config.max_size));
                    let size = php_integer(&v).clamp(i64::from(MIN_SIZE), max);
                    r.size = config.snap(u32::try_from(size).unwrap_or(MIN_SIZE));
                    Ok(())
                },
            },
            UiKey::Uppercase => Param {
                name: "uppercase",
                signed: true,
                apply: |r, v, _| {
                    r.uppercase = php_bool(&v);
                    Ok(())
                },
            },
        }
    }
}

/// Every parameter of the door, one row per [`UiKey`] in [`UiKey::ALL`]'s order.
pub const UI_PARAMS: &[Param] = &request::rows!(UiKey);

/// Parses `:path` under `ui_avatars_prefix` (the caller has checked it).
/// `accept` is the request's `Accept` header: with `image/svg+xml` in it,
/// the answer is an SVG unless `format` says otherwise, as on ui-avatars.
pub fn parse(config: &Config, path: &str, accept: Option<&str>) -> Result<AvatarRequest, Error> {
    let prefix = config.ui_avatars_prefix.as_deref().unwrap_or_default();
    let (path, query) = request::split(path);
    let mut values = request::values(UI_PARAMS, query)?;
    let in_query = UiKey::ALL
        .iter()
        .zip(&values)
        .any(|(&k, v)| k != UiKey::Sig && v.is_some());
    if !in_query {
        let rest = path.get(prefix.len()..).unwrap_or("");
        // An empty segment is an absent parameter (`/api/` is John Doe).
        let segments = rest.split('/').map(|s| (!s.is_empty()).then_some(s));
        for (&key, raw) in SEGMENTS.iter().zip(segments) {
            let (Some(raw), Some(slot)) = (raw, request::slot_of(UiKey::ALL, &mut values, key))
            else {
                continue;
            };
            *slot = Some(request::decode(raw, "path")?);
        }
    }
    // An absent name is John Doe; a name given empty is no name (the
    // placeholder), where ui-avatars draws no letters.
    let name_given =
        request::slot_of(UiKey::ALL, &mut values, UiKey::Name).is_some_and(|v| v.is_some());
    let name = if name_given { "" } else { DEFAULT_NAME };
    let format = if accept.is_some_and(accepts_svg) {
        Format::Svg
    } else {
        Format::Png
    };
    let mut r = AvatarRequest::new(config, name.to_string(), format);
    r.size = config.snap(DEFAULT_SIZE.min(config.max_size));
    r.shape = Shape::Square;
    r.length = 2;
    r.bg = Some(DEFAULT_BACKGROUND);
    r.fg = Some(DEFAULT_COLOR);
    r.font_size = Some(FontSize::UI_AVATARS_DEFAULT);
    request::apply(UI_PARAMS, values, &mut r, config)?;
    Ok(r)
}

/// Does an `Accept` header list `image/svg+xml`? A substring test, in any
/// case, as ui-avatars makes it (a `q=0` does not refuse it there either).
pub fn accepts_svg(accept: &str) -> bool {
    const SVG: &[u8] = b"image/svg+xml";
    accept
        .as_bytes()
        .windows(SVG.len())
        .any(|w| w.eq_ignore_ascii_case(SVG))
}

/// A number as PHP's `(int)` and `(double)` casts read a string: its
/// longest leading decimal number (after white space; sign, digits,
/// fraction, exponent), 0 when there is none.
fn php_number(s: &str) -> f64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = s.as_bytes();
    let digits_from = |i: usize| {
        b.get(i..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let mut end = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let whole = digits_from(end);
    end = end.saturating_add(whole);
    let mut mantissa = whole;
    if b.get(end) == Some(&b'.') {
        let fraction = digits_from(end.saturating_add(1));
        if whole > 0 || fraction > 0 {
            end = end.saturating_add(1).saturating_add(fraction);
            mantissa = mantissa.saturating_add(fraction);
        }
    }
    if mantissa == 0 {
        return 0.0;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(end.saturating_add(1)), Some(b'+' | b'-')));
        let exponent = digits_from(end.saturating_add(1).saturating_add(sign));
        if exponent > 0 {
            end = end
                .saturating_add(1)
                .saturating_add(sign)
                .saturating_add(exponent);
        }
    }
    s.get(..end).and_then(|n| n.parse().ok()).unwrap_or(0.0)
}

/// PHP's `(int)` of a string: [`php_number`] truncated towards zero,
/// saturating (NaN is 0).
fn php_integer(s: &str) -> i64 {
    php_number(s) as i64
}

/// PHP's `filter_var($s, FILTER_VALIDATE_BOOLEAN)`: `1`, `true`, `on` and
/// `yes`, in any case and surrounded by white space, are true; anything
/// else is false.
fn php_bool(s: &str) -> bool {
    let s = s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\0']);
    ["1", "true", "on", "yes"]
        .iter()
        .any(|t| s.eq_ignore_ascii_case(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_json(br#"{"ui_avatars_prefix":"/api/"}"#).unwrap()
    }

    fn p(path: &str) -> AvatarRequest {
        parse(&config(), path, None).unwrap()
    }

    #[test]
    fn defaults_are_ui_avatars_defaults() {
        let r = p("/api/");
        assert_eq!(r.name, "John Doe");
        assert_eq!((r.size, r.shape, r.length), (64, Shape::Square, 2));
        assert_eq!(
            (r.bg, r.fg),
            (Some(DEFAULT_BACKGROUND), Some(DEFAULT_COLOR))
        );
        assert_eq!(r.font_size, Some(FontSize::UI_AVATARS_DEFAULT));
        assert!(r.uppercase);
        assert_eq!(r.format, Format::Png);
        assert_eq!((r.initials, r.seed, r.sig), (None, None, None));
        assert!(r.given.is_empty());
    }

    #[test]
    fn every_parameter_is_read() {
        let r = p(
            "/api/?name=ada+lovelace&size=128&background=%23ff0000&color=0f0&length=1\
                   &font-size=0.5&rounded=true&uppercase=false&bold=true&format=svg&sig=abc",
        );
        assert_eq!(r.name, "ada lovelace");
        assert_eq!((r.size, r.shape, r.length), (128, Shape::Circle, 1));
        assert_eq!((r.bg, r.fg), (Some(Rgb(255, 0, 0)), Some(Rgb(0, 255, 0))));
        assert_eq!(r.font_size, FontSize::parse("0.5"));
        assert!(!r.uppercase);
        assert_eq!(r.format, Format::Svg);
        assert_eq!(r.sig.as_deref(), Some("abc"));
        let signed: Vec<&str> = r.given.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            signed,
            [
                "background",
                "bold",
                "color",
                "font-size",
                "length",
                "rounded",
                "size",
                "uppercase"
            ]
        );
    }

    #[test]
    fn random_background_is_the_palette_colour_with_its_text_colour() {
        let r = p("/api/?name=Ada&background=random");
        assert_eq!((r.bg, r.fg), (None, None));
        let r = p("/api/?name=Ada&background=random&color=fff");
        assert_eq!((r.bg, r.fg), (None, Some(Rgb(255, 255, 255))));
        // Only the word itself.
        assert_eq!(p("/api/?background=Random").bg, Some(DEFAULT_BACKGROUND));
    }

    #[test]
    fn lenient_values_are_read_as_ui_avatars_reads_them() {
        let size = |v: &str| p(&format!("/api/?size={v}")).size;
        assert_eq!(size("64px"), 64);
        assert_eq!(size("abc"), 16);
        assert_eq!(size("-5"), 16);
        assert_eq!(size("9999"), 512);
        // Then snapped up to the configured sizes, as every size is.
        assert_eq!(size("1e2"), 128);
        assert_eq!(size("%2032"), 32);
        assert_eq!(size("96.9"), 96);
        assert_eq!(size("97"), 128);
        assert_eq!(size("99999999999999999999999"), 512);
        let length = |v: &str| p(&format!("/api/?length={v}")).length;
        assert_eq!(
            (length("0"), length("x"), length("3"), length("7")),
            (1, 1, 3, 3)
        );
        let font = |v: &str| {
            p(&format!("/api/?font-size={v}"))
                .font_size
                .map(FontSize::units)
        };
        assert_eq!(font("0.3"), Some(3000));
        assert_eq!(font("abc"), Some(5000));
        assert_eq!(font("-1"), Some(5000));
        assert_eq!(font("7"), Some(10_000));
        assert_eq!(font("0.01"), Some(1000));
        let rounded = |v: &str| p(&format!("/api/?rounded={v}")).shape;
        for yes in ["1", "true", "TRUE", "on", "Yes", "%20yes"] {
            assert_eq!(rounded(yes), Shape::Circle, "{yes}");
        }
        for no in ["0", "false", "no", "off", "maybe", "2"] {
            assert_eq!(rounded(no), Shape::Square, "{no}");
        }
        assert!(!p("/api/?uppercase=maybe").uppercase);
        assert_eq!(p("/api/?color=red").fg, Some(DEFAULT_COLOR));
        assert_eq!(p("/api/?background=12345").bg, Some(DEFAULT_BACKGROUND));
        assert_eq!(p("/api/?format=gif").format, Format::Png);
        // Empty values are the defaults.
        assert_eq!(p("/api/?size=&rounded=&uppercase="), p("/api/"));
    }

    #[test]
    fn an_empty_name_is_no_name() {
        assert_eq!(p("/api/?name=").name, "");
        assert_eq!(p("/api/?size=32").name, "John Doe");
    }

    #[test]
    fn accept_chooses_svg_unless_format_says() {
        let c = config();
        let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        let f = |path: &str, accept: Option<&str>| parse(&c, path, accept).unwrap().format;
        assert_eq!(f("/api/?name=A", Some(chrome)), Format::Svg);
        assert_eq!(f("/api/?name=A", Some("IMAGE/SVG+XML")), Format::Svg);
        assert_eq!(f("/api/?name=A", Some("image/png")), Format::Png);
        assert_eq!(f("/api/?name=A", None), Format::Png);
        assert_eq!(f("/api/?name=A&format=png", Some(chrome)), Format::Png);
        assert_eq!(f("/api/?name=A&format=svg", None), Format::Svg);
        assert_eq!(f("/api/?name=A&format=gif", Some(chrome)), Format::Svg);
    }

    #[test]
    fn path_segments_are_read_when_the_query_has_no_parameter() {
        let r = p("/api/Ada+Lovelace/128/000/fff/1/0.5/true/false/true/svg");
        assert_eq!(r.name, "Ada Lovelace");
        assert_eq!((r.size, r.shape, r.length), (128, Shape::Circle, 1));
        assert_eq!((r.bg, r.fg), (Some(Rgb(0, 0, 0)), Some(Rgb(255, 255, 255))));
        assert_eq!(r.font_size, FontSize::parse("0.5"));
        assert!(!r.uppercase);
        assert_eq!(r.format, Format::Svg);
        assert_eq!(p("/api/Ada%20Lovelace").name, "Ada Lovelace");
        assert_eq!(p("/api/Ada/32/").size, 32);
        // As on ui-avatars, any query parameter of its own turns them off;
        // monogram's `sig` does not.
        assert_eq!(p("/api/Ada?size=32").name, "John Doe");
        assert_eq!(p("/api/Ada?sig=x&utm=1").name, "Ada");
        // Segments past the ten are ignored.
        assert_eq!(
            p("/api/A/20/0/0/1/1/0/0/0/png/x/y"),
            p("/api/A/20/0/0/1/1/0/0/0/png")
        );
    }

    #[test]
    fn what_bounds_the_work_is_still_a_400() {
        let c = config();
        let e = |path: &str| parse(&c, path, None).unwrap_err();
        assert_eq!(
            e("/api/?name=%zz"),
            Error::BadPercentEncoding { part: "query" }
        );
        assert_eq!(e("/api/%zz"), Error::BadPercentEncoding { part: "path" });
        assert_eq!(e("/api/?name=%C3%28"), Error::InvalidUtf8 { part: "query" });
        assert_eq!(
            e("/api/?name=a%0Ab"),
            Error::ControlCharacter { part: "query" }
        );
        let long = format!("/api/?name={}", "a".repeat(MAX_NAME_BYTES + 1));
        assert_eq!(
            e(&long),
            Error::NameTooLong {
                max: MAX_NAME_BYTES
            }
        );
        // A repeat is refused whatever the order, so a CDN that sorts the
        // query cannot change the answer.
        for repeat in [
            "/api/?name=Ada&name=Bob",
            "/api/?name=Bob&name=Ada",
            "/api/?size=32&size=",
        ] {
            let name = repeat[6..repeat.find('=').unwrap()].to_string();
            assert_eq!(e(repeat), Error::DuplicateParameter { name }, "{repeat}");
        }
        let many = format!("/api/?{}", "k=v&".repeat(request::MAX_PARAMETERS + 1));
        assert_eq!(
            e(&many),
            Error::TooManyParameters {
                max: request::MAX_PARAMETERS,
                part: "query"
            }
        );
        assert!(parse(
            &c,
            &format!("/api/?name={}", "a".repeat(MAX_NAME_BYTES)),
            None
        )
        .is_ok());
    }

    #[test]
    fn the_table_is_sorted_and_unique_and_segments_name_its_rows() {
        let names: Vec<&str> = UI_PARAMS.iter().map(|p| p.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        for (i, key) in UiKey::ALL.iter().enumerate() {
            assert_eq!(UI_PARAMS[i].name, key.row().name);
            assert_eq!(*key as usize, i, "{key:?}: UiKey::ALL in declaration order");
        }
        for (i, key) in SEGMENTS.iter().enumerate() {
            assert!(!SEGMENTS[..i].contains(key), "{key:?} twice");
        }
        for p in UI_PARAMS {
            assert_eq!(
                p.signed,
                !["format", "name", "sig"].contains(&p.name),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn the_size_never_passes_max_size() {
        let c = Config::from_json(br#"{"ui_avatars_prefix":"/api/","max_size":48}"#).unwrap();
        assert_eq!(parse(&c, "/api/?size=400", None).unwrap().size, 48);
        assert_eq!(parse(&c, "/api/", None).unwrap().size, 48);
    }

    #[test]
    fn php_numbers() {
        for (s, n) in [
            ("12", 12.0),
            ("  12abc", 12.0),
            ("-3.5x", -3.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1e", 1.0),
            ("1e+", 1.0),
            ("2E-1", 0.2),
            ("+7", 7.0),
            ("abc", 0.0),
            ("", 0.0),
            (".", 0.0),
            ("-", 0.0),
            ("0x1A", 0.0),
        ] {
            assert_eq!(php_number(s), n, "{s:?}");
        }
        assert_eq!(php_integer("1e999"), i64::MAX);
        assert_eq!(php_integer("-1e999"), i64::MIN);
    }
}
