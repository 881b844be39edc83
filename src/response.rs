//! The whole host-free request path: from method, `:path` and
//! `If-None-Match` to the response the proxy sends (or "not ours"). This is
//! the one place that maps an [`Error`] to an HTTP status.

use crate::cache::{Cache, Entry};
use crate::colour::{self, Rgb, PLACEHOLDER_BG, PLACEHOLDER_FG};
use crate::config::Config;
use crate::encode;
use crate::error::Error;
use crate::fonts::Fonts;
use crate::initials;
use crate::render::{self, Avatar, Content, Shape};
use crate::report::{CacheLookup, Report, RequestOutcome};
use crate::request::{self, AvatarRequest, Format};
use crate::script::Script;
use crate::signing;
use crate::svg;
use std::borrow::Cow;
use std::rc::Rc;
use std::time::Instant;

/// Bumped whenever the same request could render different pixels, so
/// ETags (and caches keyed on them) never outlive the renderer that made them.
pub const RENDER_VERSION: &str = "monogram-2";

/// What the filter needs from the request headers.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// `:path`, query included.
    pub path: &'a str,
    pub if_none_match: Option<&'a str>,
}

/// The request as the host hands it over: header values in bytes (HTTP
/// allows any), made text once by [`request::text_from_host`]. The glue, the
/// fuzzer and the property tests all build requests through this, so they
/// see exactly the same conversion.
pub struct HostRequest<'a> {
    method: Cow<'a, str>,
    path: Cow<'a, str>,
    if_none_match: Option<Cow<'a, str>>,
}

impl<'a> HostRequest<'a> {
    pub fn new(method: &'a [u8], path: &'a [u8], if_none_match: Option<&'a [u8]>) -> Self {
        HostRequest {
            method: request::text_from_host(method),
            path: request::text_from_host(path),
            if_none_match: if_none_match.map(request::text_from_host),
        }
    }

    pub fn request(&self) -> HttpRequest<'_> {
        HttpRequest {
            method: &self.method,
            path: &self.path,
            if_none_match: self.if_none_match.as_deref(),
        }
    }
}

/// A complete response for the host to send, and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// For the glue's metrics and logs; never sent.
    pub report: Report,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The filter's decision for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not under the avatar prefix: let the request continue to its route.
    PassThrough,
    Respond(Response),
}

/// What will be drawn, fully resolved: the ETag is a hash of exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The text to draw; empty means the placeholder.
    pub text: String,
    pub bg: Rgb,
    pub fg: Rgb,
    pub size: u32,
    pub shape: Shape,
    pub format: Format,
}

/// Handles one request. `cache` holds encoded avatars between requests.
pub fn handle(config: &Config, cache: &mut Cache, req: &HttpRequest) -> Outcome {
    if !request::is_avatar_path(config, req.path) {
        return Outcome::PassThrough;
    }
    Outcome::Respond(match respond(config, cache, req) {
        Ok(r) => r,
        Err(e) => error_response(&e),
    })
}

fn respond(config: &Config, cache: &mut Cache, req: &HttpRequest) -> Result<Response, Error> {
    if req.method != "GET" && req.method != "HEAD" {
        return Err(Error::MethodNotAllowed);
    }
    // A path answered before under this configuration (the cache lives no
    // longer than one) was valid, signed and rendered: answer it as it was.
    if let Some(entry) = cache.get(req.path) {
        return Ok(serve(config, &entry, req.if_none_match, CacheLookup::Hit));
    }
    let parsed = request::parse(config, req.path)?;
    // Before the 304 and any rendering: an unsigned URL gets nothing, not even
    // confirmation that its ETag is current.
    signing::verify(&config.signing_keys, &config.path_prefix, &parsed)?;
    let Some(fonts) = Fonts::get() else {
        return Err(Error::EncodeFailed);
    };
    let resolved = resolve(config, &parsed, fonts);
    let etag = format!(
        "\"{:016x}\"",
        colour::fnv1a(fingerprint(&resolved).as_bytes())
    );
    if req.if_none_match.is_some_and(|h| etag_matches(h, &etag)) {
        return Ok(not_modified(config, etag));
    }
    let started = Instant::now();
    let body = draw(&resolved, fonts).ok_or(Error::EncodeFailed)?;
    let render_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let entry = Rc::new(Entry {
        body,
        etag,
        content_type: content_type(resolved.format),
        outcome: if resolved.text.is_empty() {
            RequestOutcome::Placeholder
        } else {
            RequestOutcome::Rendered
        },
        script: Script::of_text(&resolved.text),
    });
    cache.insert(req.path, Rc::clone(&entry));
    let mut response = serve(config, &entry, None, CacheLookup::Miss);
    response.report.render_us = Some(render_us);
    Ok(response)
}

