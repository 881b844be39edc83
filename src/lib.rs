//! monogram: initials avatars rendered inside the edge proxy.
//!
//! Everything but [`filter`] is host-free and runs natively under `cargo test`;
//! [`filter`] is the only module that talks to the proxy through `proxy_wasm`.
//! A request flows: [`request`] → [`initials`] + [`colour`] → [`response`]
//! ([`signing`], ETag, 304) → [`render`] (using [`fonts`] through [`glyph_cache`]) → [`encode`] → back to the host.
//! [`script`] classifies characters for the initials rules, the layout and metrics.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod cache;
pub mod colour;
pub mod config;
// Exempt from the arithmetic lint for now: bit-level DEFLATE arithmetic on
// values the format bounds (code lengths <= 15, distances <= 32768, over at
// most one 2048-pixel image).
#[allow(clippy::arithmetic_side_effects)]
pub mod deflate;
pub mod encode;
pub mod error;
pub mod filter;
pub mod fonts;
pub mod glyph_cache;
pub mod initials;
pub mod metrics;
pub mod raster;
pub mod render;
pub mod report;
pub mod request;
pub mod response;
pub mod script;
pub mod signing;
pub mod svg;
