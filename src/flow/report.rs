//! What happened to one avatar request, as the host-free core saw it: the
//! glue turns this into metric updates and log lines, so the core never
//! needs the host to say what it did.

use crate::doors::photo::OriginClass;
use crate::error::Error;
use crate::fonts::script::Script;

/// Declares [`RequestOutcome`] and its [`RequestOutcome::ALL`] and
/// [`RequestOutcome::name`] from one list, so a new outcome cannot be left
/// out of the metrics (whose series are defined from `ALL`).
macro_rules! outcomes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// How an avatar request was answered. Every response under the
        /// prefix has exactly one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RequestOutcome {
            $($(#[$doc])* $variant,)*
        }

        impl RequestOutcome {
            /// Every variant, in declaration order: `ALL[o as usize] == o`.
            pub const ALL: &'static [RequestOutcome] = &[$(RequestOutcome::$variant,)*];

            /// The label value, lower-case ASCII.
            pub fn name(self) -> &'static str {
                match self {
                    $(RequestOutcome::$variant => $name,)*
                }
            }
        }
    };
}

outcomes! {
    /// 200 with initials (drawn now or earlier, from the cache).
    Rendered => "rendered",
    /// 200 with the neutral placeholder (no usable or drawable letters).
    Placeholder => "placeholder",
    /// 304: the client's ETag matched; nothing drawn.
    NotModified => "not_modified",
    /// 405.
    MethodNotAllowed => "method_not_allowed",
    /// 403: signing is on and the URL's signature is missing or wrong.
    Forbidden => "forbidden",
    /// Any other 4xx: the request was malformed.
    BadRequest => "bad_request",
    /// 503: a render was needed while the render budget was spent.
    Refused => "refused",
    /// 5xx: our fault.
    Failed => "error",
}

impl RequestOutcome {
    /// Index of this outcome in [`RequestOutcome::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The outcome of an error response with `status`. By status rather
    /// than by error variant, so a new error kind is classified the day it
    /// gets its status.
    pub fn of_error_status(status: u16) -> RequestOutcome {
        match status {
            405 => RequestOutcome::MethodNotAllowed,
            403 => RequestOutcome::Forbidden,
            503 => RequestOutcome::Refused,
            400..=499 => RequestOutcome::BadRequest,
            _ => RequestOutcome::Failed,
        }
    }
}

/// Whether a response's body came from the VM's cache of encoded avatars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheLookup {
    Hit,
    Miss,
}

/// What happened to one request under the avatar prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub outcome: RequestOutcome,
    /// Script of the drawn text; `None` when no text was drawn.
    pub script: Option<Script>,
    /// `None` when the cache was not consulted (disabled, or no body needed).
    pub cache: Option<CacheLookup>,
    /// Why the request failed, for the log line; `None` on success.
    pub error: Option<Error>,
    /// Wall time of the render and encode, in microseconds (rounded to
    /// the nearest); `None` when
    /// nothing was drawn (errors, 304s, cache hits).
    pub render_us: Option<u64>,
    /// What the photo door did with the origin's answer; `None` on the
    /// other doors.
    pub photo: Option<Photo>,
}

/// What the photo door did with the origin's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Photo {
    /// The origin's answer (a photo, or anything not listed) went out untouched.
    Passed,
    /// Initials (or their 304) went out instead of the origin's answer of
    /// this class.
    Fallback(OriginClass),
    /// A fallback was due but the render budget was spent: 503.
    Refused,
    /// A fallback was due but the URL is not signed: the origin's answer
    /// went out untouched.
    Unsigned,
}

impl Report {
    pub fn new(outcome: RequestOutcome) -> Report {
        Report {
            outcome,
            script: None,
            cache: None,
            error: None,
            render_us: None,
            photo: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_statuses_map_to_outcomes() {
        assert_eq!(
            RequestOutcome::of_error_status(405),
            RequestOutcome::MethodNotAllowed
        );
        assert_eq!(
            RequestOutcome::of_error_status(400),
            RequestOutcome::BadRequest
        );
        assert_eq!(
            RequestOutcome::of_error_status(403),
            RequestOutcome::Forbidden
        );
        assert_eq!(RequestOutcome::of_error_status(500), RequestOutcome::Failed);
        assert_eq!(
            RequestOutcome::of_error_status(503),
            RequestOutcome::Refused
        );
    }

    #[test]
    fn all_lists_every_outcome_at_its_index() {
        for (i, o) in RequestOutcome::ALL.iter().enumerate() {
            assert_eq!(o.index(), i, "{o:?}");
        }
    }
}
