//! The avatar as data and its policy: shape, text size, colours, initials
//! from a name, and what one parsed request resolves to.

pub(crate) mod asked;
pub(crate) mod colour;
pub(crate) mod font_size;
pub(crate) mod format;
pub(crate) mod initials;
pub(crate) mod resolve;
pub(crate) mod shape;
