//! The proxy-wasm glue: the only file that talks to the host. It reads the
//! plugin configuration, hands each request's method, path, `If-None-Match`
//! and `Accept` to [`crate::flow::response::handle`], sends what it returns, and
//! turns the response's [`Report`] into metric updates and one log line per
//! error.
//!
//! Two hosts, one difference that matters: Envoy's `:path` is the request
//! target as sent, while ngx_wasm_module's `:path` is Nginx's decoded and
//! normalised URI (`%2F` already a `/`, `%25` already a `%`, `./` removed),
//! so a name would be decoded twice. Its `request.path` property is the raw
//! request target, and the filter reads that on Nginx. The host is learnt
//! from the first request of each VM ([`Host`]).
//!
//! ngx_wasm_module also appends `\n` to every non-empty local response body
//! (and counts it in `Content-Length`), so one ETag would name two byte
//! sequences. On Nginx the filter cuts that byte off again in the response
//! phase ([`Trim`]): the client gets exactly the bytes Envoy sends.
//!
//! Counters are summed in the VM ([`Counts`]) and handed to the host
//! once per [`FLUSH_PERIOD`] on the root context's tick, so a request makes
//! no metric host call unless it drew an image (one, for its render time).
//! The host's counters lag by at most that period.

use crate::config::Config;
use crate::flow::http::{HostRequest, HttpRequest, Outcome, Response};
use crate::flow::metrics::{self, Counts, Kind};
use crate::flow::report::Report;
use crate::flow::response::{handle, on_response, upstream_path, waits_for_response, OnResponse};
use crate::flow::state::State;
use log::{debug, error, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// How often pending counter increments are handed to the host: the most
/// the host's counters lag behind the requests.
pub const FLUSH_PERIOD: Duration = Duration::from_secs(1);

proxy_wasm::main! {{
    // Debug, so that client errors (logged at debug) reach the host, which
    // drops them unless its own level for wasm is debug.
    proxy_wasm::set_log_level(LogLevel::Debug);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(MonogramRoot {
            state: Rc::new(RefCell::new(State::new(&Config::default()))),
            config: Rc::new(Config::default()),
            metrics: None,
            host: Rc::new(Cell::new(Host::Unknown)),
            counts: Rc::default(),
        })
    });
}}

/// The proxy this VM runs in. A root context cannot tell: ngx_wasm_module
/// refuses request-scoped properties outside a request (with an error log
/// line), so the first request asks and every later one reuses the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host {
    Unknown,
    Envoy,
    /// Nginx with ngx_wasm_module: it answers `ngx.*` properties (Nginx
    /// variables); Envoy has none.
    Nginx,
}

impl Host {
    fn detect() -> Host {
        match hostcalls::get_property(vec!["ngx", "nginx_version"]) {
            Ok(Some(_)) => Host::Nginx,
            _ => Host::Envoy,
        }
    }
}

/// One per plugin configuration per VM: holds the parsed configuration, the
/// VM's cache and render budget, and the host's ids of the metrics.
struct MonogramRoot {
    config: Rc<Config>,
    state: Rc<RefCell<State>>,
    /// Host metric ids, parallel to [`metrics::catalogue`]; `None` when
    /// metrics are off.
    metrics: Option<Rc<Vec<u32>>>,
    host: Rc<Cell<Host>>,
    /// Counter increments of this VM's requests not yet handed to the host.
    counts: Rc<RefCell<Counts>>,
}

