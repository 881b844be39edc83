//! What monogram's benchmarks, examples and tests share outside the filter,
//! as a crate so that cargo builds (and clippy checks) it once for all of
//! them:
//! - [`alternatives`]: the crates each hand-written piece of monogram is
//!   measured against, driven as monogram drives its own piece; timed by
//!   `examples/bench_crates.rs` and weighed by the wasm-size probe
//!   (`bench/wasm-size`), so the bytes shown are those of the code timed;
//! - [`raster`]: the hand-written rasteriser the filter used before
//!   ab_glyph_rasterizer, measured against it;
//! - [`scripts`]: `tests/scripts.txt` read, and its names as request paths.

pub mod alternatives;
pub mod raster;
pub mod scripts;
