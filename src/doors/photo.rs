//! The photo door: photo first, initials when there is none. Under
//! `photo_prefix` (a route proxied to a photo origin: a bucket, an
//! application, Gravatar) the request goes on to the origin, without
//! monogram's own parameters; the origin's answer passes untouched, unless
//! its status says there is no photo ([`falls_back`]): then the client gets
//! the initials avatar of the `name` parameter instead.
//!
//! `/photos/u/42.jpg?name=Ada%20Lovelace&size=64`: the origin is asked for
//! `/photos/u/42.jpg`; a 404 becomes Ada Lovelace's initials at 64 px.
//!
//! The parameters are those of `/avatar/` ([`request::PARAMS`]) and `name`.
//! `name` is what the avatar door reads from its path: `.png` or `.svg` at
//! its end picks the format. Without `name`, the fallback is the
//! placeholder. The query is shared: monogram's parameters are the door's,
//! every other pair is the origin's. The avatar door's limits and checks
//! apply to monogram's part only, and a malformed one is a 400 before the
//! origin is asked: whether a URL is valid never depends on the origin's
//! state. The origin's part is never checked, bounded or reordered (its
//! keys are decoded only to tell them from monogram's): an S3 pre-signed
//! URL with a session token carries 7 parameters and 1-2 kB of its own,
//! and it reaches the bucket as signed. Only the host's own limit
//! on a request's headers bounds it (in Envoy 60 KiB, in Nginx 8 KB for
//! the request line), as it bounds any request that passes through.
//!
//! Signed, a URL's canonical form is its path (as [`request::normalise`]
//! reads it, without the query) and then `key=value` for each signed
//! parameter present, `name` included, in alphabetical order. The origin's
//! parameters are not signed: they do not change the fallback, and they
//! change with every pre-signed URL (its date and expiry), while one `sig`
//! serves a person's photo URL for as long as its name and size hold. An
//! unsigned or wrongly signed URL still reaches the origin, and its answer
//! passes unchanged: the signature only unlocks the fallback.

use crate::avatar::asked::AvatarRequest;
use crate::avatar::format::Format;
use crate::config::Config;
use crate::doors::door::{Door, Phase};
use crate::doors::request::{self, Param, MAX_NAME_BYTES, PARAMS, SIG};
use crate::doors::signing;
use crate::error::Error;

/// The photo door: `photo_prefix`, off unless configured.
pub const DOOR: Door = Door {
    prefix: |config| config.photo_prefix.as_deref(),
    phase: Phase::Response,
    parse: |config, path, _| parse(config, path),
    vary: None,
    canonical: |_, path, r| {
        let (path, _) = request::split(path);
        signing::canonical(&request::normalise(path), "", &r.given)
    },
    cache_control: |config| &config.photo_cache_control,
};

/// The parameter only this door reads: the name to draw.
const NAME: [Param; 1] = [Param {
    name: "name",
    signed: true,
    apply: |r, v, _| {
        if v.len() > MAX_NAME_BYTES {
            return Err(Error::NameTooLong {
                max: MAX_NAME_BYTES,
            });
        }
        let (stem, format) = if let Some(stem) = v.strip_suffix(".svg") {
            (stem, Format::Svg)
        } else {
            (v.strip_suffix(".png").unwrap_or(&v), Format::Png)
        };
        r.name = stem.to_string();
        r.format = format;
        Ok(())
    },
}];

/// Parses `:path` under `photo_prefix` (the caller has checked it) into the
/// avatar its fallback would be.
pub fn parse(config: &Config, path: &str) -> Result<AvatarRequest, Error> {
    let prefix = config.photo_prefix.as_deref().unwrap_or_default();
    let (raw, query) = request::split(path);
    if !request::normalise(raw).starts_with(prefix) {
        return Err(Error::LeavesPrefix);
    }
    let own = own_query(query);
    request::within_bounds(&own, OWN_PART)?;
    let name = request::values(&NAME, &own)?;
    let values = request::values(PARAMS, &own)?;
    let mut r = AvatarRequest::new(config, String::new(), Format::Png);
    request::apply(&NAME, name, &mut r, config)?;
    request::apply(PARAMS, values, &mut r, config)?;
    // One alphabetical list for the canonical form.
    r.given.sort_by_key(|(k, _)| *k);
    Ok(r)
}

/// Is `key` (decoded) one of monogram's parameters, which the origin never sees?
fn ours(key: &str) -> bool {
    NAME.iter()
        .chain(PARAMS.iter())
        .chain([&SIG])
        .any(|p| p.name == key)
}

/// Is this `&`-separated piece of a raw query one of monogram's parameters?
/// Its key is decoded as the door's parser decodes keys (`%6Eame` is
/// `name`); a key that does not decode is no parameter of ours.
fn is_ours(pair: &str) -> bool {
    let key = pair.split_once('=').map_or(pair, |(k, _)| k);
    request::decode(key, "query").is_ok_and(|k| ours(&k))
}

