// Runs a wasm32-wasip1 program under node's V8, the engine Envoy runs the
// filter in: `node bench/wasi.js program.wasm [args]`. The program's stdout is node's.
// A program that links monogram also links the filter's proxy-wasm entry
// points (their host imports are stubbed here; the program never calls them)
// and exports `_initialize`, which node's WASI refuses beside `_start`.
const { WASI } = require("node:wasi");
const fs = require("node:fs");

const wasi = new WASI({ version: "preview1", args: process.argv.slice(2), env: {}, preopens: {} });
const imports = wasi.getImportObject();
imports.env = new Proxy({}, { get: () => () => 0 });
const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(process.argv[2])), imports);
const { memory, _start } = instance.exports;
process.exitCode = wasi.start({ exports: { memory, _start } });
