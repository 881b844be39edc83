//! The request path, host-free: from method, `:path`, `If-None-Match` and
//! `Accept` to the response the proxy sends (or "not ours"). The flow:
//! door ([`door_of`]) → method → cache by path → the door's parser →
//! [`signing::verify`] → [`resolve::resolve`] → [`etag`] (a 304 ends here) →
//! cache by ETag → render budget → [`draw`] → cache → 200. Every door meets
//! the others at the parsed request: one renderer, one cache, one ETag (and
//! one cache entry) per image.
//!
//! Time comes from the caller's clock (the host's, in the filter), in
//! nanoseconds: it measures renders and refills the budget.

use crate::avatar::resolve;
use crate::config::Config;
use crate::doors::door::{Door, Phase};
use crate::doors::{door_of, photo, signing};
use crate::draw::image::draw;
use crate::error::Error;
use crate::flow::budget::Budget;
use crate::flow::cache::{Cache, Entry};
use crate::flow::etag;
use crate::flow::headers;
use crate::flow::http::{HttpRequest, Outcome, Response};
use crate::flow::report::{CacheLookup, Photo, Report, RequestOutcome};
use crate::flow::state::State;
use crate::fonts::script::Script;
use crate::fonts::table::Fonts;
use std::rc::Rc;

/// A clock in nanoseconds, any epoch.
pub type Clock<'a> = &'a dyn Fn() -> u64;

/// Handles one request. `state` holds the VM's cache and render budget
/// between requests; `now` reads the clock.
///
/// A door that answers on the upstream's response ([`Phase::Response`])
/// only checks the request here: a malformed one gets its 400 now, before
/// the upstream is asked; anything else passes on (to [`upstream_path`] and
/// then [`on_response`]).
pub fn handle(config: &Config, state: &mut State, req: &HttpRequest, now: Clock) -> Outcome {
    let Some(door) = door_of(config, req.path) else {
        return Outcome::PassThrough;
    };
    if door.phase == Phase::Response {
        return match (door.parse)(config, req.path, req.accept) {
            Err(e) if asks_for_image(req) => Outcome::Respond(error_response(&e)),
            _ => Outcome::PassThrough,
        };
    }
    let mut response = match respond(config, state, req, door, now) {
        Ok(r) => r,
        Err(e) => error_response(&e),
    };
    // A door whose answer depends on a header says so, on the 304 too
    // (RFC 9110 §15.4.5), so shared caches keep its answers apart.
    if let Some(vary) = door
        .vary
        .as_ref()
        .filter(|_| matches!(response.status, 200 | 304))
    {
        response.headers.push(("vary", vary.header.to_string()));
    }
    Outcome::Respond(response)
}

/// GET or HEAD: the only requests a door answering on the upstream's
/// response acts on. Others (an upload to the origin, say) pass untouched.
fn asks_for_image(req: &HttpRequest) -> bool {
    matches!(req.method, "GET" | "HEAD")
}

/// The `:path` the upstream should get for a request that passed on, if it
/// is not the client's: the photo door's origin never sees monogram's
/// parameters.
pub fn upstream_path(config: &Config, req: &HttpRequest) -> Option<String> {
    door_of(config, req.path)
        .filter(|d| d.phase == Phase::Response && asks_for_image(req))
        .and_then(|_| photo::upstream_path(req.path))
}

/// Does the answer to `req` wait for the upstream's response
/// ([`on_response`])? Then the glue keeps the request until it comes.
pub fn waits_for_response(config: &Config, req: &HttpRequest) -> bool {
    door_of(config, req.path).is_some_and(|d| d.phase == Phase::Response) && asks_for_image(req)
}

/// What to do with an upstream's response to a request that passed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnResponse {
    /// Let it go to the client untouched; what the photo door made of it, if
    /// the request was under that door.
    Pass(Option<Photo>),
    /// Send this instead; the upstream's body is discarded.
    Replace(Response),
}

