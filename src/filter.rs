//! The proxy-wasm glue: the only file that talks to the host. It reads the
//! plugin configuration, hands each request's method, path, `If-None-Match`
//! and `Accept` to [`crate::response::handle`], sends what it returns, and
//! turns the response's [`Report`] into metric updates and one log line per
//! error.

use crate::cache::Cache;
use crate::config::Config;
use crate::http::{HostRequest, Outcome};
use crate::metrics::{self, Kind, Update};
use crate::report::Report;
use crate::response::handle;
use log::{error, info, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel, MetricType};
use std::cell::RefCell;
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(MonogramRoot {
            config: Rc::new(Config::default()),
            cache: Rc::new(RefCell::new(Cache::new(0))),
            metrics: None,
        })
    });
}}

/// One per plugin configuration per VM: holds the parsed configuration, the
/// VM's cache of encoded avatars and the host's ids of the metrics.
struct MonogramRoot {
    config: Rc<Config>,
    cache: Rc<RefCell<Cache>>,
    /// Host metric ids, parallel to [`metrics::catalogue`]; `None` when
    /// metrics are off.
    metrics: Option<Rc<Vec<u32>>>,
}

/// Defines every metric with the host. Defining an existing name returns its
/// id again, so every VM and every reconfiguration shares one series.
fn define_metrics() -> Option<Vec<u32>> {
    metrics::catalogue()
        .iter()
        .map(|m| {
            let kind = match m.kind {
                Kind::Counter => MetricType::Counter,
                Kind::Histogram => MetricType::Histogram,
            };
            hostcalls::define_metric(kind, &m.name).ok()
        })
        .collect()
}

impl Context for MonogramRoot {}

impl RootContext for MonogramRoot {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        match Config::from_json(&bytes) {
            Ok(config) => {
                self.metrics = if config.metrics {
                    let ids = define_metrics();
                    if ids.is_none() {
                        warn!("monogram: the host refused a metric definition; metrics are off");
                    }
                    ids.map(Rc::new)
                } else {
                    None
                };
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
            metrics: self.metrics.clone(),
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
    metrics: Option<Rc<Vec<u32>>>,
}

impl MonogramFilter {
    fn record(&self, report: &Report) {
        let Some(ids) = &self.metrics else { return };
        for update in metrics::updates(report) {
            // A failed update loses one sample; not worth failing a request for.
            let _ = match update {
                Update::Increment(i) => ids.get(i).map(|&id| hostcalls::increment_metric(id, 1)),
                Update::Record(i, value) => {
                    ids.get(i).map(|&id| hostcalls::record_metric(id, value))
                }
            };
        }
    }

    /// One line per failed request, with the context id to correlate it
    /// with the host's own logs. Never the name or the path: they are
    /// personal data, and the error's text never contains them.
    fn log(&self, status: u16, report: &Report) {
        let Some(e) = &report.error else { return };
        let outcome = report.outcome.name();
        if status >= 500 {
            error!("[ctx {}] {status} {outcome}: {e}", self.context_id);
        } else {
            info!("[ctx {}] {status} {outcome}: {e}", self.context_id);
        }
    }
}

impl Context for MonogramFilter {}

impl HttpContext for MonogramFilter {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        // As bytes: proxy-wasm's `get_http_request_header` unwraps a UTF-8
        // conversion, so `If-None-Match: \xff` (legal in HTTP) would trap the VM.
        let method = self
            .get_http_request_header_bytes(":method")
            .unwrap_or_default();
        let path = self
            .get_http_request_header_bytes(":path")
            .unwrap_or_default();
        let if_none_match = self.get_http_request_header_bytes("if-none-match");
        let accept = self.get_http_request_header_bytes("accept");
        let host = HostRequest::new(&method, &path, if_none_match.as_deref())
            .with_accept(accept.as_deref());
        // Never contended (one request at a time per VM); if it ever were,
        // serve this request uncached rather than panic.
        let mut spare = Cache::new(0);
        let mut borrowed = self.cache.try_borrow_mut();
        let cache = match borrowed.as_deref_mut() {
            Ok(cache) => cache,
            Err(_) => &mut spare,
        };
        match handle(&self.config, cache, &host.request()) {
            Outcome::PassThrough => Action::Continue,
            Outcome::Respond(response) => {
                self.record(&response.report);
                self.log(response.status, &response.report);
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
