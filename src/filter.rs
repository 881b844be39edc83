//! The proxy-wasm glue: the only file that talks to the host. It reads the
//! plugin configuration, hands each request's method, path and
//! `If-None-Match` to [`crate::response::handle`], and sends what it returns.

use crate::cache::Cache;
use crate::config::Config;
use crate::response::{handle, HttpRequest, Outcome};
use log::{debug, error, warn};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use std::cell::RefCell;
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(MonogramRoot {
            config: Rc::new(Config::default()),
            cache: Rc::new(RefCell::new(Cache::new(0))),
        })
    });
}}

/// One per plugin configuration per VM: holds the parsed configuration and
/// the VM's cache of encoded avatars.
struct MonogramRoot {
    config: Rc<Config>,
    cache: Rc<RefCell<Cache>>,
}

impl Context for MonogramRoot {}

impl RootContext for MonogramRoot {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        match Config::from_json(&bytes) {
            Ok(config) => {
                self.cache = Rc::new(RefCell::new(Cache::new(config.cache_bytes)));
                self.config = Rc::new(config);
                true
            }
            Err(message) => {
                // Returning false makes Envoy refuse the configuration.
                error!("{message}");
                false
            }
        }
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(MonogramFilter {
            context_id,
            config: Rc::clone(&self.config),
            cache: Rc::clone(&self.cache),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// One per HTTP request.
struct MonogramFilter {
    context_id: u32,
    config: Rc<Config>,
    cache: Rc<RefCell<Cache>>,
}

impl Context for MonogramFilter {}

impl HttpContext for MonogramFilter {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let method = self.get_http_request_header(":method").unwrap_or_default();
        let path = self.get_http_request_header(":path").unwrap_or_default();
        let if_none_match = self.get_http_request_header("if-none-match");
        let request = HttpRequest {
            method: &method,
            path: &path,
            if_none_match: if_none_match.as_deref(),
        };
        // Never contended (one request at a time per VM); if it ever were,
        // serve this request uncached rather than panic.
        let mut spare = Cache::new(0);
        let mut borrowed = self.cache.try_borrow_mut();
        let cache = match borrowed.as_deref_mut() {
            Ok(cache) => cache,
            Err(_) => &mut spare,
        };
        match handle(&self.config, cache, &request) {
            Outcome::PassThrough => Action::Continue,
            Outcome::Respond(response) => {
                if response.status >= 500 {
                    error!("[{}] answered {}", self.context_id, response.status);
                } else if response.status >= 400 {
                    warn!("[{}] answered {}", self.context_id, response.status);
                } else {
                    debug!("[{}] answered {}", self.context_id, response.status);
                }
                let headers: Vec<(&str, &str)> = response
                    .headers
                    .iter()
                    .map(|(n, v)| (*n, v.as_str()))
                    .collect();
                self.send_http_response(u32::from(response.status), headers, Some(&response.body));
                // The reply is sent; stop the request here.
                Action::Pause
            }
        }
    }
}