impl MonogramRoot {
    /// Hands the pending counter increments to the host: one call per
    /// counter that moved.
    fn flush(&self) {
        let (Some(ids), Ok(mut counts)) = (&self.metrics, self.counts.try_borrow_mut()) else {
            return;
        };
        for (i, n) in counts.drain() {
            if let Some(&id) = ids.get(i) {
                // A failed update loses these counts; not worth more than that.
                let _ = hostcalls::increment_metric(id, i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
    }
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

impl Context for MonogramRoot {
    fn on_done(&mut self) -> bool {
        self.flush();
        true
    }
}

impl RootContext for MonogramRoot {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        match Config::from_json(&bytes) {
            Ok(config) => {
                // Counts of the previous configuration go to its metric ids.
                self.flush();
                self.metrics = if config.metrics {
                    let ids = define_metrics();
                    if ids.is_none() {
                        warn!("monogram: the host refused a metric definition; metrics are off");
                    }
                    ids.map(Rc::new)
                } else {
                    None
                };
                if self.metrics.is_some() {
                    self.set_tick_period(FLUSH_PERIOD);
                }
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

    fn on_tick(&mut self) {
        self.flush();
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(MonogramFilter {
            context_id,
            config: Rc::clone(&self.config),
            state: Rc::clone(&self.state),
            metrics: self.metrics.clone(),
            host: Rc::clone(&self.host),
            trim: None,
            kept: None,
            late_body: None,
            counts: Rc::clone(&self.counts),
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
    host: Rc<Cell<Host>>,
    counts: Rc<RefCell<Counts>>,
    /// Set when this request's answer needs Nginx's `\n` removed.
    trim: Option<Trim>,
    /// The request as the client sent it, kept when the answer waits for
    /// the upstream's response (the photo door).
    kept: Option<Kept>,
    /// Nginx: the body that replaces the upstream's, until its first piece
    /// has gone by (then `Some(None)`).
    late_body: Option<Option<Vec<u8>>>,
}

/// A request's method, target, `If-None-Match` and `Accept`, as bytes.
struct Kept {
    method: Vec<u8>,
    path: Vec<u8>,
    if_none_match: Option<Vec<u8>>,
    accept: Option<Vec<u8>>,
}

/// Nginx only: a local response whose body Nginx extends by one `\n`.
#[derive(Debug, Clone, Copy)]
struct Trim {
    /// The body's length as the filter sent it, in bytes.
    len: usize,
    /// A HEAD request: no body goes out, only `Content-Length` needs fixing.
    head: bool,
}

impl MonogramFilter {
    fn host(&self) -> Host {
        let mut host = self.host.get();
        if host == Host::Unknown {
            host = Host::detect();
            self.host.set(host);
        }
        host
    }

    /// The request target as the client sent it: on Nginx the raw
    /// `request.path` (`$request_uri`), on Envoy `:path` (the same bytes).
    fn raw_path(&self, host: Host) -> Vec<u8> {
        let raw = match host {
            Host::Nginx => hostcalls::get_property(vec!["request", "path"])
                .ok()
                .flatten(),
            _ => None,
        };
        raw.or_else(|| self.get_http_request_header_bytes(":path"))
            .unwrap_or_default()
    }

    /// Counts the request in the VM; only a render-time sample goes to the host now.
    fn record(&self, report: &Report) {
        let Some(ids) = &self.metrics else { return };
        let Ok(mut counts) = self.counts.try_borrow_mut() else {
            return;
        };
        if let Some((i, us)) = counts.record(report) {
            if let Some(&id) = ids.get(i) {
                // A failed update loses one sample; not worth failing a request for.
                let _ = hostcalls::record_metric(id, us);
            }
        }
    }

    /// One line per failed request, with the context id to correlate it
    /// with the host's own logs. Never the name or the path: they are
    /// personal data, and the error's text never contains them. Client
    /// errors and refusals are at debug level: anyone can send them by the
    /// thousand, and an info line each would be a log flood (the metrics
    /// count them). Only our own faults are errors.
    ///
    /// Nginx appends the request line (so the name) to every line a filter
    /// logs during a request: there every line goes out at debug level,
    /// which Nginx writes only when its error log is set to `debug`.
    fn log(&self, host: Host, status: u16, report: &Report) {
        let Some(e) = &report.error else { return };
        let outcome = report.outcome.name();
        if status >= 500 && status != 503 && host != Host::Nginx {
            error!("[ctx {}] {status} {outcome}: {e}", self.context_id);
        } else {
            debug!("[ctx {}] {status} {outcome}: {e}", self.context_id);
        }
    }
}

impl MonogramFilter {
    /// Counts and logs `response`, the answer about to be sent, and gives
    /// its headers as the host calls take them.
    fn answered<'r>(&mut self, host: Host, response: &'r Response) -> Vec<(&'r str, &'r str)> {
        self.record(&response.report);
        self.log(host, response.status, &response.report);
        response
            .headers
            .iter()
            .map(|(n, v)| (*n, v.as_str()))
            .collect()
    }

    /// Sends `response` as the answer, and counts and logs it.
    fn send(&mut self, host: Host, method: &[u8], response: &Response) {
        let headers = self.answered(host, response);
        if host == Host::Nginx && !response.body.is_empty() {
            self.trim = Some(Trim {
                len: response.body.len(),
                head: method == b"HEAD",
            });
        }
        self.send_http_response(u32::from(response.status), headers, Some(&response.body));
    }

    /// Lets a request the photo door waits on go to its upstream, without
    /// monogram's parameters. On Nginx `:path` is always set, to the raw
    /// target: nginx.conf's `proxy_pass` sends `$uri$is_args$args`, which
    /// are otherwise the decoded URI and the client's query (setting `:path`
    /// there changes `$uri` and `$args`, not the target `proxy_pass` sends by
    /// itself, and leaves `$args` as it was unless the value has a `?`).
    fn pass_on(&self, host: Host, request: &HttpRequest) {
        let stripped = upstream_path(&self.config, request);
        let path = match (host, stripped) {
            (Host::Nginx, Some(p)) if !p.contains('?') => Some(format!("{p}?")),
            (Host::Nginx, None) if !request.path.contains('?') => {
                Some(format!("{}?", request.path))
            }
            (Host::Nginx, None) => Some(request.path.to_string()),
            (_, p) => p,
        };
        if let Some(path) = path {
            self.set_http_request_header(":path", Some(&path));
        }
    }

    /// The upstream's response headers to a request the photo door waits
    /// on: pass them, or answer with the fallback in their place.
    fn on_upstream_response(&mut self, kept: &Kept) -> Action {
        let host = self.host();
        let status = self
            .get_http_response_header_bytes(":status")
            .and_then(|s| std::str::from_utf8(&s).ok()?.parse::<u16>().ok())
            .unwrap_or(0);
        let request = HostRequest::new(&kept.method, &kept.path, kept.if_none_match.as_deref())
            .with_accept(kept.accept.as_deref());
        let decision = match self.state.try_borrow_mut() {
            Ok(mut state) => {
                on_response(&self.config, &mut state, &request.request(), status, &now)
            }
            // Never contended; if it were, the origin's answer is the answer.
            Err(_) => OnResponse::Pass(None),
        };
        match decision {
            OnResponse::Pass(photo) => {
                if let (Some(photo), Some(_), Ok(mut counts)) =
                    (photo, &self.metrics, self.counts.try_borrow_mut())
                {
                    counts.record_photo(photo);
                }
                Action::Continue
            }
            OnResponse::Replace(response) if host == Host::Nginx => {
                // Not a local response: ngx_wasm_module's, in this phase,
                // keeps the upstream's headers, and its body replaces the
                // upstream's chain without the end-of-stream mark, so a
                // response Nginx makes itself (its 502 or 504 page, one
                // chain) never ends. The answer goes into the upstream's
                // response instead: status and headers now, the body in
                // [`Self::on_http_response_body`].
                let headers = self.answered(host, &response);
                self.set_http_response_headers(headers);
                let status = response.status.to_string();
                let _ = hostcalls::set_map_value(
                    MapType::HttpResponseHeaders,
                    ":status",
                    Some(&status),
                );
                // GET: framed by Nginx (chunked); HEAD: the body's length.
                let head = kept.method == b"HEAD";
                let length = head.then(|| response.body.len().to_string());
                let _ = hostcalls::set_map_value(
                    MapType::HttpResponseHeaders,
                    "content-length",
                    length.as_deref(),
                );
                self.late_body = Some(Some(if head { Vec::new() } else { response.body }));
                Action::Continue
            }
            OnResponse::Replace(response) => {
                // Envoy: a local response before the headers went
                // downstream replaces status, headers and body.
                self.send(host, &kept.method, &response);
                Action::Continue
            }
        }
    }
}

/// The host's clock, in ns since the epoch; a host that cannot say gives 0,
/// which refills nothing and times renders at 0.
fn now() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
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
        let host = self.host();
        let path = self.raw_path(host);
        #[cfg(feature = "trap-for-tests")]
        #[allow(clippy::panic)]
        if path == TRAP_PATH {
            panic!("trap-for-tests: a deliberate trap");
        }
        let if_none_match = self.get_http_request_header_bytes("if-none-match");
        let accept = self.get_http_request_header_bytes("accept");
        let request = HostRequest::new(&method, &path, if_none_match.as_deref())
            .with_accept(accept.as_deref());
        // Never contended (one request at a time per VM); if it ever were,
        // serve this request uncached and unbudgeted rather than panic.
        let mut spare;
        let mut borrowed = self.state.try_borrow_mut();
        let state = match borrowed.as_deref_mut() {
            Ok(state) => state,
            Err(_) => {
                spare = State::unbudgeted(0);
                &mut spare
            }
        };
        let outcome = handle(&self.config, state, &request.request(), &now);
        drop(borrowed);
        match outcome {
            Outcome::PassThrough => {
                if waits_for_response(&self.config, &request.request()) {
                    self.pass_on(host, &request.request());
                    self.kept = Some(Kept {
                        method: method.clone(),
                        path: path.clone(),
                        if_none_match: if_none_match.clone(),
                        accept: accept.clone(),
                    });
                }
                Action::Continue
            }
            Outcome::Respond(response) => {
                self.send(host, &method, &response);
                // The reply is sent; stop the request here.
                Action::Pause
            }
        }
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if let Some(kept) = self.kept.take() {
            return self.on_upstream_response(&kept);
        }
        if let Some(trim) = self.trim {
            // GET: no Content-Length, so Nginx frames the body (chunked)
            // and takes the shorter one without a per-response warning (it
            // warns when a body changes under a Content-Length already sent).
            // HEAD: no body, so the length the body would have.
            let length = trim.head.then(|| trim.len.to_string());
            let _ = hostcalls::set_map_value(
                MapType::HttpResponseHeaders,
                "content-length",
                length.as_deref(),
            );
        }
        Action::Continue
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if let Some(late) = self.late_body.as_mut() {
            // Our body in the upstream's first piece, nothing in the rest;
            // the pieces keep their end-of-stream mark.
            // The size bounds what is written, so it is at least ours.
            let body = late.take().unwrap_or_default();
            if body_size > 0 || !body.is_empty() {
                let size = body_size.max(body.len());
                let _ = hostcalls::set_buffer(BufferType::HttpResponseBody, 0, size, &body);
            }
            return Action::Continue;
        }
        if let Some(trim) = self.trim {
            // The whole local body comes in one piece: ours plus the `\n`.
            if end_of_stream && !trim.head && Some(body_size) == trim.len.checked_add(1) {
                let _ = hostcalls::set_buffer(BufferType::HttpResponseBody, trim.len, 1, b"");
            }
        }
        Action::Continue
    }
}
