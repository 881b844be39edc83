//! What a door is: a URL prefix of the configuration and the parser that
//! reads the URLs under it into the avatar they ask for. The flow knows a
//! door only through this type; [`crate::doors::DOORS`] lists them.

use crate::avatar::asked::AvatarRequest;
use crate::config::Config;
use crate::error::Error;
use std::borrow::Cow;

pub struct Door {
    /// The prefix its URLs start with; `None` while the configuration
    /// leaves the door off. The configuration keeps prefixes from
    /// overlapping. It is also the first line of a signed URL's canonical
    /// form ([`crate::doors::signing`]).
    pub prefix: fn(&Config) -> Option<&str>,
    /// When the door answers.
    pub phase: Phase,
    /// `:path` (under the prefix) and the request's `Accept` to the avatar
    /// asked for, or the error that says what is wrong with the URL.
    pub parse: fn(&Config, &str, Option<&str>) -> Result<AvatarRequest, Error>,
    /// The request header besides `:path` that can change the answer.
    pub vary: Option<Vary>,
}

/// When a door answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// From the request alone, before any upstream is asked. A door that
    /// answers only when its upstream fails adds its own phase here.
    Request,
}

/// A request header that can change a door's answer: shared caches must
/// key on it (`Vary`, on the 200 and the 304, RFC 9110 §15.4.5), and so
/// does the VM's cache.
pub struct Vary {
    /// The header's name, as `Vary` names it.
    pub header: &'static str,
    /// The variant a value of the header selects; `None` for the door's
    /// default answer. Written after the path in the cache key.
    pub variant: fn(&str) -> Option<&'static str>,
}

impl Door {
    /// The key a request is cached under: its path, which decides the
    /// answer, and the variant its varying header selects, if any. A `\n`
    /// cannot occur in a path (nor in an ETag key), so the keys never meet.
    pub fn cache_key<'a>(&self, path: &'a str, header: Option<&str>) -> Cow<'a, str> {
        let variant = self
            .vary
            .as_ref()
            .zip(header)
            .and_then(|(v, h)| (v.variant)(h));
        match variant {
            Some(variant) => Cow::Owned(format!("{path}\n{variant}")),
            None => Cow::Borrowed(path),
        }
    }
}