/// How the errors of the door's bounds name the part of the query they are on.
const OWN_PART: &str = "query's monogram part";

/// monogram's pairs of a raw query, in their order, joined by `&`: the
/// query the door parses and bounds.
fn own_query(query: &str) -> String {
    query
        .split('&')
        .filter(|p| is_ours(p))
        .collect::<Vec<_>>()
        .join("&")
}

/// `:path` as the origin should get it: the path as sent, and the query
/// without monogram's pairs; everything else (the origin's pairs, and any
/// empty piece between them) byte for byte and in order, since a signed
/// query (S3's) may be checked as it was written. `None` when there is
/// nothing to remove; no `?` when nothing but empty pieces is left.
pub fn upstream_path(path: &str) -> Option<String> {
    let (head, query) = path.split_once('?')?;
    if !query.split('&').any(is_ours) {
        return None;
    }
    let kept: Vec<&str> = query.split('&').filter(|p| !is_ours(p)).collect();
    Some(if kept.iter().all(|p| p.is_empty()) {
        head.to_string()
    } else {
        format!("{head}?{}", kept.join("&"))
    })
}

/// Which class of origin answer the door replaces with initials: `None`
/// when the answer is the photo (or anything else the origin means), and
/// passes.
pub fn falls_back(config: &Config, status: u16) -> Option<OriginClass> {
    if config.photo_fallback_statuses.contains(&status) {
        return Some(if status >= 500 {
            OriginClass::Error
        } else {
            OriginClass::Missing
        });
    }
    (config.photo_fallback_on_error && (500..=599).contains(&status)).then_some(OriginClass::Error)
}

