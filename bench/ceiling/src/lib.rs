//! The benchmark's ceiling for any proxy-wasm answer on this Envoy: a filter
//! that makes exactly the host calls monogram makes for a cached avatar —
//! read `:method`, `:path` and `If-None-Match`, send a local reply with the
//! same five headers and a body of the same size (970 bytes, the mean 128 px
//! avatar) — and does nothing else. `make bench` measures it beside the
//! real filter, so the table shows how much of the gap to the floor is the
//! proxy-wasm round trip itself rather than monogram's work.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

/// The mean response body at 128 px, in bytes (bench/results.md).
const BODY: [u8; 970] = [0x5a; 970];

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root) });
}}

struct Root;

impl Context for Root {}

impl RootContext for Root {
    fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Reply))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Reply;

impl Context for Reply {}

impl HttpContext for Reply {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        let _method = self.get_http_request_header_bytes(":method");
        let _path = self.get_http_request_header_bytes(":path");
        let _inm = self.get_http_request_header_bytes("if-none-match");
        self.send_http_response(
            200,
            vec![
                ("content-type", "image/png"),
                ("etag", "\"0123456789abcdef\""),
                ("cache-control", "public, max-age=31536000, immutable"),
                ("access-control-allow-origin", "*"),
                ("x-content-type-options", "nosniff"),
            ],
            Some(&BODY),
        );
        Action::Pause
    }
}
