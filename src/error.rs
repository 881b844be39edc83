//! The one error type of the request path. Every variant's `Display` is the
//! exact text a client gets in the body of the error response, and
//! [`Error::status`] is the one place that maps it to an HTTP status.

use std::fmt;

/// Why a request under the avatar prefix cannot be answered with an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A method other than GET or HEAD on an avatar path.
    MethodNotAllowed,
    /// A `%` not followed by two hex digits, in the path or the query.
    BadPercentEncoding { part: &'static str },
    /// The decoded bytes of a path segment or parameter are not UTF-8.
    InvalidUtf8 { part: &'static str },
    /// A control character (U+0000..U+001F, U+007F..U+009F) in the name or a parameter.
    ControlCharacter { part: &'static str },
    /// The decoded name is longer than the limit, in bytes.
    NameTooLong { max: usize },
    /// The path after the avatar prefix is neither `{name}` nor the path
    /// form `{size}/{name}` or `{size}/{sig}/{name}`.
    ExtraPathSegment,
    /// Dot segments (`.`, `..`, also written `%2E`) take the path out of
    /// the avatar prefix once removed as RFC 3986 removes them.
    LeavesPrefix,
    /// The raw query a door reads (`part`: all of it, or on the photo door
    /// monogram's own parameters) is longer than the limit, in bytes.
    QueryTooLong { max: usize, part: &'static str },
    /// More `&`-separated parameters than the limit in the query a door
    /// reads (`part`, as for [`Error::QueryTooLong`]).
    TooManyParameters { max: usize, part: &'static str },
    /// The same known parameter appears twice; which one wins would be a guess.
    DuplicateParameter { name: String },
    /// `initials` with no character or more than `max` (grapheme clusters).
    BadInitials { max: u8 },
    /// `length` other than a whole number from 1 to `max`.
    BadLength { max: u8 },
    /// A known parameter with a value we cannot use.
    BadParameter {
        name: &'static str,
        expected: &'static str,
    },
    /// Signing is on and the URL has no `sig`.
    SignatureMissing,
    /// `sig` is not 22 characters of unpadded URL-safe base64.
    SignatureMalformed,
    /// `sig` is not the signature of this URL under any configured key.
    SignatureMismatch,
    /// The PNG encoder failed; never seen, but not worth a panic.
    EncodeFailed,
    /// A glyph the fonts claim to have has no outline for the SVG.
    OutlineMissing,
    /// The embedded fonts could not be parsed (a broken build).
    FontsUnavailable,
    /// A render was needed while the VM's render budget was spent: the
    /// gateway's other traffic comes first. Retry after this many seconds.
    Busy { retry_after_s: u64 },
}

impl Error {
    /// The HTTP status of each error: the only place this mapping lives.
    pub fn status(&self) -> u16 {
        match self {
            Error::MethodNotAllowed => 405,
            Error::SignatureMissing | Error::SignatureMalformed | Error::SignatureMismatch => 403,
            Error::EncodeFailed | Error::OutlineMissing | Error::FontsUnavailable => 500,
            Error::Busy { .. } => 503,
            Error::BadPercentEncoding { .. }
            | Error::InvalidUtf8 { .. }
            | Error::ControlCharacter { .. }
            | Error::NameTooLong { .. }
            | Error::ExtraPathSegment
            | Error::LeavesPrefix
            | Error::QueryTooLong { .. }
            | Error::TooManyParameters { .. }
            | Error::DuplicateParameter { .. }
            | Error::BadInitials { .. }
            | Error::BadLength { .. }
            | Error::BadParameter { .. } => 400,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MethodNotAllowed => write!(f, "method not allowed: use GET or HEAD"),
            Error::BadPercentEncoding { part } => write!(
                f,
                "invalid percent-encoding in the {part}: '%' must be followed by two hex digits"
            ),
            Error::InvalidUtf8 { part } => write!(f, "the {part} is not valid UTF-8"),
            Error::ControlCharacter { part } => {
                write!(f, "the {part} contains a control character")
            }
            Error::NameTooLong { max } => write!(f, "the name is longer than {max} bytes"),
            Error::ExtraPathSegment => write!(
                f,
                "the avatar path is {{name}}, {{size}}/{{name}} or {{size}}/{{sig}}/{{name}}; \
                 encode '/' in a name as %2F"
            ),
            Error::LeavesPrefix => write!(
                f,
                "dot segments ('.' and '..') take the path out of the avatar prefix"
            ),
            Error::QueryTooLong { max, part } => write!(f, "the {part} is longer than {max} bytes"),
            Error::TooManyParameters { max, part } => {
                write!(f, "the {part} has more than {max} parameters")
            }
            Error::DuplicateParameter { name } => {
                write!(f, "parameter '{name}' is given more than once")
            }
            Error::BadInitials { max } => {
                write!(f, "parameter 'initials' must be 1 to {max} characters")
            }
            Error::BadLength { max } => {
                write!(f, "parameter 'length' must be {}", one_to(*max))
            }
            Error::BadParameter { name, expected } => {
                write!(f, "parameter '{name}' must be {expected}")
            }
            Error::SignatureMissing => write!(
                f,
                "this server renders only signed avatar URLs: parameter 'sig' is missing"
            ),
            Error::SignatureMalformed => write!(
                f,
                "parameter 'sig' must be 22 characters of URL-safe base64 without padding"
            ),
            Error::SignatureMismatch => {
                write!(f, "the signature 'sig' does not match this URL")
            }
            Error::EncodeFailed => write!(f, "the image could not be encoded"),
            Error::OutlineMissing => write!(f, "a glyph has no outline for the SVG"),
            Error::FontsUnavailable => write!(f, "the embedded fonts could not be loaded"),
            Error::Busy { retry_after_s } => write!(
                f,
                "too many new avatars at once: retry after {retry_after_s} s"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The whole numbers from 1 to `max` in words, as the messages about a
/// number of initials say them: `1`, `1 or 2`, `1, 2 or 3`.
pub fn one_to(max: u8) -> String {
    let mut text = String::from("1");
    for n in 2..=max {
        text.push_str(if n == max { " or " } else { ", " });
        text.push_str(&n.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_initials_in_words() {
        assert_eq!(one_to(1), "1");
        assert_eq!(one_to(2), "1 or 2");
        assert_eq!(one_to(3), "1, 2 or 3");
        assert_eq!(one_to(4), "1, 2, 3 or 4");
        assert_eq!(
            Error::BadLength { max: 3 }.to_string(),
            "parameter 'length' must be 1, 2 or 3"
        );
        assert_eq!(
            Error::BadInitials { max: 3 }.to_string(),
            "parameter 'initials' must be 1 to 3 characters"
        );
    }

    #[test]
    fn server_faults_are_told_apart() {
        let faults = [
            Error::EncodeFailed,
            Error::OutlineMissing,
            Error::FontsUnavailable,
        ];
        for (i, e) in faults.iter().enumerate() {
            assert_eq!(e.status(), 500);
            for other in &faults[..i] {
                assert_ne!(e.to_string(), other.to_string());
            }
        }
    }
}
