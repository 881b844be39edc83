//! The proxy-wasm glue: the only file that talks to the host. It reads the
//! plugin configuration, hands each request's method, path, `If-None-Match`
//! and `Accept` to [`crate::response::handle`], sends what it returns, and
//! turns the response's [`Report`] into metric updates and one log line per
//! error.

use crate::budget::Budget;
use crate::cache::Cache;
use crate::config::Config;
use crate::http::{HostRequest, Outcome};
use crate::metrics::{self, Kind, Update};
use crate::report::Report;
use crate::response::handle;
use crate::state::State;
use log::{debug, error, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel, MetricType};
use std::cell::RefCell;
use std::rc::Rc;

proxy_wasm::main! {{
    // Debug, so that client errors (logged at debug) reach the host, which
    // drops them unless its own level for wasm is debug.
    proxy_wasm::set_log_level(LogLevel::Debug);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(MonogramRoot {
            state: Rc::new(RefCell::new(State::new(&Config::default()))),
            config: Rc::new(Config::default()),
            metrics: None,
        })
    });
}}

/// One per plugin configuration per VM: holds the parsed configuration, the
/// VM's cache and render budget, and the host's ids of the metrics.
struct MonogramRoot {
    config: Rc<Config>,
    state: Rc<RefCell<State>>,
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
                self.state = Rc::new(RefCell::new(State::new(&config)));
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
            state: Rc::clone(&self.state),
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
    state: Rc<RefCell<State>>,
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
    /// personal data, and the error's text never contains them. Client
    /// errors and refusals are at debug level: anyone can send them by the
    /// thousand, and an info line each would be a log flood (the metrics
    /// count them). Only our own faults are errors.
    fn log(&self, status: u16, report: &Report) {
        let Some(e) = &report.error else { return };
        let outcome = report.outcome.name();
        if status >= 500 && status != 503 {
            error!("[ctx {}] {status} {outcome}: {e}", self.context_id);
        } else {
            debug!("[ctx {}] {status} {outcome}: {e}", self.context_id);
        }
    }
}

/// The one path that traps the VM in the test-only `trap-for-tests` build.
#[cfg(feature = "trap-for-tests")]
const TRAP_PATH: &[u8] = b"/avatar/trap-for-tests";

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
        #[cfg(feature = "trap-for-tests")]
        #[allow(clippy::panic)]
        if path == TRAP_PATH {
            panic!("trap-for-tests: a deliberate trap");
        }
        let if_none_match = self.get_http_request_header_bytes("if-none-match");
        let accept = self.get_http_request_header_bytes("accept");
        let host = HostRequest::new(&method, &path, if_none_match.as_deref())
            .with_accept(accept.as_deref());
        // Never contended (one request at a time per VM); if it ever were,
        // serve this request uncached and unbudgeted rather than panic.
        let mut spare;
        let mut borrowed = self.state.try_borrow_mut();
        let state = match borrowed.as_deref_mut() {
            Ok(state) => state,
            Err(_) => {
                spare = State {
                    cache: Cache::new(0),
                    budget: Budget::new(0, 0),
                };
                &mut spare
            }
        };
        // The host's clock, in ns since the epoch; a host that cannot say
        // gives 0, which refills nothing and times renders at 0.
        let now = || {
            hostcalls::get_current_time()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        };
        match handle(&self.config, state, &host.request(), &now) {
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
