//! Property tests of the whole host-free request path, with a fixed seed and
//! case count so `make test` is bounded and repeatable (cargo fuzz explores
//! without those limits: `make fuzz`). Whatever arrives, the answer is one of
//! the documented statuses, never a panic, and a 200 is a PNG of the clamped size.

use monogram::{
    canonical, handle, handle_once, sign, text_from_host, Budget, Cache, Config, HostRequest,
    Outcome, Response, SigningKey, State, MAX_NAME_BYTES, MIN_SIZE,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngSeed};

fn runner(cases: u32) -> RunnerConfig {
    RunnerConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x6d6f_6e6f_6772_616d),
        failure_persistence: None,
        ..RunnerConfig::default()
    }
}

/// Sends raw host bytes through the same conversion as src/filter.rs, twice
/// with one cache: the second answer (a cache hit for a 200) must be the same.
fn send(config: &Config, method: &[u8], path: &[u8], inm: Option<&[u8]>) -> Option<Response> {
    let host = HostRequest::new(method, path, inm);
    let req = host.request();
    let mut state = State {
        cache: Cache::new(1 << 20),
        budget: Budget::new(0, 0),
    };
    let first = handle(config, &mut state, &req, &|| 0);
    let again = handle(config, &mut state, &req, &|| 0);
    assert!(same_answer(&first, &again), "cached answer differs");
    assert!(state.cache.bytes() <= 1 << 20);
    match first {
        Outcome::Respond(r) => Some(r),
        Outcome::PassThrough => None,
    }
}

/// Equal on the wire (the report says hit or miss, which is the point).
fn same_answer(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::Respond(a), Outcome::Respond(b)) => {
            (a.status, &a.headers, &a.body) == (b.status, &b.headers, &b.body)
        }
        (Outcome::PassThrough, Outcome::PassThrough) => true,
        _ => false,
    }
}

fn png_edge(body: &[u8]) -> u32 {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(body))
        .read_info()
        .expect("a 200 body is a PNG");
    let (w, h) = (decoder.info().width, decoder.info().height);
    assert_eq!(w, h, "square");
    let mut buf = vec![0; decoder.output_buffer_size().expect("sane size")];
    decoder
        .next_frame(&mut buf)
        .expect("the image data decodes");
    w
}

/// The edge of an SVG answer, from its root element.
fn svg_edge(body: &[u8]) -> u32 {
    let text = std::str::from_utf8(body).expect("SVG is text");
    assert!(text.starts_with("<svg "), "{text}");
    let width = text
        .split("width=\"")
        .nth(1)
        .and_then(|w| w.split('"').next());
    let height = text
        .split("height=\"")
        .nth(1)
        .and_then(|h| h.split('"').next());
    assert_eq!(width, height, "square");
    width.and_then(|w| w.parse().ok()).expect("a numeric width")
}

/// The edge of a 200's image, whichever format it is.
fn edge(r: &Response) -> u32 {
    match r.header("content-type") {
        Some("image/png") => png_edge(&r.body),
        Some("image/svg+xml") => svg_edge(&r.body),
        other => panic!("200 with content-type {other:?}"),
    }
}

/// The invariants every response under the prefix keeps.
fn check(r: &Response, method: &str, inm: bool) {
    match r.status {
        200 => {
            assert!(method == "GET" || method == "HEAD");
            assert!(matches!(
                r.header("content-type"),
                Some("image/png" | "image/svg+xml")
            ));
        }
        304 => assert!(inm && r.body.is_empty()),
        400 | 403 | 405 => {
            let text = std::str::from_utf8(&r.body).expect("messages are text");
            assert!(text.ends_with('\n') && !text.trim_end().contains('\n'));
            assert_eq!(r.header("cache-control"), Some("no-store"));
        }
        other => panic!("undocumented status {other}"),
    }
}

/// Bytes that look like the inside of a URL more often than uniform noise does.
fn url_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(b"aZ09 +-._~%/?&=#;,@!*'()[]".to_vec()),
            2 => prop::sample::select(b"%2F%00%FF%C3%A9%E7%8E%8B%zz%%..".to_vec()),
            1 => any::<u8>(),
        ],
        0..max,
    )
}

fn size_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-100_000i64..100_000).prop_map(|n| n.to_string()),
        (0u32..3000).prop_map(|n| n.to_string()),
        "[0-9]{1,40}",
        "-?0*[0-9]{0,5}",
        ".{0,8}",
    ]
}

