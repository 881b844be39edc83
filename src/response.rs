//! The request path, host-free: from method, `:path` and `If-None-Match`
//! to the response the proxy sends (or "not ours"). The flow:
//! method → cache by path → [`request::parse`] → [`signing::verify`] →
//! [`avatar::resolve`] → [`etag`] (a 304 ends here) → [`draw`] → cache → 200.

use crate::avatar;
use crate::cache::{Cache, Entry};
use crate::config::Config;
use crate::draw::draw;
use crate::error::Error;
use crate::etag;
use crate::fonts::Fonts;
use crate::headers;
use crate::http::{HttpRequest, Outcome, Response};
use crate::report::{CacheLookup, Report, RequestOutcome};
use crate::request;
use crate::script::Script;
use crate::signing;
use std::rc::Rc;
use std::time::Instant;

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
    let message = signing::canonical(&config.path_prefix, &parsed.name, &parsed.given);
    signing::verify(&config.signing_keys, &message, parsed.sig.as_deref())?;
    let fonts = Fonts::get().ok_or(Error::FontsUnavailable)?;
    let resolved = avatar::resolve(config, &parsed, fonts);
    let etag = etag::etag(&resolved);
    if req.if_none_match.is_some_and(|h| etag::matches(h, &etag)) {
        return Ok(not_modified(config, etag));
    }
    let started = Instant::now();
    let body = draw(&resolved, fonts)?;
    let render_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let entry = Rc::new(Entry {
        body,
        etag,
        content_type: resolved.format.content_type(),
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
    if if_none_match.is_some_and(|h| etag::matches(h, &entry.etag)) {
        return not_modified(config, entry.etag.clone());
    }
    let mut headers = vec![("content-type", entry.content_type.to_string())];
    headers.extend(headers::validators(config, entry.etag.clone()));
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
        headers: headers::validators(config, etag),
        body: Vec::new(),
        report: Report::new(RequestOutcome::NotModified),
    }
}

fn error_response(e: &Error) -> Response {
    let mut report = Report::new(RequestOutcome::of_error_status(e.status()));
    report.error = Some(e.clone());
    Response {
        status: e.status(),
        headers: headers::error(e),
        body: format!("{e}\n").into_bytes(),
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HostRequest;

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
        assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34);
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
        // Letters no embedded font draws (Cherokee), and overrides without a
        // glyph, too: never missing-glyph boxes.
        assert_eq!(get("/avatar/%E1%8F%A3").body, a.body);
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
                &signing::canonical("/avatar/", &parsed.name, &parsed.given),
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
    fn the_signature_covers_meaning_not_spelling() {
        let c = Config::default();
        let canonical = |path: &str| {
            let r = request::parse(&c, path).unwrap();
            signing::canonical("/avatar/", &r.name, &r.given)
        };
        let a = canonical("/avatar/Ada%20Lovelace.png?size=64&bg=%23ABC&utm=x&sig=zz");
        assert_eq!(a, "/avatar/Ada Lovelace\nbg=#ABC\nsize=64");
        assert_eq!(
            a,
            canonical("/avatar/Ada+Lovelace?bg=%23ABC&size=%36%34&fg=")
        );
        assert_eq!(canonical("/avatar/Ada%2Epng"), "/avatar/Ada.png");
        assert_eq!(
            canonical("/avatar/?size=9&shape=square&seed=s&length=1&initials=X&fg=000&bg=fff"),
            "/avatar/\nbg=fff\nfg=000\ninitials=X\nlength=1\nseed=s\nshape=square\nsize=9"
        );
    }

    #[test]
    fn invalid_utf8_from_the_host_is_a_400_or_ignored() {
        let send = |path: &[u8]| {
            let host = HostRequest::new(b"GET", path, None);
            match handle(&Config::default(), &mut Cache::new(0), &host.request()) {
                Outcome::Respond(r) => r,
                Outcome::PassThrough => panic!(),
            }
        };
        let bad = send(b"/avatar/\xff");
        assert_eq!(bad.status, 400);
        assert_eq!(bad.report.error, Some(Error::InvalidUtf8 { part: "name" }));
        assert_eq!(send(b"/avatar/x?utm=\xff").body, get("/avatar/x").body);
    }
}
