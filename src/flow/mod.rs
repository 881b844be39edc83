//! The HTTP flow, host-free: the exchange as text, validators, headers, the
//! cache and the render budget a VM keeps, what happened, and the metrics
//! that count it.

pub(crate) mod budget;
pub(crate) mod cache;
pub(crate) mod etag;
pub(crate) mod headers;
pub(crate) mod http;
pub(crate) mod metrics;
pub(crate) mod report;
pub(crate) mod response;
pub(crate) mod state;