/// The response for an encoded avatar: 304 if `if_none_match` matches its
/// ETag, else 200 with the body. `lookup` is reported only for bodies, and
/// only when the cache is on.
fn serve(
    config: &Config,
    entry: &Entry,
    if_none_match: Option<&str>,
    lookup: CacheLookup,
) -> Response {
    if if_none_match.is_some_and(|h| etag_matches(h, &entry.etag)) {
        return not_modified(config, entry.etag.clone());
    }
    let mut headers = vec![("content-type", entry.content_type.to_string())];
    headers.extend(validator_headers(config, entry.etag.clone()));
    let mut report = Report::new(entry.outcome);
    report.script = entry.script;
    report.cache = (config.cache_bytes > 0).then_some(lookup);
    Response {
        status: 200,
        headers,
        body: entry.body.clone(),
        report,
    }
}

/// 304 for a representation whose ETag is `etag`: no body, never a render.
fn not_modified(config: &Config, etag: String) -> Response {
    Response {
        status: 304,
        headers: validator_headers(config, etag),
        body: Vec::new(),
        report: Report::new(RequestOutcome::NotModified),
    }
}

/// The headers a 200 and its 304 share (RFC 9110 §15.4.5: a 304 carries the
/// validator and caching headers the 200 would have).
fn validator_headers(config: &Config, etag: String) -> Vec<(&'static str, String)> {
    vec![
        ("etag", etag),
        (
            "cache-control",
            format!("public, max-age={}, immutable", config.max_age),
        ),
        ("access-control-allow-origin", "*".to_string()),
        ("x-content-type-options", "nosniff".to_string()),
    ]
}

/// Decides text and colours. Text whose characters are not all in the
/// embedded fonts becomes the placeholder rather than missing-glyph boxes.
pub fn resolve(config: &Config, req: &AvatarRequest, fonts: &Fonts) -> Resolved {
    let text = match &req.initials {
        Some(text) => text.clone(),
        None => initials::initials_drawable(&req.name, req.length, |c| fonts.has_glyph(c)),
    };
    let drawable = !text.is_empty() && text.chars().all(|c| fonts.has_glyph(c));
    let (text, default_bg) = if drawable {
        let key = match &req.seed {
            Some(seed) => seed.clone(),
            None => initials::normalise(&req.name),
        };
        (text, colour::pick(&config.palette, &key))
    } else {
        (String::new(), PLACEHOLDER_BG)
    };
    let bg = req.bg.unwrap_or(default_bg);
    let fg = req.fg.unwrap_or(match (drawable, req.bg) {
        (false, None) => PLACEHOLDER_FG,
        _ => colour::text_colour_for(bg),
    });
    Resolved {
        text,
        bg,
        fg,
        size: req.size,
        shape: req.shape,
        format: req.format,
    }
}

/// Everything that determines the bytes, as one string: what the ETag
/// hashes. (The cache is keyed by the request path instead; see `cache.rs`.)
pub fn fingerprint(r: &Resolved) -> String {
    format!(
        "{RENDER_VERSION}\0{}\0{}\0{}\0{}\0{}\0{:?}",
        r.text,
        r.bg.hex(),
        r.fg.hex(),
        r.size,
        r.shape.name(),
        r.format
    )
}

/// `If-None-Match` semantics (RFC 9110 §13.1.2): `*`, or any listed tag equal
/// under weak comparison. Garbage in the header simply does not match.
pub fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Png => "image/png",
        Format::Svg => "image/svg+xml",
    }
}

/// Renders and encodes.
pub fn draw(r: &Resolved, fonts: &Fonts) -> Option<Vec<u8>> {
    let content = if r.text.is_empty() {
        Content::Placeholder
    } else {
        Content::Text(&r.text)
    };
    let avatar = Avatar {
        size: r.size,
        shape: r.shape,
        bg: r.bg,
        fg: r.fg,
        content,
    };
    match r.format {
        Format::Png => encode::png(&render::render(&avatar, fonts)),
        Format::Svg => svg::svg(&avatar, fonts).map(String::into_bytes),
    }
}

