//! The one error type of the request path. Every variant's `Display` is the
//! exact text a client gets in the body of the error response; the mapping to
//! an HTTP status lives in one place, [`crate::response`].

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
    /// The path has a `/` after the avatar prefix's name segment.
    ExtraPathSegment,
    /// The raw query is longer than the limit, in bytes.
    QueryTooLong { max: usize },
    /// More `&`-separated parameters than the limit.
    TooManyParameters { max: usize },
    /// The same known parameter appears twice; which one wins would be a guess.
    DuplicateParameter { name: String },
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
                "the avatar path takes one segment, the name; encode '/' in a name as %2F"
            ),
            Error::QueryTooLong { max } => write!(f, "the query is longer than {max} bytes"),
            Error::TooManyParameters { max } => {
                write!(f, "the query has more than {max} parameters")
            }
            Error::DuplicateParameter { name } => {
                write!(f, "parameter '{name}' is given more than once")
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
        }
    }
}

impl std::error::Error for Error {}