fn param() -> impl Strategy<Value = (String, String)> {
    let key = prop::sample::select(vec![
        "size", "initials", "seed", "bg", "fg", "shape", "length", "sig", "utm", "",
    ]);
    (key, any::<bool>()).prop_flat_map(|(k, raw)| {
        let value: BoxedStrategy<String> = match (k, raw) {
            (_, true) => url_bytes(40)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
                .boxed(),
            ("size", false) => size_value().boxed(),
            ("bg" | "fg", false) => "%23?[0-9a-fA-Fg]{0,7}".boxed(),
            ("shape", false) => "(circle|rounded|square|star|)".boxed(),
            ("length", false) => "-?[0-9]{0,2}".boxed(),
            ("initials", false) => "\\PC{0,4}".boxed(),
            _ => "\\PC{0,12}".boxed(),
        };
        value.prop_map(move |v| (k.to_string(), v))
    })
}

/// What `size` clamps to, worked out independently of the parser; `None`
/// when the raw value needs decoding first (then only the range is checked).
fn expected_edge(query: &str, config: &Config) -> Option<u32> {
    let sizes: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split_once('=').filter(|(k, _)| *k == "size"))
        .map(|(_, v)| v)
        .collect();
    match sizes.as_slice() {
        [] | [""] => Some(config.default_size),
        [s] if s.contains(['%', '+']) => None,
        [s] if s.starts_with('-') => Some(MIN_SIZE),
        [s] => Some(s.parse::<u128>().map_or(config.max_size, |n| {
            n.clamp(u128::from(MIN_SIZE), u128::from(config.max_size)) as u32
        })),
        _ => None,
    }
}

