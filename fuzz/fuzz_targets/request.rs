//! The whole host-free request path, from the bytes the host hands the
//! filter to the response it sends. Input: method, `:path` and (optionally)
//! `If-None-Match`, separated by `\n`; the corpus files are readable that way.
//! Each input runs against two configurations: a small `max_size` (renders
//! stay cheap, so the fuzzer spends its time on parsing) with the ui-avatars
//! door on `/api/`, and signing on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monogram::{handle, Budget, Cache, Config, HostRequest, Outcome, State};
use std::sync::OnceLock;

fn configs() -> &'static [Config; 2] {
    static CONFIGS: OnceLock<[Config; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        [
            Config::from_json(br#"{"max_size":48,"default_size":32,"ui_avatars_prefix":"/api/"}"#)
                .unwrap(),
            Config::from_json(br#"{"max_size":48,"signing_keys":["fuzzing-key-0123456789"]}"#)
                .unwrap(),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let inm = parts.next();
    // Exactly what src/filter.rs does with the host's bytes.
    let host = HostRequest::new(method, path, inm);
    let req = host.request();
    for (n, config) in configs().iter().enumerate() {
        // Twice through one small cache: a hit must answer what a render did.
        let mut state = State {
            cache: Cache::new(4096),
            budget: Budget::new(0, 0),
        };
        let outcome = handle(config, &mut state, &req, &|| 0);
        match (&outcome, handle(config, &mut state, &req, &|| 0)) {
            (Outcome::Respond(a), Outcome::Respond(b)) => {
                assert!((a.status, &a.headers, &a.body) == (b.status, &b.headers, &b.body))
            }
            (Outcome::PassThrough, Outcome::PassThrough) => {}
            _ => panic!("the second answer differs"),
        }
        assert!(state.cache.bytes() <= 4096);
        let Outcome::Respond(r) = outcome else {
            assert!(!req.path.starts_with(config.path_prefix.as_str()));
            continue;
        };
        let signed = n == 1;
        match r.status {
            200 => {
                assert!(!signed, "an unsigned URL was rendered: {}", req.path);
                assert!(req.method == "GET" || req.method == "HEAD");
                let edge = match r.header("content-type") {
                    Some("image/png") => {
                        let mut decoder = png::Decoder::new(std::io::Cursor::new(&r.body))
                            .read_info()
                            .unwrap();
                        let (w, h) = (decoder.info().width, decoder.info().height);
                        assert_eq!(w, h);
                        let mut buf = vec![0; decoder.output_buffer_size().unwrap()];
                        decoder.next_frame(&mut buf).unwrap();
                        w
                    }
                    Some("image/svg+xml") => {
                        let text = std::str::from_utf8(&r.body).unwrap();
                        let attr = |name: &str| {
                            let rest = text.split(&format!(" {name}=\"")).nth(1).unwrap();
                            rest.split('"').next().unwrap().parse::<u32>().unwrap()
                        };
                        assert!(text.starts_with("<svg ") && text.ends_with("</svg>"));
                        assert_eq!(attr("width"), attr("height"));
                        attr("width")
                    }
                    other => panic!("200 with content-type {other:?}"),
                };
                assert!((16..=config.max_size).contains(&edge), "{edge}");
            }
            304 => assert!(!signed && inm.is_some() && r.body.is_empty()),
            400 | 403 | 405 => {
                let text = std::str::from_utf8(&r.body).unwrap();
                assert!(text.ends_with('\n') && !text.trim_end().contains('\n'));
                assert_eq!(r.header("cache-control"), Some("no-store"));
            }
            other => panic!("status {other} for {:?}", req.path),
        }
    }
});
