//! monogram: initials avatars rendered inside the edge proxy.
//!
//! Everything but [`filter`] is host-free and runs natively under `cargo test`;
//! [`filter`] is the only module that talks to the proxy through `proxy_wasm`.
//!
//! A request flows: [`filter`] → [`http`] (the host's bytes as text) →
//! [`response`], which asks the cache by path, then [`request`] (`:path` to
//! an avatar request; [`ui_avatars`] for ui-avatars' URLs, into the same
//! request) → [`signing`] → [`avatar`] (initials from [`initials`],
//! colour from [`colour`]) → [`etag`] (a 304 ends here) → [`draw`]: [`layout`]
//! places the text, [`render`] draws pixels (glyphs from [`fonts`], the CJK
//! font's out of a [`glyph_store`], filled by ab_glyph_rasterizer, kept in
//! [`glyph_cache`])
//! and [`encode`] + [`deflate`] make the PNG, or [`svg`] writes outlines →
//! [`headers`] → back to the host; [`report`] says what happened and
//! [`metrics`] counts it. [`error`] is every way it can fail, with its
//! status. [`script`] classifies characters for the initials rules, the
//! layout and metrics; [`shape`], [`font_size`] and [`config`] are read
//! everywhere.
//!
//! [`state`] is what a VM keeps between requests: the [`cache`] and the
//! render [`budget`].
//!
//! Modules import only modules listed before them in that flow's layers:
//! error, script, shape, font_size, colour, signing, config, initials,
//! request, ui_avatars, glyph_store, fonts, glyph_cache, layout,
//! avatar, render, svg, deflate, encode, bare, draw, etag, report, http, headers,
//! cache, budget, state, metrics, response, filter.
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

pub mod avatar;
pub mod bare;
pub mod budget;
pub mod cache;
pub mod colour;
pub mod config;
// Exempt from the arithmetic lint for now: bit-level DEFLATE arithmetic on
// values the format bounds (code lengths <= 15, distances <= 32768, over at
// most one 2048-pixel image).
#[allow(clippy::arithmetic_side_effects)]
pub mod deflate;
pub mod draw;
pub mod encode;
pub mod error;
pub mod etag;
pub mod filter;
pub mod font_size;
pub mod fonts;
pub mod glyph_cache;
pub mod glyph_store;
pub mod headers;
pub mod http;
pub mod initials;
pub mod layout;
pub mod metrics;
pub mod render;
pub mod report;
pub mod request;
pub mod response;
pub mod script;
pub mod shape;
pub mod signing;
pub mod state;
pub mod svg;
pub mod ui_avatars;