/// Decides on the upstream's response with `status` to `req` (the request
/// as the client sent it): a request under the photo door whose origin has
/// no photo gets the initials of its `name`, else the origin's answer passes.
pub fn on_response(
    config: &Config,
    state: &mut State,
    req: &HttpRequest,
    status: u16,
    now: Clock,
) -> OnResponse {
    let Some(door) =
        door_of(config, req.path).filter(|d| d.phase == Phase::Response && asks_for_image(req))
    else {
        return OnResponse::Pass(None);
    };
    let Some(class) = photo::falls_back(config, status) else {
        return OnResponse::Pass(Some(Photo::Passed));
    };
    let mut response = match respond(config, state, req, door, now) {
        Ok(r) => r,
        // Only the fallback is signed: without a valid `sig` the origin's
        // answer is the answer.
        Err(Error::SignatureMissing | Error::SignatureMalformed | Error::SignatureMismatch) => {
            return OnResponse::Pass(Some(Photo::Unsigned))
        }
        Err(e) => error_response(&e),
    };
    response.report.photo = Some(match response.report.outcome {
        RequestOutcome::Refused => Photo::Refused,
        _ => Photo::Fallback(class),
    });
    OnResponse::Replace(response)
}

fn respond(
    config: &Config,
    state: &mut State,
    req: &HttpRequest,
    door: &Door,
    now: Clock,
) -> Result<Response, Error> {
    let cache = &mut state.cache;
    if req.method != "GET" && req.method != "HEAD" {
        return Err(Error::MethodNotAllowed);
    }
    // A path answered before under this configuration (the cache lives no
    // longer than one) was valid, signed and rendered: answer it as it was.
    let key = door.cache_key(req.path, req.accept);
    if let Some(entry) = cache.get(&key) {
        return Ok(serve(
            door,
            config,
            &entry,
            req.if_none_match,
            CacheLookup::Hit,
        ));
    }
    let parsed = (door.parse)(config, req.path, req.accept)?;
    // Before the 304 and any rendering: an unsigned URL gets nothing, not even
    // confirmation that its ETag is current.
    let message = (door.canonical)(config, req.path, &parsed);
    signing::verify(&config.signing_keys, &message, parsed.sig.as_deref())?;
    let fonts = Fonts::get().ok_or(Error::FontsUnavailable)?;
    let resolved = resolve::resolve(&config.palette, &parsed, fonts);
    let etag = etag::etag(&resolved);
    if req.if_none_match.is_some_and(|h| etag::matches(h, &etag)) {
        return Ok(not_modified(door, config, etag));
    }
    // Another spelling of an avatar already drawn: answer it, and let this
    // path find it directly next time.
    if let Some(entry) = cache.get(&etag) {
        cache.alias(&key, &entry);
        return Ok(serve(door, config, &entry, None, CacheLookup::Hit));
    }
    let started = now();
    if !state.budget.allow(started) {
        return Err(Error::Busy {
            retry_after_s: state.budget.retry_after_s(),
        });
    }
    let mut body = draw(&resolved, fonts)?;
    let spent = now().saturating_sub(started);
    state.budget.charge(spent);
    // The cache charges what an entry holds: give back what the encoder reserved.
    body.shrink_to_fit();
    // To the nearest microsecond: truncating would read every render about
    // half a microsecond faster than it was.
    let render_us = spent.saturating_add(500) / 1000;
    let cache = &mut state.cache;
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
    cache.insert(Rc::clone(&entry));
    cache.alias(&key, &entry);
    let mut response = serve(door, config, &entry, None, CacheLookup::Miss);
    response.report.render_us = Some(render_us);
    Ok(response)
}

