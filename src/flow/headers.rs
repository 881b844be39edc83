//! Which headers each kind of answer carries. Images are public, immutable
//! for `max_age` and readable from any origin; errors are never stored.

use crate::avatar::format::Format;
use crate::config::Config;
use crate::error::Error;

/// The headers of a 200 with an image of `content_type`. An SVG opened on
/// its own is a document: `default-src 'none'` keeps it from loading or
/// running anything, whatever a future bug put in it.
pub fn image(
    config: &Config,
    content_type: &'static str,
    etag: String,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![("content-type", content_type.to_string())];
    headers.extend(validators(config, etag));
    if content_type == Format::Svg.content_type() {
        headers.push(("content-security-policy", "default-src 'none'".to_string()));
    }
    headers
}

/// The headers a 200 and its 304 share (RFC 9110 §15.4.5: a 304 carries the
/// validator and caching headers the 200 would have).
pub fn validators(config: &Config, etag: String) -> Vec<(&'static str, String)> {
    vec![
        ("etag", etag),
        ("cache-control", config.cache_control.clone()),
        ("access-control-allow-origin", "*".to_string()),
        ("x-content-type-options", "nosniff".to_string()),
    ]
}

/// The headers of an error answer: plain text that no cache keeps.
pub fn error(e: &Error) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("content-type", "text/plain; charset=utf-8".to_string()),
        ("cache-control", "no-store".to_string()),
        ("x-content-type-options", "nosniff".to_string()),
        ("access-control-allow-origin", "*".to_string()),
    ];
    match e {
        Error::MethodNotAllowed => headers.push(("allow", "GET, HEAD".to_string())),
        Error::Busy { retry_after_s } => headers.push(("retry-after", retry_after_s.to_string())),
        _ => {}
    }
    headers
}
