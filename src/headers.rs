//! Which headers each kind of answer carries. Images are public, immutable
//! for `max_age` and readable from any origin; errors are never stored.

use crate::config::Config;
use crate::error::Error;

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
    if *e == Error::MethodNotAllowed {
        headers.push(("allow", "GET, HEAD".to_string()));
    }
    headers
}