/// The HTTP status of each error: the only place this mapping lives.
pub fn status(e: &Error) -> u16 {
    match e {
        Error::MethodNotAllowed => 405,
        Error::SignatureMissing | Error::SignatureMalformed | Error::SignatureMismatch => 403,
        Error::EncodeFailed => 500,
        Error::BadPercentEncoding { .. }
        | Error::InvalidUtf8 { .. }
        | Error::ControlCharacter { .. }
        | Error::NameTooLong { .. }
        | Error::ExtraPathSegment
        | Error::QueryTooLong { .. }
        | Error::TooManyParameters { .. }
        | Error::DuplicateParameter { .. }
        | Error::BadParameter { .. } => 400,
    }
}

fn error_response(e: &Error) -> Response {
    let mut headers = vec![
        ("content-type", "text/plain; charset=utf-8".to_string()),
        ("cache-control", "no-store".to_string()),
        ("x-content-type-options", "nosniff".to_string()),
        ("access-control-allow-origin", "*".to_string()),
    ];
    if *e == Error::MethodNotAllowed {
        headers.push(("allow", "GET, HEAD".to_string()));
    }
    let mut report = Report::new(RequestOutcome::of_error_status(status(e)));
    report.error = Some(e.clone());
    Response {
        status: status(e),
        headers,
        body: format!("{e}\n").into_bytes(),
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Response {
        req("GET", path, None)
    }

    fn req(method: &str, path: &str, inm: Option<&str>) -> Response {
        let r = HttpRequest {
            method,
            path,
            if_none_match: inm,
        };
        match handle(&Config::default(), &mut Cache::new(0), &r) {
            // Timings differ run to run; keep only whether there was one.
            Outcome::Respond(mut r) => {
                r.report.render_us = r.report.render_us.map(|_| 0);
                r
            }
            Outcome::PassThrough => panic!("passed through: {path}"),
        }
    }

    #[test]
    fn other_paths_pass_through() {
        let r = HttpRequest {
            method: "POST",
            path: "/index.html",
            if_none_match: None,
        };
        let mut cache = Cache::new(0);
        assert_eq!(
            handle(&Config::default(), &mut cache, &r),
            Outcome::PassThrough
        );
    }

    #[test]
    fn ok_response_headers() {
        let r = get("/avatar/Ada%20Lovelace");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("image/png"));
        assert_eq!(
            r.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        let etag = r.header("etag").unwrap();
        assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 18);
        assert!(r.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn seed_and_initials_give_the_same_bytes() {
        let a = get("/avatar/Di%20Wu?seed=42");
        let b = get("/avatar/x?initials=DW&seed=42");
        assert_eq!(a, b);
    }

    #[test]
    fn same_normalised_name_same_colour() {
        assert_eq!(get("/avatar/Di%20Wu").body, get("/avatar/di++wu").body);
    }

    #[test]
    fn unknown_parameters_change_nothing() {
        assert_eq!(get("/avatar/Ada?utm_source=mail"), get("/avatar/Ada"));
    }

    #[test]
    fn not_modified_without_a_body() {
        let etag = get("/avatar/Ada").header("etag").unwrap().to_string();
        for inm in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"x\", {etag}"),
            "*".into(),
        ] {
            let r = req("GET", "/avatar/Ada", Some(&inm));
            assert_eq!(r.status, 304, "{inm}");
            assert!(r.body.is_empty());
            assert_eq!(r.header("etag"), Some(etag.as_str()));
        }
        for inm in ["\"other\"", "", ",,,", "W/", "\"", "\u{0}"] {
            assert_eq!(req("GET", "/avatar/Ada", Some(inm)).status, 200, "{inm:?}");
        }
    }

    #[test]
    fn head_has_the_headers_of_get() {
        let g = get("/avatar/Ada");
        let h = req("HEAD", "/avatar/Ada", None);
        assert_eq!(g.headers, h.headers);
    }

    #[test]
    fn other_methods_are_405() {
        for m in [
            "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get",
        ] {
            let r = req(m, "/avatar/Ada", None);
            assert_eq!(r.status, 405, "{m}");
            assert_eq!(r.header("allow"), Some("GET, HEAD"));
        }
    }

    #[test]
    fn bad_input_is_400_with_the_reason() {
        let r = get("/avatar/x?size=big");
        assert_eq!(r.status, 400);
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "parameter 'size' must be an integer number of pixels\n"
        );
    }

    #[test]
    fn unusable_names_get_the_placeholder() {
        let a = get("/avatar/");
        let b = get("/avatar/%21%21%21");
        assert_eq!(a.status, 200);
        assert_eq!(a.body, b.body);
        // Letters no embedded font draws (Vai), and overrides without a
        // glyph, too: never missing-glyph boxes.
        assert_eq!(get("/avatar/%EA%94%80").body, a.body);
        assert_eq!(get("/avatar/x?initials=%E2%98%83").body, a.body);
        assert_ne!(get("/avatar/%E7%8E%8B").body, a.body);
    }

    #[test]
    fn etag_depends_on_what_is_drawn() {
        let e = |p: &str| get(p).header("etag").unwrap().to_string();
        assert_eq!(e("/avatar/Ada%20L"), e("/avatar/ada++l"));
        assert_ne!(e("/avatar/Ada"), e("/avatar/Ada?size=64"));
        assert_ne!(e("/avatar/Ada"), e("/avatar/Ada?shape=square"));
        assert_ne!(e("/avatar/Ada"), e("/avatar/Ada?bg=000"));
        assert_ne!(e("/avatar/Ada"), e("/avatar/Ada?fg=000"));
        assert_ne!(e("/avatar/Ada"), e("/avatar/Bo"));
    }

    #[test]
    fn cached_responses_equal_fresh_ones_and_304_does_not_fill_the_cache() {
        let config = Config::default();
        let mut cache = Cache::new(1 << 20);
        let get = |cache: &mut Cache, inm: Option<&str>| {
            let r = HttpRequest {
                method: "GET",
                path: "/avatar/Ada?size=64",
                if_none_match: inm,
            };
            match handle(&config, cache, &r) {
                Outcome::Respond(r) => r,
                Outcome::PassThrough => panic!(),
            }
        };
        let fresh = get(&mut cache, None);
        assert_eq!((cache.hits, cache.misses, cache.len()), (0, 1, 1));
        let cached = get(&mut cache, None);
        assert_eq!(cache.hits, 1);
        assert_eq!(
            (fresh.status, &fresh.headers, &fresh.body),
            (cached.status, &cached.headers, &cached.body)
        );
        assert_eq!(fresh.report.cache, Some(CacheLookup::Miss));
        assert_eq!(cached.report.cache, Some(CacheLookup::Hit));
        let etag = fresh.header("etag").unwrap().to_string();
        let mut empty = Cache::new(1 << 20);
        assert_eq!(get(&mut empty, Some(&etag)).status, 304);
        assert!(empty.is_empty(), "304 renders nothing and caches nothing");
    }

    #[test]
    fn a_cached_path_answers_304_head_and_errors_like_a_fresh_one() {
        let config = Config::default();
        let mut cache = Cache::new(1 << 20);
        let mut send = |method: &str, path: &str, inm: Option<&str>| {
            let r = HttpRequest {
                method,
                path,
                if_none_match: inm,
            };
            match handle(&config, &mut cache, &r) {
                Outcome::Respond(r) => r,
                Outcome::PassThrough => panic!(),
            }
        };
        let first = send("GET", "/avatar/Ada", None);
        assert!(first.report.render_us.is_some(), "a render is timed");
        let etag = first.header("etag").unwrap().to_string();
        let fresh_304 = req("GET", "/avatar/Ada", Some(&etag));
        let cached_304 = send("GET", "/avatar/Ada", Some(&etag));
        assert_eq!(cached_304, fresh_304);
        assert_eq!(cached_304.report.cache, None, "a 304 serves no body");
        let head = send("HEAD", "/avatar/Ada", Some("\"other\""));
        assert_eq!((head.status, &head.body), (200, &first.body));
        assert_eq!(head.report.render_us, None, "a hit is not a render");
        // The method is checked before the cache.
        assert_eq!(send("POST", "/avatar/Ada", None).status, 405);
        // Another spelling is its own entry, with the same ETag.
        let other = send("GET", "/avatar/ada", None);
        assert_eq!(other.header("etag"), Some(etag.as_str()));
        assert_eq!(other.report.cache, Some(CacheLookup::Miss));
    }

    #[test]
    fn reports_say_what_happened() {
        let outcome = |m: &str, p: &str, inm: Option<&str>| req(m, p, inm).report.outcome;
        assert_eq!(
            outcome("GET", "/avatar/Ada", None),
            RequestOutcome::Rendered
        );
        assert_eq!(
            outcome("HEAD", "/avatar/Ada", None),
            RequestOutcome::Rendered
        );
        assert_eq!(
            outcome("GET", "/avatar/", None),
            RequestOutcome::Placeholder
        );
        assert_eq!(
            outcome("GET", "/avatar/Ada", Some("*")),
            RequestOutcome::NotModified
        );
        assert_eq!(
            outcome("PUT", "/avatar/Ada", None),
            RequestOutcome::MethodNotAllowed
        );
        assert_eq!(
            outcome("GET", "/avatar/Ada?size=x", None),
            RequestOutcome::BadRequest
        );
        assert_eq!(
            get("/avatar/%CE%91%CE%B2").report.script,
            Some(Script::Greek)
        );
        assert_eq!(get("/avatar/").report.script, None);
        let bad = get("/avatar/Ada?size=x").report;
        assert_eq!(
            bad.error,
            Some(Error::BadParameter {
                name: "size",
                expected: "an integer number of pixels"
            })
        );
        assert_eq!(get("/avatar/Ada").report.error, None);
    }

    #[test]
    fn svg_has_the_headers_of_png_but_its_own_type_and_etag() {
        let png = get("/avatar/Ada%20Lovelace?size=64");
        let svg = get("/avatar/Ada%20Lovelace.svg?size=64");
        assert_eq!(svg.status, 200);
        assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
        assert_ne!(svg.header("etag"), png.header("etag"));
        for h in [
            "cache-control",
            "access-control-allow-origin",
            "x-content-type-options",
        ] {
            assert_eq!(svg.header(h), png.header(h), "{h}");
        }
        assert!(svg.body.starts_with(b"<svg "));
        assert_eq!(svg.report, png.report);
        let etag = svg.header("etag").unwrap().to_string();
        let again = req("GET", "/avatar/Ada%20Lovelace.svg?size=64", Some(&etag));
        assert_eq!(again.status, 304);
        // A name that could break out of markup draws like any other name.
        let hostile = get("/avatar/%3C%2Fsvg%3E%3Cscript%3E.svg");
        assert!(!String::from_utf8(hostile.body).unwrap().contains("script"));
    }

    #[test]
    fn signed_deployments_answer_403_to_anything_unsigned() {
        let config = Config::from_json(
            br#"{"signing_keys":["0123456789abcdef-new","0123456789abcdef-old"]}"#,
        )
        .unwrap();
        let send = |path: &str, inm: Option<&str>| match handle(
            &config,
            &mut Cache::new(0),
            &HttpRequest {
                method: "GET",
                path,
                if_none_match: inm,
            },
        ) {
            Outcome::Respond(r) => r,
            Outcome::PassThrough => panic!("passed through: {path}"),
        };
        let sig = |key: &str, path: &str| {
            let parsed = request::parse(&config, path).unwrap();
            signing::sign(
                &signing::SigningKey::new(key).unwrap(),
                &signing::canonical("/avatar/", &parsed),
            )
        };
        for key in ["0123456789abcdef-new", "0123456789abcdef-old"] {
            let url = format!(
                "/avatar/Ada?size=64&sig={}",
                sig(key, "/avatar/Ada?size=64")
            );
            let r = send(&url, None);
            assert_eq!(r.status, 200, "{key}");
            assert_eq!(r.body, get("/avatar/Ada?size=64").body);
        }
        let wrong = sig("0123456789abcdef-gone", "/avatar/Ada?size=64");
        for (path, message) in [
            (
                "/avatar/Ada".to_string(),
                "this server renders only signed avatar URLs: parameter 'sig' is missing\n",
            ),
            (
                "/avatar/Ada?sig=".to_string(),
                "this server renders only signed avatar URLs: parameter 'sig' is missing\n",
            ),
            (
                "/avatar/Ada?sig=short".to_string(),
                "parameter 'sig' must be 22 characters of URL-safe base64 without padding\n",
            ),
            (
                format!("/avatar/Ada?size=64&sig={wrong}"),
                "the signature 'sig' does not match this URL\n",
            ),
        ] {
            for inm in [None, Some("*")] {
                let r = send(&path, inm);
                assert_eq!(r.status, 403, "{path}");
                assert_eq!(r.header("cache-control"), Some("no-store"));
                assert_eq!(String::from_utf8(r.body).unwrap(), message);
            }
        }
        // Malformed input is still a 400 that says what is wrong.
        assert_eq!(send("/avatar/%zz", None).status, 400);
    }

    #[test]
    fn bg_alone_gets_a_contrasting_text_colour() {
        let c = Config::default();
        let fonts = Fonts::get().unwrap();
        let parsed = request::parse(&c, "/avatar/Ada?bg=ffff00").unwrap();
        assert_eq!(resolve(&c, &parsed, fonts).fg, colour::INK);
    }
}
