//! Builds the glyph store (src/fonts/glyph_store.rs) of each font that
//! src/fonts/table.rs serves from one, into `OUT_DIR/<font file>.glyphs`.
//!
//! Why at build time: the wasm build must know the store's length (its
//! place in the module's font segment) and examples/passive_fonts.rs must
//! put the same bytes there, while the wasm build has no ttf-parser over
//! the whole font to make it; outlining 30,000 CJK glyphs once here is
//! cheaper than in every test process, and both builds include one file.
#[allow(dead_code)]
#[path = "src/fonts/glyph_store.rs"]
mod glyph_store;

/// The fonts served from a glyph store (`Storage::Glyphs` in src/fonts/table.rs).
const STORED: [&str; 1] = ["NotoSansCJKsc-Bold.subset.otf"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/fonts/glyph_store.rs");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    for file in STORED {
        let path = format!("fonts/{file}");
        println!("cargo:rerun-if-changed={path}");
        let data = std::fs::read(&path)?;
        let face = ttf_parser::Face::parse(&data, 0)?;
        // Every code point the font maps: src/fonts/table.rs's tests check they
        // lie in the font's ranges there.
        let store = glyph_store::build(&face, &[(0, 0x10FFFF)])?;
        std::fs::write(out.join(format!("{file}.glyphs")), store)?;
    }
    Ok(())
}
