//! Puts the fonts into the built wasm module as one passive data segment,
//! and defines the function the filter reads it with. `make build` runs it
//! after `cargo build --target wasm32-wasip1`:
//!
//!     cargo run --release --example passive_fonts -- target/wasm32-wasip1/release/monogram.wasm
//!
//! Why: an active data segment is copied into every VM's linear memory when
//! the VM starts, and a linear memory never shrinks; a passive one stays in
//! the module's bytes, which V8 holds once per process, until `memory.init`
//! copies a range of it. Rust cannot emit a passive segment, so the wasm
//! build leaves the fonts out (see src/fonts/table.rs) and imports
//! `monogram.fonts_read(dst, offset, len) -> i32`; this replaces that import
//! with a function of the module itself:
//!
//! ```text
//! if offset > LEN or len > LEN - offset: return 0   (nothing copied, no trap)
//! memory.init SEGMENT (dst, offset, len); return 1
//! ```
//!
//! The segment is `monogram::segment()`, every font in the order
//! the filter computes its offsets in. Rewrites the file in place (through a
//! temporary file, so a hard link cargo keeps to it is left alone); a module
//! already rewritten is left as it is.
#[cfg(not(target_arch = "wasm32"))]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use monogram::{segment, SEGMENT_IMPORT};
    use walrus::ir::BinaryOp;
    use walrus::{DataKind, Module, ValType};

    let path = std::env::args()
        .nth(1)
        .ok_or("usage: passive_fonts MODULE.wasm")?;
    let mut module = Module::from_file(&path)?;
    let (import_module, import_name) = SEGMENT_IMPORT;
    let Ok(read) = module.imports.get_func(import_module, import_name) else {
        let passive = module
            .data
            .iter()
            .any(|d| matches!(d.kind, DataKind::Passive));
        if passive {
            println!("{path}: fonts already in a passive segment");
            return Ok(());
        }
        return Err(format!("{path}: no import {import_module}.{import_name} to replace").into());
    };
    let fonts = segment();
    let len = i32::try_from(fonts.len())?;
    let memory = module.memories.iter().next().ok_or("no memory")?.id();
    let data = module.data.add(DataKind::Passive, fonts);
    module.replace_imported_func(read, |(body, args)| {
        let (dst, offset, count) = (args[0], args[1], args[2]);
        // offset > LEN || count > LEN - offset: out of the segment.
        body.local_get(offset)
            .i32_const(len)
            .binop(BinaryOp::I32GtU)
            .local_get(count)
            .i32_const(len)
            .local_get(offset)
            .binop(BinaryOp::I32Sub)
            .binop(BinaryOp::I32GtU)
            .binop(BinaryOp::I32Or)
            .if_else(
                ValType::I32,
                |out| {
                    out.i32_const(0);
                },
                |within| {
                    within
                        .local_get(dst)
                        .local_get(offset)
                        .local_get(count)
                        .memory_init(memory, data)
                        .i32_const(1);
                },
            );
    })?;
    let tmp = format!("{path}.tmp");
    module.emit_wasm_file(&tmp)?;
    std::fs::rename(&tmp, &path)?;
    println!(
        "{path}: {} bytes of fonts in a passive segment, {} bytes in all",
        len,
        std::fs::metadata(&path)?.len()
    );
    Ok(())
}

/// Runs natively only (it reads the fonts from the native build).
#[cfg(target_arch = "wasm32")]
fn main() {}