/// The response for an encoded avatar: 304 if `if_none_match` matches its
/// ETag, else 200 with the body. `lookup` is reported only for bodies, and
/// only when the cache is on.
fn serve(
    door: &Door,
    config: &Config,
    entry: &Entry,
    if_none_match: Option<&str>,
    lookup: CacheLookup,
) -> Response {
    if if_none_match.is_some_and(|h| etag::matches(h, &entry.etag)) {
        return not_modified(door, config, entry.etag.clone());
    }
    let cache_control = (door.cache_control)(config);
    let headers = headers::image(cache_control, entry.content_type, entry.etag.clone());
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
fn not_modified(door: &Door, config: &Config, etag: String) -> Response {
    Response {
        status: 304,
        headers: headers::validators((door.cache_control)(config), etag),
        body: Vec::new(),
        report: Report::new(RequestOutcome::NotModified),
    }
}

/// One request against a fresh state, uncached and with the budget off:
/// how tools and tests render a single avatar natively.
pub fn handle_once(config: &Config, req: &HttpRequest) -> Outcome {
    let mut state = State {
        cache: Cache::new(0),
        budget: Budget::new(0, 0),
    };
    handle(config, &mut state, req, &|| 0)
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
    use crate::doors::request;
    use crate::flow::http::HostRequest;

    fn get(path: &str) -> Response {
        req("GET", path, None)
    }

    fn req(method: &str, path: &str, inm: Option<&str>) -> Response {
        let r = HttpRequest {
            method,
            path,
            if_none_match: inm,
            accept: None,
        };
        match handle_once(&Config::default(), &r) {
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
            accept: None,
        };
        assert_eq!(handle_once(&Config::default(), &r), Outcome::PassThrough);
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

    fn state(config: &Config) -> State {
        State::new(config)
    }

    fn send(
        config: &Config,
        state: &mut State,
        method: &str,
        path: &str,
        inm: Option<&str>,
    ) -> Response {
        let r = HttpRequest {
            method,
            path,
            if_none_match: inm,
            accept: None,
        };
        match handle(config, state, &r, &|| 0) {
            Outcome::Respond(r) => r,
            Outcome::PassThrough => panic!("passed through: {path}"),
        }
    }

    #[test]
    fn cached_responses_equal_fresh_ones_and_304_does_not_fill_the_cache() {
        let config = Config::default();
        let mut s = state(&config);
        let fresh = send(&config, &mut s, "GET", "/avatar/Ada?size=64", None);
        // The image under its ETag, and the path's alias of it.
        assert_eq!(fresh.report.cache, Some(CacheLookup::Miss));
        assert_eq!(s.cache.len(), 2);
        let cached = send(&config, &mut s, "GET", "/avatar/Ada?size=64", None);
        assert_eq!(cached.report.cache, Some(CacheLookup::Hit));
        assert_eq!(
            (fresh.status, &fresh.headers, &fresh.body),
            (cached.status, &cached.headers, &cached.body)
        );
        assert_eq!(fresh.report.cache, Some(CacheLookup::Miss));
        assert_eq!(cached.report.cache, Some(CacheLookup::Hit));
        let etag = fresh.header("etag").unwrap().to_string();
        let mut empty = state(&config);
        let r = send(
            &config,
            &mut empty,
            "GET",
            "/avatar/Ada?size=64",
            Some(&etag),
        );
        assert_eq!(r.status, 304);
        assert!(
            empty.cache.is_empty(),
            "304 renders nothing and caches nothing"
        );
    }

    #[test]
    fn a_cached_path_answers_304_head_and_errors_like_a_fresh_one() {
        let config = Config::default();
        let mut s = state(&config);
        let first = send(&config, &mut s, "GET", "/avatar/Ada", None);
        assert!(first.report.render_us.is_some(), "a render is timed");
        let etag = first.header("etag").unwrap().to_string();
        let fresh_304 = req("GET", "/avatar/Ada", Some(&etag));
        let cached_304 = send(&config, &mut s, "GET", "/avatar/Ada", Some(&etag));
        assert_eq!(cached_304, fresh_304);
        assert_eq!(cached_304.report.cache, None, "a 304 serves no body");
        let head = send(&config, &mut s, "HEAD", "/avatar/Ada", Some("\"other\""));
        assert_eq!((head.status, &head.body), (200, &first.body));
        assert_eq!(head.report.render_us, None, "a hit is not a render");
        // The method is checked before the cache.
        assert_eq!(
            send(&config, &mut s, "POST", "/avatar/Ada", None).status,
            405
        );
    }

    #[test]
    fn every_spelling_of_an_avatar_is_rendered_once() {
        let config = Config::default();
        let mut s = state(&config);
        let first = send(&config, &mut s, "GET", "/avatar/Ada?size=512", None);
        let mut spellings: Vec<String> = (1..=200)
            .map(|i| format!("/avatar/Ada?size=512&z={i}"))
            .collect();
        spellings.extend(
            [
                "/avatar/Ada.png?size=512",
                "/avatar/%41da?size=512",
                "/avatar/ada?size=%35%31%32&seed=",
                "/avatar/Ada?size=497",
            ]
            .map(String::from),
        );
        for path in &spellings {
            let r = send(&config, &mut s, "GET", path, None);
            assert_eq!(r.body, first.body, "{path}");
            assert_eq!(r.header("etag"), first.header("etag"), "{path}");
            assert_eq!(r.report.cache, Some(CacheLookup::Hit), "{path}");
            assert_eq!(r.report.render_us, None, "{path}");
        }
        // One render for all the spellings (each above was a hit); a second
        // request for a respelling is a hit by path alone.
        let images = s.cache.len();
        let again = send(&config, &mut s, "GET", &spellings[0], None);
        assert_eq!(again.report.cache, Some(CacheLookup::Hit));
        assert_eq!(s.cache.len(), images);
    }

    #[test]
    fn sizes_in_one_bucket_give_the_same_bytes() {
        let config = Config::default();
        assert_eq!(
            get("/avatar/Ada?size=97").body,
            get("/avatar/Ada?size=128").body
        );
        assert_eq!(get("/avatar/Ada?size=500"), get("/avatar/Ada?size=512"));
        assert_ne!(
            get("/avatar/Ada?size=96").body,
            get("/avatar/Ada?size=97").body
        );
        assert_eq!(config.snap(1), 16);
        let any = Config::from_json(br#"{"sizes":"any"}"#).unwrap();
        let mut s = state(&any);
        let odd = send(&any, &mut s, "GET", "/avatar/Ada?size=97", None);
        assert_ne!(odd.body, get("/avatar/Ada?size=128").body);
    }

    #[test]
    fn render_time_is_rounded_to_the_nearest_microsecond() {
        let config = Config::from_json(br#"{"render_budget_ms_per_s":0}"#).unwrap();
        let mut s = state(&config);
        // 1.7 µs between the two readings around the render.
        let t = std::cell::Cell::new(0u64);
        let now = || {
            t.set(t.get() + 1_700);
            t.get()
        };
        let r = HttpRequest {
            method: "GET",
            path: "/avatar/Ada",
            if_none_match: None,
            accept: None,
        };
        let Outcome::Respond(r) = handle(&config, &mut s, &r, &now) else {
            panic!("the avatar door answers");
        };
        assert_eq!(r.report.render_us, Some(2));
    }

    #[test]
    fn over_budget_a_miss_is_refused_but_hits_and_304s_are_not() {
        let config =
            Config::from_json(br#"{"render_budget_ms_per_s":100,"render_burst_ms":1}"#).unwrap();
        let mut s = state(&config);
        // A clock that moves 5 ms during every render: the first overdraws
        // the 1 ms burst.
        let t = std::cell::Cell::new(0u64);
        let now = || {
            t.set(t.get() + 2_500_000);
            t.get()
        };
        let mut go = |path: &str, inm: Option<&str>| {
            let r = HttpRequest {
                method: "GET",
                path,
                if_none_match: inm,
                accept: None,
            };
            match handle(&config, &mut s, &r, &now) {
                Outcome::Respond(r) => r,
                Outcome::PassThrough => panic!(),
            }
        };
        let first = go("/avatar/Ada", None);
        assert_eq!(first.status, 200);
        assert_eq!(first.report.render_us, Some(2_500));
        let refused = go("/avatar/Bo", None);
        assert_eq!(refused.status, 503);
        assert_eq!(refused.report.outcome, RequestOutcome::Refused);
        assert_eq!(refused.header("cache-control"), Some("no-store"));
        assert_eq!(refused.header("retry-after"), Some("1"));
        assert_eq!(
            String::from_utf8(refused.body).unwrap(),
            "too many new avatars at once: retry after 1 s\n"
        );
        // Hits, respellings and 304s are answered.
        assert_eq!(go("/avatar/Ada", None).status, 200);
        assert_eq!(go("/avatar/Ada?utm=1", None).status, 200);
        let etag = first.header("etag").unwrap().to_string();
        let bo = get("/avatar/Bo").header("etag").unwrap().to_string();
        assert_eq!(go("/avatar/Bo", Some(&bo)).status, 304);
        assert_eq!(go("/avatar/Ada?x=2", Some(&etag)).status, 304);
    }

    #[test]
    fn svg_answers_forbid_everything_active() {
        let svg = get("/avatar/Ada.svg");
        assert_eq!(
            svg.header("content-security-policy"),
            Some("default-src 'none'")
        );
        assert_eq!(get("/avatar/Ada").header("content-security-policy"), None);
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
            br#"{"signing_keys":["0123456789abcdef-0123456789abcdef-new","0123456789abcdef-0123456789abcdef-old"]}"#,
        )
        .unwrap();
        let send = |path: &str, inm: Option<&str>| match handle_once(
            &config,
            &HttpRequest {
                method: "GET",
                path,
                if_none_match: inm,
                accept: None,
            },
        ) {
            Outcome::Respond(r) => r,
            Outcome::PassThrough => panic!("passed through: {path}"),
        };
        let sig = |key: &str, path: &str| {
            let parsed = request::parse(&config, path).unwrap();
            signing::sign(
                &crate::config::SigningKey::new(key).unwrap(),
                &signing::canonical("/avatar/", &parsed.name, &parsed.given),
            )
        };
        for key in [
            "0123456789abcdef-0123456789abcdef-new",
            "0123456789abcdef-0123456789abcdef-old",
        ] {
            let url = format!(
                "/avatar/Ada?size=64&sig={}",
                sig(key, "/avatar/Ada?size=64")
            );
            let r = send(&url, None);
            assert_eq!(r.status, 200, "{key}");
            assert_eq!(r.body, get("/avatar/Ada?size=64").body);
        }
        let wrong = sig(
            "0123456789abcdef-0123456789abcdef-gone",
            "/avatar/Ada?size=64",
        );
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
        assert_eq!(canonical("/avatar/Ada.png.png"), "/avatar/Ada.png");
        assert_eq!(canonical("/avatar/Ada%2Epng"), "/avatar/Ada");
        assert_eq!(
            canonical("/avatar/?size=9&shape=square&seed=s&length=1&initials=X&fg=000&bg=fff"),
            "/avatar/\nbg=fff\nfg=000\ninitials=X\nlength=1\nseed=s\nshape=square\nsize=9"
        );
    }

    #[test]
    fn invalid_utf8_from_the_host_is_a_400_or_ignored() {
        let send = |path: &[u8]| {
            let host = HostRequest::new(b"GET", path, None);
            match handle_once(&Config::default(), &host.request()) {
                Outcome::Respond(r) => r,
                Outcome::PassThrough => panic!(),
            }
        };
        let bad = send(b"/avatar/\xff");
        assert_eq!(bad.status, 400);
        assert_eq!(bad.report.error, Some(Error::InvalidUtf8 { part: "name" }));
        assert_eq!(send(b"/avatar/x?utm=\xff").body, get("/avatar/x").body);
    }

    /// A configuration with the ui-avatars door on `/api/`, and `extra` keys.
    fn doors(extra: &str) -> Config {
        Config::from_json(format!(r#"{{"ui_avatars_prefix":"/api/"{extra}}}"#).as_bytes()).unwrap()
    }

    fn send_to(
        config: &Config,
        state: &mut State,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let header = |n: &str| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        let r = HttpRequest {
            method: "GET",
            path,
            if_none_match: header("if-none-match"),
            accept: header("accept"),
        };
        match handle(config, state, &r, &|| 0) {
            Outcome::Respond(r) => r,
            Outcome::PassThrough => panic!("passed through: {path}"),
        }
    }

    #[test]
    fn both_doors_give_the_same_bytes_and_etag_for_the_same_image() {
        let config = doors("");
        let one = |path: &str| send_to(&config, &mut State::new(&config), path, &[]);
        for (ui, avatar) in [
            (
                "/api/?name=Ada+Lovelace",
                "/avatar/Ada%20Lovelace?size=64&bg=ddd&fg=222&shape=square&font-size=0.4375",
            ),
            (
                "/api/?name=Ada+Lovelace&background=random&rounded=true&size=128&font-size=0.5",
                "/avatar/Ada%20Lovelace?font-size=0.5",
            ),
            (
                "/api/?name=ada+lovelace&uppercase=false&color=fff&background=000&length=1&format=svg",
                "/avatar/ada%20lovelace.svg?size=64&bg=000&fg=fff&shape=square\
                 &font-size=0.4375&uppercase=false&length=1",
            ),
            (
                "/api/",
                "/avatar/John%20Doe?size=64&bg=ddd&fg=222&shape=square&font-size=0.4375",
            ),
            (
                "/api/John+Doe/32/random",
                "/avatar/32/John%20Doe.png?shape=square&font-size=0.4375",
            ),
        ] {
            let (a, b) = (one(ui), one(avatar));
            assert_eq!((a.status, b.status), (200, 200), "{ui}");
            assert_eq!(a.body, b.body, "{ui}");
            assert_eq!(a.header("etag"), b.header("etag"), "{ui}");
            assert_eq!(a.header("content-type"), b.header("content-type"), "{ui}");
            assert_eq!(a.header("cache-control"), b.header("cache-control"), "{ui}");
        }
        // The ui-avatars defaults draw smaller text than monogram's own.
        assert_ne!(
            one("/api/?name=Ada+Lovelace&rounded=1&background=random&size=128").body,
            one("/avatar/Ada%20Lovelace").body
        );
    }

    #[test]
    fn both_doors_and_both_forms_share_one_cache_entry_and_one_render() {
        let config = doors("");
        let mut state = State::new(&config);
        let first = send_to(&config, &mut state, "/api/?name=Ada+Lovelace", &[]);
        assert_eq!(first.report.cache, Some(CacheLookup::Miss));
        for twin in [
            "/avatar/Ada%20Lovelace?size=64&bg=ddd&fg=222&shape=square&font-size=0.4375",
            "/avatar/64/Ada%20Lovelace.png?bg=ddd&fg=222&shape=square&font-size=0.4375",
            "/api/Ada+Lovelace",
        ] {
            let r = send_to(&config, &mut state, twin, &[]);
            assert_eq!(
                (r.report.cache, r.report.render_us),
                (Some(CacheLookup::Hit), None)
            );
            assert_eq!(r.body, first.body, "{twin}");
        }
    }

    #[test]
    fn the_path_form_and_the_query_form_give_the_same_bytes_and_etag() {
        for (path, query) in [
            (
                "/avatar/64/Ada%20Lovelace.png",
                "/avatar/Ada%20Lovelace?size=64",
            ),
            (
                "/avatar/200/jane.doe@example.com.png",
                "/avatar/jane.doe@example.com?size=200",
            ),
            (
                "/avatar/48/Ada.svg?shape=square",
                "/avatar/Ada.svg?size=48&shape=square",
            ),
        ] {
            let (a, b) = (get(path), get(query));
            assert_eq!(a.status, 200, "{path}");
            assert_eq!(
                (&a.body, a.header("etag")),
                (&b.body, b.header("etag")),
                "{path}"
            );
        }
    }

    #[test]
    fn the_ui_avatars_door_varies_on_accept_and_keeps_formats_apart_in_the_cache() {
        let config = doors("");
        let mut state = State::new(&config);
        let svg_accept = [("accept", "image/svg+xml,image/*")];
        let path = "/api/?name=Grace+Hopper";
        let png = send_to(&config, &mut state, path, &[]);
        let svg = send_to(&config, &mut state, path, &svg_accept);
        assert_eq!(png.header("content-type"), Some("image/png"));
        assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
        assert_eq!(svg.report.cache, Some(CacheLookup::Miss), "its own entry");
        assert_ne!(png.header("etag"), svg.header("etag"));
        // Each is answered from the cache as it was rendered, 304 included.
        assert_eq!(send_to(&config, &mut state, path, &[]).body, png.body);
        let again = send_to(&config, &mut state, path, &svg_accept);
        assert_eq!(
            (again.report.cache, &again.body),
            (Some(CacheLookup::Hit), &svg.body)
        );
        let etag = svg.header("etag").unwrap();
        let not_modified = send_to(
            &config,
            &mut state,
            path,
            &[svg_accept[0], ("if-none-match", etag)],
        );
        assert_eq!(not_modified.status, 304);
        for r in [&png, &svg, &again, &not_modified] {
            assert_eq!(r.header("vary"), Some("Accept"));
            assert_eq!(
                r.header("cache-control"),
                Some("public, max-age=31536000, immutable")
            );
        }
        // `format` wins over Accept; monogram's own door never varies.
        let explicit = send_to(
            &config,
            &mut state,
            "/api/?name=Grace+Hopper&format=png",
            &svg_accept,
        );
        assert_eq!(explicit.header("content-type"), Some("image/png"));
        assert_eq!(explicit.header("etag"), png.header("etag"));
        let own = send_to(&config, &mut state, "/avatar/Grace%20Hopper", &svg_accept);
        assert_eq!(
            (own.header("content-type"), own.header("vary")),
            (Some("image/png"), None)
        );
        // Errors are not stored anywhere, and vary on nothing.
        let bad = send_to(&config, &mut state, "/api/?name=%zz", &[]);
        assert_eq!((bad.status, bad.header("vary")), (400, None));
    }

    #[test]
    fn the_ui_avatars_door_is_off_unless_configured() {
        let r = HttpRequest {
            method: "GET",
            path: "/api/?name=Ada",
            if_none_match: None,
            accept: None,
        };
        assert_eq!(handle_once(&Config::default(), &r), Outcome::PassThrough);
    }

    #[test]
    fn signatures_cover_the_path_form_and_the_ui_avatars_door() {
        let key = "0123456789abcdef0123456789abcdef-doors";
        let config = doors(&format!(r#","signing_keys":["{key}"]"#));
        let sign = |canonical: &str| {
            signing::sign(&crate::config::SigningKey::new(key).unwrap(), canonical)
        };
        let send = |path: &str| send_to(&config, &mut State::new(&config), path, &[]);
        // One signature for one meaning: the path form signs like the query form.
        let sig = sign("/avatar/Ada Lovelace\nsize=64");
        let query = send(&format!("/avatar/Ada%20Lovelace?size=64&sig={sig}"));
        let path = send(&format!("/avatar/64/{sig}/Ada%20Lovelace.png"));
        let path_query_sig = send(&format!("/avatar/64/Ada%20Lovelace.png?sig={sig}"));
        assert_eq!(
            (query.status, path.status, path_query_sig.status),
            (200, 200, 200)
        );
        assert_eq!(
            (&path.body, path.header("etag")),
            (&query.body, query.header("etag"))
        );
        assert_eq!(send("/avatar/64/Ada%20Lovelace.png").status, 403);
        assert_eq!(
            send(&format!("/avatar/65/{sig}/Ada%20Lovelace.png")).status,
            403
        );
        assert_eq!(send(&format!("/avatar/64/{sig}/Ada.png")).status, 403);
        assert_eq!(send("/avatar/64/short/Ada.png").status, 403);
        // The ui-avatars door signs its own prefix, name and parameters.
        let sig = sign("/api/Ada Lovelace\nbackground=random\nsize=128");
        let ok = send(&format!(
            "/api/?size=128&name=Ada%20Lovelace&background=random&sig={sig}"
        ));
        assert_eq!(ok.status, 200);
        let segments = send(&format!("/api/Ada+Lovelace/128/random?sig={sig}"));
        assert_eq!(segments.body, ok.body);
        assert_eq!(
            send(&format!("/api/?name=Ada%20Lovelace&size=128&sig={sig}")).status,
            403
        );
        assert_eq!(send("/api/?name=Ada+Lovelace").status, 403);
        let john = sign("/api/John Doe");
        assert_eq!(send(&format!("/api/?sig={john}")).status, 200);
    }

    fn photo_config(extra: &str) -> Config {
        Config::from_json(format!(r#"{{"photo_prefix":"/photos/"{extra}}}"#).as_bytes()).unwrap()
    }

    fn answer(
        config: &Config,
        state: &mut State,
        method: &str,
        path: &str,
        inm: Option<&str>,
        status: u16,
    ) -> OnResponse {
        let r = HttpRequest {
            method,
            path,
            if_none_match: inm,
            accept: None,
        };
        on_response(config, state, &r, status, &|| 0)
    }

    #[test]
    fn a_photo_passes_and_a_missing_one_is_the_avatar_with_a_short_cache_life() {
        let config = photo_config("");
        let mut s = State::new(&config);
        let path = "/photos/u/42.jpg?name=Ada%20Lovelace&size=64";
        for status in [200, 206, 304, 301, 400, 401] {
            assert_eq!(
                answer(&config, &mut s, "GET", path, None, status),
                OnResponse::Pass(Some(Photo::Passed)),
                "{status}"
            );
        }
        let OnResponse::Replace(r) = answer(&config, &mut s, "GET", path, None, 404) else {
            panic!("no fallback")
        };
        let avatar = get("/avatar/Ada%20Lovelace?size=64");
        assert_eq!((r.status, &r.body), (200, &avatar.body));
        assert_eq!(r.header("etag"), avatar.header("etag"));
        assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
        assert_eq!(
            r.report.photo,
            Some(Photo::Fallback(photo::OriginClass::Missing))
        );
        let OnResponse::Replace(r) = answer(&config, &mut s, "HEAD", path, None, 503) else {
            panic!("no fallback")
        };
        assert_eq!(
            r.report.photo,
            Some(Photo::Fallback(photo::OriginClass::Error))
        );
        assert_eq!(r.report.cache, Some(CacheLookup::Hit));
        let etag = avatar.header("etag").unwrap();
        let OnResponse::Replace(r) = answer(&config, &mut s, "GET", path, Some(etag), 410) else {
            panic!("no fallback")
        };
        assert_eq!(
            (r.status, r.header("cache-control")),
            (304, Some("public, max-age=3600"))
        );
        // The avatar door keeps its own cache life for the same image.
        assert_eq!(
            send(
                &config,
                &mut s,
                "GET",
                "/avatar/Ada%20Lovelace?size=64",
                None
            )
            .header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        let OnResponse::Replace(r) = answer(&config, &mut s, "GET", "/photos/x.jpg", None, 403)
        else {
            panic!("no fallback")
        };
        assert_eq!(r.body, get("/avatar/").body, "no name: the placeholder");
        // Other methods and other doors are none of its business.
        assert_eq!(
            answer(&config, &mut s, "PUT", path, None, 404),
            OnResponse::Pass(None)
        );
        assert_eq!(
            answer(&config, &mut s, "GET", "/other", None, 404),
            OnResponse::Pass(None)
        );
    }

    #[test]
    fn the_photo_door_checks_the_request_before_the_origin_is_asked() {
        let config = photo_config("");
        let mut s = State::new(&config);
        let req = |method, path| HttpRequest {
            method,
            path,
            if_none_match: None,
            accept: None,
        };
        let bad = req("GET", "/photos/a.jpg?size=big");
        let Outcome::Respond(r) = handle(&config, &mut s, &bad, &|| 0) else {
            panic!("bad input went to the origin")
        };
        assert_eq!(r.status, 400);
        for (method, path) in [
            ("GET", "/photos/a.jpg?name=Ada"),
            ("POST", "/photos/a.jpg?size=big"),
        ] {
            assert_eq!(
                handle(&config, &mut s, &req(method, path), &|| 0),
                Outcome::PassThrough
            );
        }
        assert_eq!(
            upstream_path(&config, &req("GET", "/photos/a.jpg?name=Ada&v=1")).as_deref(),
            Some("/photos/a.jpg?v=1")
        );
        assert_eq!(
            upstream_path(&config, &req("GET", "/avatar/Ada?name=x")),
            None
        );
        // The origin's part of the query is the origin's: past the avatar
        // door's bounds, it passes on, and reaches the origin whole.
        let long = format!(
            "/photos/a.jpg?X-Amz-Security-Token={}&name=Ada",
            "t".repeat(4096)
        );
        assert_eq!(
            handle(&config, &mut s, &req("GET", &long), &|| 0),
            Outcome::PassThrough
        );
        assert_eq!(
            upstream_path(&config, &req("GET", &long)).as_deref(),
            long.strip_suffix("&name=Ada")
        );
        assert!(waits_for_response(&config, &req("HEAD", "/photos/a.jpg")));
        assert!(!waits_for_response(&config, &req("POST", "/photos/a.jpg")));
    }

    #[test]
    fn a_signed_photo_route_draws_only_for_a_valid_sig_and_else_passes() {
        let key = "0123456789abcdef0123456789abcdef-photo";
        let config = photo_config(&format!(r#","signing_keys":["{key}"]"#));
        let mut s = State::new(&config);
        let sig = signing::sign(
            &crate::config::SigningKey::new(key).unwrap(),
            "/photos/u/42.jpg\nname=Ada\nsize=64",
        );
        let signed = format!("/photos/u/42.jpg?name=Ada&size=64&sig={sig}");
        assert!(
            matches!(answer(&config, &mut s, "GET", &signed, None, 404), OnResponse::Replace(r) if r.status == 200)
        );
        // The origin's parameters are not signed: a pre-signed URL's own
        // query, added or changed, keeps the fallback.
        let presigned = format!(
            "/photos/u/42.jpg?X-Amz-Date=20261207T212700Z&name=Ada&size=64&sig={sig}&X-Amz-Signature=ab"
        );
        assert!(
            matches!(answer(&config, &mut s, "GET", &presigned, None, 403), OnResponse::Replace(r) if r.status == 200)
        );
        for unsigned in [
            "/photos/u/42.jpg?name=Ada&size=64".to_string(),
            format!("/photos/u/43.jpg?name=Ada&size=64&sig={sig}"),
            format!("/photos/u/42.jpg?name=Bob&size=64&sig={sig}"),
            "/photos/u/42.jpg?name=Ada&size=64&sig=short".to_string(),
        ] {
            assert_eq!(
                answer(&config, &mut s, "GET", &unsigned, None, 404),
                OnResponse::Pass(Some(Photo::Unsigned)),
                "{unsigned}"
            );
        }
    }

    #[test]
    fn a_spent_budget_refuses_the_fallback() {
        let config = photo_config(r#","render_budget_ms_per_s":1,"render_burst_ms":1"#);
        let mut s = State::new(&config);
        let clock = std::cell::Cell::new(0u64);
        let now = || {
            clock.set(clock.get() + 50_000_000);
            clock.get()
        };
        let mut refused = None;
        for i in 0..4 {
            let r = HttpRequest {
                method: "GET",
                path: &format!("/photos/{i}.jpg?name=N{i}"),
                if_none_match: None,
                accept: None,
            };
            if let OnResponse::Replace(r) = on_response(&config, &mut s, &r, 404, &now) {
                if r.status == 503 {
                    refused = Some(r);
                }
            }
        }
        let r = refused.expect("the budget refused nothing");
        assert_eq!(r.report.photo, Some(Photo::Refused));
        assert!(r.header("retry-after").is_some());
    }
}