fn query_of(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

proptest! {
    #![proptest_config(runner(1500))]

    /// Arbitrary bytes as method, path and If-None-Match.
    #[test]
    fn any_bytes_get_a_documented_answer(
        method in prop_oneof![
            3 => Just(b"GET".to_vec()), 1 => Just(b"HEAD".to_vec()),
            1 => prop::collection::vec(any::<u8>(), 0..8)
        ],
        rest in url_bytes(300),
        extension in prop::sample::select(vec![&b""[..], b".png", b".svg"]),
        inm in prop::option::of(prop_oneof![
            Just(b"*".to_vec()), Just(b" W/\"x\" , *".to_vec()),
            prop::collection::vec(any::<u8>(), 0..40)
        ]),
    ) {
        let config = Config::default();
        let mut path = b"/avatar/".to_vec();
        path.extend(&rest);
        path.extend(extension);
        let r = send(&config, &method, &path, inm.as_deref()).expect("under the prefix");
        let method = text_from_host(&method);
        check(&r, &method, inm.is_some());
        if r.status == 200 {
            let edge = edge(&r);
            prop_assert!((MIN_SIZE..=config.max_size).contains(&edge));
        }
    }
}

proptest! {
    #![proptest_config(runner(1500))]

    /// Well-formed and ill-formed parameter values: a 200 has the clamped size.
    #[test]
    fn parameters_give_the_clamped_size_or_a_clear_error(
        name in prop_oneof!["\\PC{0,20}", "[a-zA-Z .@]{0,30}", "a{250,260}"],
        params in prop::collection::vec(param(), 0..6),
        max_size in prop_oneof![Just(512u32), 16u32..=2048],
        extension in prop::sample::select(vec!["", ".png", ".svg"]),
    ) {
        let config = Config::from_json(format!(r#"{{"max_size":{max_size}}}"#).as_bytes())
            .expect("valid configuration");
        let encoded: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
        let path = format!("/avatar/{encoded}{extension}?{}", query_of(&params));
        let r = send(&config, b"GET", path.as_bytes(), None).expect("under the prefix");
        check(&r, "GET", false);
        if r.status == 200 {
            let edge = edge(&r);
            prop_assert!((MIN_SIZE..=config.max_size).contains(&edge));
            if let Some(want) = expected_edge(&query_of(&params), &config) {
                prop_assert_eq!(edge, want);
            }
        }
        if name.len() > MAX_NAME_BYTES {
            prop_assert_eq!(r.status, 400);
        }
    }

    /// With signing on, only a URL signed with a configured key is rendered.
    #[test]
    fn signed_deployments_render_only_signed_urls(
        name in "[a-zA-Z ]{0,12}",
        params in prop::collection::vec(param(), 0..4),
        key_index in 0usize..3,
        tamper in any::<bool>(),
    ) {
        let keys = [
            "current-key-0123456789-abcdefghijkl",
            "previous-key-0123456789-abcdefghijk",
            "unknown-key-0123456789-abcdefghijkl",
        ];
        let config = Config::from_json(
            format!(r#"{{"signing_keys":["{}","{}"]}}"#, keys[0], keys[1]).as_bytes(),
        ).expect("valid configuration");
        let path = format!("/avatar/{}?{}", name.replace(' ', "+"), query_of(&params));
        let r0 = send(&config, b"GET", path.as_bytes(), None).expect("under the prefix");
        check(&r0, "GET", false);
        prop_assert!(r0.status == 400 || r0.status == 403, "unsigned: {}", r0.status);
        let Ok(parsed) = monogram::parse(&config, &path) else {
            return Ok(());
        };
        if params.iter().any(|(k, _)| k == "sig") {
            return Ok(()); // appending a second `sig` would be a 400
        }
        let key = SigningKey::new(keys[key_index]).expect("long enough");
        let mut sig = sign(&key, &canonical(&config.path_prefix, &parsed.name, &parsed.given));
        if tamper {
            sig = sig.chars().rev().collect();
        }
        let signed = format!("{path}&sig={sig}");
        let r = send(&config, b"GET", signed.as_bytes(), None).expect("under the prefix");
        check(&r, "GET", false);
        if key_index < 2 && !tamper {
            prop_assert_eq!(r.status, 200);
        } else {
            prop_assert_eq!(r.status, 403);
        }
    }
}

proptest! {
    #![proptest_config(runner(600))]

    /// The ui-avatars door never refuses a parameter's value: whatever
    /// well-encoded values its parameters hold, the answer is an image of a
    /// size within ui-avatars' range, varying on `Accept`, unless a known
    /// parameter is repeated, which is a 400 in any order; arbitrary bytes
    /// get a documented answer.
    #[test]
    fn the_ui_avatars_door_reads_any_value(
        params in prop::collection::vec(
            (
                prop::sample::select(vec![
                    "name", "size", "background", "color", "length", "font-size",
                    "rounded", "uppercase", "bold", "format", "utm",
                ]),
                "[a-zA-Z0-9 .+-]{0,12}",
            ),
            0..8,
        ),
        segments in prop::collection::vec("[a-zA-Z0-9.+-]{0,6}", 0..12),
        accept in prop::option::of(prop::sample::select(vec![
            "image/svg+xml", "image/png", "*/*", "IMAGE/SVG+XML;q=0",
        ])),
        max_size in prop_oneof![Just(512u32), 16u32..=2048],
        noise in url_bytes(60),
    ) {
        let config = Config::from_json(
            format!(r#"{{"ui_avatars_prefix":"/api/","max_size":{max_size}}}"#).as_bytes(),
        ).expect("valid configuration");
        let query: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.replace(' ', "+")))
            .collect();
        let path = format!("/api/{}?{}", segments.join("/"), query_of(&query));
        let host = HostRequest::new(b"GET", path.as_bytes(), None)
            .with_accept(accept.map(str::as_bytes));
        let Outcome::Respond(r) = handle_once(&config, &host.request()) else {
            panic!("under the prefix: {path}");
        };
        let mut known: Vec<&str> = params.iter().map(|(k, _)| *k).filter(|k| *k != "utm").collect();
        known.sort_unstable();
        let repeated = known.windows(2).any(|w| w[0] == w[1]);
        if repeated {
            prop_assert_eq!(r.status, 400, "{}", path);
            prop_assert!(String::from_utf8_lossy(&r.body).contains("more than once"));
        } else {
            prop_assert_eq!(r.status, 200, "{}: {:?}", path, String::from_utf8_lossy(&r.body));
            prop_assert_eq!(r.header("vary"), Some("Accept"));
            let edge = edge(&r);
            prop_assert!((MIN_SIZE..=max_size.min(512)).contains(&edge), "{}", edge);
        }
        let mut raw = b"/api/?".to_vec();
        raw.extend(&noise);
        let r = send(&config, b"GET", &raw, None).expect("under the prefix");
        check(&r, "GET", false);
    }
}
