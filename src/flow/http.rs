//! The HTTP exchange as the host-free core sees it: the request's method,
//! `:path`, `If-None-Match` and `Accept` made text once from the host's
//! header bytes, and the complete response the glue sends back.

use crate::flow::report::Report;
use std::borrow::Cow;

/// A header value from the host as text. HTTP lets bytes ≥ 0x80 through in
/// header values (and the host may pass them in `:path`); they are
/// percent-encoded rather than replaced, so the strict decoder still says
/// "not valid UTF-8" for the name, and nothing downstream ever sees invalid text.
pub fn text_from_host(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let mut out = String::with_capacity(raw.len().saturating_mul(3));
            for &b in raw {
                if b.is_ascii() {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            Cow::Owned(out)
        }
    }
}

/// What the filter needs from the request headers.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// `:path`, query included.
    pub path: &'a str,
    pub if_none_match: Option<&'a str>,
    /// Read only by the ui-avatars door, where `Accept: image/svg+xml`
    /// chooses SVG when the URL has no `format`.
    pub accept: Option<&'a str>,
}

/// The request as the host hands it over: header values in bytes (HTTP
/// allows any), made text once by [`text_from_host`]. The glue, the fuzzer
/// and the property tests all build requests through this, so they see
/// exactly the same conversion.
pub struct HostRequest<'a> {
    method: Cow<'a, str>,
    path: Cow<'a, str>,
    if_none_match: Option<Cow<'a, str>>,
    accept: Option<Cow<'a, str>>,
}

impl<'a> HostRequest<'a> {
    pub fn new(method: &'a [u8], path: &'a [u8], if_none_match: Option<&'a [u8]>) -> Self {
        HostRequest {
            method: text_from_host(method),
            path: text_from_host(path),
            if_none_match: if_none_match.map(text_from_host),
            accept: None,
        }
    }

    /// With the `Accept` header's bytes, if the request has one.
    pub fn with_accept(mut self, accept: Option<&'a [u8]>) -> Self {
        self.accept = accept.map(text_from_host);
        self
    }

    pub fn request(&self) -> HttpRequest<'_> {
        HttpRequest {
            method: &self.method,
            path: &self.path,
            if_none_match: self.if_none_match.as_deref(),
            accept: self.accept.as_deref(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_from_the_host_are_never_invalid_text() {
        assert_eq!(text_from_host(b"/avatar/Ada"), "/avatar/Ada");
        assert_eq!(text_from_host("/avatar/王".as_bytes()), "/avatar/王");
        assert_eq!(text_from_host(b"/avatar/\xffA\xc3"), "/avatar/%FFA%C3");
    }
}
