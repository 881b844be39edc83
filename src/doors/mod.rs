//! The URL doors: monogram's own `/avatar/` URLs and ui-avatars' API, each
//! parsed into one avatar request, and the signatures that may guard them.

pub(crate) mod request;
pub(crate) mod signing;
pub(crate) mod ui_avatars;
