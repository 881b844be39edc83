"""`make bench`'s hand-written pieces against the crates that could replace
them: time and bytes (examples/bench_crates.rs, natively and under node's V8)
and the wasm size each adds (bench/wasm-size), all from one run.

Wasm size: bench/wasm-size is built once per feature, each build linking one
implementation (the monogram crate's piece for ours, the crate otherwise, as
crates/dev drives it) into a wasm32-wasip1 program that feeds it bytes from
stdin, with monogram's release profile; the size shown is that program's minus the `baseline` build's (the
same program with no piece). Shared code (std's HashMap, crc32fast) is counted
in every build that links it, ours included.

`python3 bench/crates.py` prints the section alone (after
`cargo build --release --example bench_crates`, and for the V8 column
`cargo build --release --target wasm32-wasip1 --example bench_crates`).
"""
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "bench/wasm-size"
PROBE_TARGET = ROOT / "target/wasm-size"
NATIVE = ROOT / "target/release/examples/bench_crates"
WASM = ROOT / "target/wasm32-wasip1/release/examples/bench_crates.wasm"
MODULE = ROOT / "target/wasm32-wasip1/release/monogram.wasm"


def wasm_sizes():
    """Bytes of the probe built with each feature of bench/wasm-size."""
    features = tomllib.loads((PROBE / "Cargo.toml").read_text())["features"]
    env = dict(os.environ, CARGO_TARGET_DIR=str(PROBE_TARGET))
    built = PROBE_TARGET / "wasm32-wasip1/release/monogram-wasm-size.wasm"
    sizes = {}
    for feature in features:
        subprocess.run(["cargo", "build", "--quiet", "--release", "--target", "wasm32-wasip1",
                        "--manifest-path", str(PROBE / "Cargo.toml"), "--features", feature],
                       check=True, env=env)
        kept = PROBE_TARGET / f"{feature}.wasm"
        shutil.copyfile(built, kept)
        sizes[feature] = kept.stat().st_size
    return sizes


def code_bytes(path):
    """Size of a wasm module's code section (what V8 compiles)."""
    data = path.read_bytes()
    i = 8
    while i < len(data):
        section = data[i]
        i += 1
        size = shift = 0
        while True:
            b = data[i]
            i += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        if section == 10:
            return size
        i += size
    return 0


def rows(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def v8_rows():
    """The same bench under node's V8, or None if node or the build is missing."""
    node = shutil.which("node")
    if not node or not WASM.exists():
        return None
    return rows([node, "--no-warnings", str(ROOT / "bench/wasi.js"), str(WASM)])


def section():
    sizes = wasm_sizes()
    native = rows([str(NATIVE)])
    v8 = v8_rows()
    v8_us = {(r["section"], r["case"], r["impl"]): r["us"] for r in v8 or []}
    for r in native:
        if r["wasm"] and r["wasm"] not in sizes:
            sys.exit(f"bench_crates names wasm-size feature {r['wasm']!r}, not in {PROBE}/Cargo.toml")

    def wasm(r):
        return f"{sizes[r['wasm']] - sizes['baseline']:,}" if r["wasm"] else "—"

    def v8(r, scale=1.0, digits=1):
        us = v8_us.get((r["section"], r["case"], r["impl"]))
        return "—" if us is None else f"{us * scale:,.{digits}f}"

    def v8_ratio(r, ours):
        us, base = (v8_us.get((x["section"], x["case"], x["impl"])) for x in (r, ours))
        return "—" if us is None or not base else f"{us / base:.2f}"

    def by(sec):
        cases = {}
        for r in native:
            if r["section"] == sec:
                cases.setdefault(r["case"], []).append(r)
        return cases

    out = ["## Hand-written pieces against crates (one run)\n"]
    scale = (f"; for scale, monogram.wasm is {MODULE.stat().st_size:,} bytes with "
             f"{code_bytes(MODULE):,} bytes of code" if MODULE.exists() else "")
    out.append("Native: one core, release build; V8: the same program built for wasm32-wasip1 and run by "
               + (f"node {node_version()}" if v8 is not None else "node (not run: node or the wasm build missing)")
               + ", the engine Envoy runs the filter in. Each time is the fastest of 15 batches, the "
               "implementations of a group taking turns batch by batch; × ours is the ratio to the "
               "group's first row in the same column. Wasm bytes: what the implementation adds to a "
               "wasm32-wasip1 program built with monogram's release profile (bench/wasm-size, method "
               f"in bench/crates.py){scale}.\n")

    def table(sec, title, note, columns):
        """A table of one section: `columns` are (header, cell of a row given its group's first)."""
        out.append(f"### {title}\n")
        out.append(note + "\n")
        out.append("| " + " | ".join(h for h, _ in columns) + " |")
        out.append("|" + "---|" * len(columns))
        for rs in by(sec).values():
            out.extend("| " + " | ".join(cell(r, rs[0]) for _, cell in columns) + " |" for r in rs)
        out.append("")

    case = ("case", lambda r, _: r["case"])
    impl = ("implementation", lambda r, _: r["impl"])
    us = [("native µs", lambda r, _: f"{r['us']:,.1f}"),
          ("× ours", lambda r, first: f"{r['us'] / first['us']:.2f}"),
          ("V8 µs", lambda r, _: v8(r)),
          ("× ours", v8_ratio)]
    ns = [("native ns", lambda r, _: f"{r['us'] * 1000:,.0f}"),
          ("V8 ns", lambda r, _: v8(r, 1000, 0))]
    size = ("wasm bytes", lambda r, _: wasm(r))
    table("encoder", "PNG encoder: src/draw/encode.rs + src/draw/deflate.rs",
          "The same 16 renders (4-bit indexed), every output checked to decode to the same pixels. "
          "png's High runs the same code as Balanced (wasm size measured once).",
          [case, impl, *us, ("bytes (mean)", lambda r, _: f"{r['bytes']:,}"),
           ("× ours", lambda r, first: f"{r['bytes'] / first['bytes']:.2f}"), size])
    table("raster", "Glyph rasteriser: ab_glyph_rasterizer (src/fonts/table.rs)",
          "The same glyph outlines (ttf-parser, one letter from each font) at the body height of two "
          "initials; time per glyph; coverage compared pixel by pixel, in levels of 255, with the "
          "rasteriser in use (first row); × ours is relative to it too. The hand-written rasteriser "
          "it replaced stays measured beside it.",
          [case, impl, *us, ("coverage Δ mean", lambda r, _: f"{r['diff_mean']:.2f}"),
           ("Δ max", lambda r, _: str(r["diff_max"])), size])
    table("cache", "Avatar cache (LRU bounded in bytes): src/flow/cache.rs",
          "Keys like `/avatar/1F2E%203A4B?size=128`, 1,000-byte bodies, the default 4 MiB budget. Heap: "
          "the cache's own bytes per entry (its copy of the key, map and list), counted by a counting "
          "allocator.",
          [case, impl, *ns, ("heap bytes per entry", lambda r, _: f"{r['heap']:.0f}" if "heap" in r else ""),
           size])
    table("base64", "URL-safe base64 of `sig`: src/doors/signing.rs",
          "16-byte tags; every decoder checked to accept each tag's one spelling and to refuse it with "
          "a leftover bit set.",
          [case, impl, *ns, size])
    return "\n".join(out)


def node_version():
    out = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return out or "?"


if __name__ == "__main__":
    print(section())