/// The class of an origin answer that got the fallback, as metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OriginClass {
    /// 4xx: the origin has no photo there.
    Missing,
    /// 5xx: the origin failed, timed out or could not be reached.
    Error,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doors::request::{MAX_PARAMETERS, MAX_QUERY_BYTES};

    fn config(extra: &str) -> Config {
        Config::from_json(format!(r#"{{"photo_prefix":"/photos/"{extra}}}"#).as_bytes()).unwrap()
    }

    #[test]
    fn the_origin_never_sees_monogram_parameters() {
        for (path, upstream) in [
            ("/photos/a.jpg", None),
            ("/photos/a.jpg?v=2", None),
            ("/photos/a.jpg?name=Ada", Some("/photos/a.jpg")),
            (
                "/photos/a.jpg?X-Amz-Date=1&name=Ada+L&size=64&X-Amz-Signature=ab%2Fc",
                Some("/photos/a.jpg?X-Amz-Date=1&X-Amz-Signature=ab%2Fc"),
            ),
            (
                "/photos/a.jpg?%6Eame=Ada&font-size=0.5&sig=x&s=80&d=404",
                Some("/photos/a.jpg?s=80&d=404"),
            ),
            (
                "/photos/a.jpg?bg=000&fg=fff&shape=square&length=1&initials=X&seed=1&uppercase=false",
                Some("/photos/a.jpg"),
            ),
            ("/photos/a.jpg?&name=&&", Some("/photos/a.jpg")),
            ("/photos/a.jpg?%zz=1&name=A", Some("/photos/a.jpg?%zz=1")),
            // Only monogram's pairs go: empty pieces between the origin's
            // stay, as a query signed as written needs them.
            ("/photos/a.jpg?a=1&&b&name=A&c=%zz&", Some("/photos/a.jpg?a=1&&b&c=%zz&")),
            ("/photos/a.jpg?name=A&=x&size=1", Some("/photos/a.jpg?=x")),
        ] {
            assert_eq!(upstream_path(path).as_deref(), upstream, "{path}");
        }
    }

    #[test]
    fn the_fallback_is_the_avatar_of_name() {
        let c = config("");
        let r = parse(&c, "/photos/u/42.jpg?name=Ada%20Lovelace&size=64&v=3").unwrap();
        assert_eq!(
            (r.name.as_str(), r.size, r.format),
            ("Ada Lovelace", 64, Format::Png)
        );
        let svg = parse(&c, "/photos/u/42.jpg?name=Ada.svg").unwrap();
        assert_eq!((svg.name.as_str(), svg.format), ("Ada", Format::Svg));
        assert_eq!(parse(&c, "/photos/u/42.jpg").unwrap().name, "");
    }

    #[test]
    fn bad_input_is_the_avatar_door_error() {
        let c = config("");
        for (path, e) in [
            (
                "/photos/a.jpg?size=big",
                Error::BadParameter {
                    name: "size",
                    expected: "an integer number of pixels",
                },
            ),
            (
                "/photos/a.jpg?name=%zz",
                Error::BadPercentEncoding { part: "query" },
            ),
            (
                "/photos/a.jpg?name=a&name=b",
                Error::DuplicateParameter {
                    name: "name".to_string(),
                },
            ),
            ("/photos/../etc/passwd", Error::LeavesPrefix),
        ] {
            assert_eq!(parse(&c, path), Err(e), "{path}");
        }
        let long = format!("/photos/a.jpg?name={}", "a".repeat(MAX_NAME_BYTES + 1));
        assert!(matches!(parse(&c, &long), Err(Error::NameTooLong { .. })));
    }

    #[test]
    fn the_signature_covers_the_photo_path_and_monograms_parameters() {
        let c = config("");
        let canonical = |path: &str| (DOOR.canonical)(&c, path, &parse(&c, path).unwrap());
        let a = canonical("/photos/u/42.jpg?size=64&name=Ada+L&v=1&sig=x");
        assert_eq!(a, "/photos/u/42.jpg\nname=Ada L\nsize=64");
        assert_eq!(
            a,
            canonical("/photos/u/%34%32.jpg?name=Ada%20L&size=%36%34")
        );
        assert_eq!(canonical("/photos/x.png"), "/photos/x.png");
        // The origin's parameters are not signed: they do not change the
        // fallback, and a pre-signed URL's change with every signing.
        for origin in [presigned(), "s=80&d=404".to_string(), "v=2&&x".to_string()] {
            let path = format!("/photos/u/42.jpg?{origin}&name=Ada+L&size=64&sig=x");
            assert_eq!(canonical(&path), a, "{origin}");
        }
    }

    /// The query of an S3 pre-signed GET made with temporary (STS)
    /// credentials, as botocore writes it: 7 parameters, the session token
    /// 1.4 kB once percent-encoded.
    fn presigned() -> String {
        let token: String = (0..880)
            .map(|i| match i % 7 {
                0 => "%2F".to_string(),
                1 => "%2B".to_string(),
                _ => char::from(b'A' + (i % 26) as u8).to_string(),
            })
            .collect();
        format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261207%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20261207T212700Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host\
             &X-Amz-Security-Token={token}%3D%3D\
             &X-Amz-Signature={}",
            "0123456789abcdef".repeat(4)
        )
    }

    #[test]
    fn the_bounds_are_on_monograms_parameters_only() {
        let c = config("");
        let signed = presigned();
        // Over the avatar door's bound on its own.
        assert!(signed.len() > MAX_QUERY_BYTES, "{}", signed.len());
        let origin = format!("/photos/u/42.jpg?{signed}");
        for path in [
            format!("{origin}&name=Ada+Lovelace&size=64"),
            format!("/photos/u/42.jpg?name=Ada+Lovelace&{signed}&size=64"),
            format!("/photos/u/42.jpg?size=64&name=Ada+Lovelace&{signed}"),
        ] {
            let r = parse(&c, &path).unwrap();
            assert_eq!((r.name.as_str(), r.size), ("Ada Lovelace", 64), "{path}");
            assert_eq!(upstream_path(&path).as_deref(), Some(origin.as_str()));
        }
        // The origin's part is not bounded by the door: many parameters,
        // tens of kilobytes, keys and values that are no URL of ours.
        let many: String = (0..200).map(|i| format!("k{i}=%zz%&")).collect();
        let huge = format!("/photos/a.jpg?{many}t={}&name=Ada", "x".repeat(50_000));
        assert_eq!(parse(&c, &huge).unwrap().name, "Ada");
        let kept = upstream_path(&huge).unwrap();
        assert_eq!(kept, huge.strip_suffix("&name=Ada").unwrap());

        // Monogram's own part is, as on the avatar door.
        let own = |extra: &str| parse(&c, &format!("{origin}&name=Ada{extra}"));
        let seed = |n: usize| format!("&seed={}", "s".repeat(n));
        // `name=Ada&seed=…` at exactly the bound, then one byte past it.
        let at = MAX_QUERY_BYTES - "name=Ada&seed=".len();
        assert!(own(&seed(at)).is_ok());
        assert_eq!(
            own(&seed(at + 1)),
            Err(Error::QueryTooLong {
                max: MAX_QUERY_BYTES,
                part: OWN_PART
            })
        );
        let repeats = "&size=1".repeat(MAX_PARAMETERS);
        let e = own(&repeats).unwrap_err();
        assert_eq!(
            e,
            Error::TooManyParameters {
                max: MAX_PARAMETERS,
                part: OWN_PART
            }
        );
        assert_eq!(
            e.to_string(),
            "the query's monogram part has more than 16 parameters"
        );
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn which_origin_answers_fall_back() {
        let c = config("");
        for s in [403, 404, 410] {
            assert_eq!(falls_back(&c, s), Some(OriginClass::Missing), "{s}");
        }
        for s in [500, 502, 503, 504, 599] {
            assert_eq!(falls_back(&c, s), Some(OriginClass::Error), "{s}");
        }
        for s in [200, 206, 301, 304, 400, 401, 405, 429] {
            assert_eq!(falls_back(&c, s), None, "{s}");
        }
        let c = config(r#","photo_fallback_statuses":[404,503],"photo_fallback_on_error":false"#);
        assert_eq!(falls_back(&c, 403), None);
        assert_eq!(falls_back(&c, 500), None);
        assert_eq!(falls_back(&c, 503), Some(OriginClass::Error));
    }
}
