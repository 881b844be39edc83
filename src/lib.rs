//! monogram: initials avatars rendered inside the edge proxy.
//!
//! The modules are private and grouped by concept, each folder one layer of
//! the table in docs/DESIGN.md ("Layers"), which `tests/layers.rs` enforces:
//! a module uses only modules above it there. Everything but `filter` (the
//! glue, the only user of `proxy_wasm`) is host-free and runs natively under
//! `cargo test`.
//!
//! What follows the modules is the public surface: the request path the
//! glue, the examples and the fuzz target drive, and the pieces the
//! benchmarks and integration tests measure one by one.
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
// Without the glue (the wasm-size probe's build, feature `filter` off),
// what only the glue reaches is unused.
#![cfg_attr(not(feature = "filter"), allow(dead_code))]

mod avatar;
mod config;
mod doors;
mod draw;
mod error;
#[cfg(feature = "filter")]
mod filter;
mod flow;
mod fonts;

// The request path: configuration, per-VM state, one exchange in and out.
pub use config::{Config, SigningKey, MIN_SIZE};
pub use flow::cache::{Cache, Entry, ALIAS_SHARE, ENTRY_OVERHEAD};
pub use flow::etag::RENDER_VERSION;
pub use flow::http::{text_from_host, HostRequest, HttpRequest, Outcome, Response};
pub use flow::report::{CacheLookup, Photo, RequestOutcome};
pub use flow::response::{handle, handle_once, on_response, upstream_path, OnResponse};
pub use flow::state::State;

// The pieces, for the benchmarks and the tests that measure them alone.
pub use avatar::colour::{pick, text_colour_for, DEFAULT_PALETTE};
pub use avatar::initials::initials;
pub use avatar::resolve::{bounded, resolve, Avatar, Content, MAX_CLUSTERS, MAX_CLUSTER_CHARS};
pub use avatar::shape::{Shape, ROUNDED_RADIUS};
pub use doors::request::{parse, MAX_NAME_BYTES, MAX_QUERY_BYTES};
pub use doors::signing::{canonical, sign};
pub use draw::bare::{get as bare_shape, Bare};
pub use draw::deflate::zlib_into;
pub use draw::encode::{png as encode_png, png_over as encode_png_over, BareEncoding};
pub use draw::image::png as draw_png;
pub use draw::layout::{font_px, layout};
pub use draw::render::{render, render_on, text_coverage};
pub use fonts::script::is_letter;
#[cfg(not(target_arch = "wasm32"))]
pub use fonts::table::segment;
pub use fonts::table::{Fonts, SEGMENT_IMPORT};
pub use monogram_glyph_store::Command;
