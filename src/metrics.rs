//! The filter's metrics: their names and kinds, and which of them a
//! [`Report`] updates. Host-free: the glue defines [`CATALOGUE`] with the
//! host once per VM and applies the [`Update`]s of each request.
//!
//! Names are dotted, one label value in the last segment
//! (`monogram.requests.outcome.rendered`). Envoy prefixes them with
//! `wasmcustom.` internally and, with the `stats_tags` in `envoy.yaml`, turns
//! the last segment into a Prometheus label:
//! `monogram_requests{outcome="rendered"}`. Without those tags they still
//! read well: `monogram_requests_outcome_rendered`.

use crate::report::{CacheLookup, Report, RequestOutcome};
use crate::script::Script;

/// Counter or histogram; the host decides the histogram's buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Histogram,
}

/// One metric the filter defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub name: String,
    pub kind: Kind,
}

/// Name of the histogram of the time to answer a request that drew an
/// image, in microseconds.
pub const RENDER_TIME: &str = "monogram.render_time_us";

/// Every metric, defined up front so each series exists (at 0) before its
/// first event: a dashboard can tell "none yet" from "not deployed".
/// Indices into this list are what [`Update`] refers to.
pub fn catalogue() -> Vec<Metric> {
    let counter = |name: String| Metric {
        name,
        kind: Kind::Counter,
    };
    let mut all: Vec<Metric> = RequestOutcome::ALL
        .iter()
        .map(|o| counter(format!("monogram.requests.outcome.{}", o.name())))
        .collect();
    all.extend(
        Script::ALL
            .iter()
            .map(|s| counter(format!("monogram.renders.script.{}", s.name()))),
    );
    all.push(counter("monogram.cache.hits".to_string()));
    all.push(counter("monogram.cache.misses".to_string()));
    all.push(Metric {
        name: RENDER_TIME.to_string(),
        kind: Kind::Histogram,
    });
    all
}

/// One change to a metric, by its index in [`catalogue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Add one to a counter.
    Increment(usize),
    /// Record a value in a histogram.
    Record(usize, u64),
}

fn outcome_index(o: RequestOutcome) -> usize {
    o.index()
}

/// `None` for a script missing from [`Script::ALL`] (a test keeps that from
/// happening): never another series' index.
fn script_index(s: Script) -> Option<usize> {
    let i = Script::ALL.iter().position(|x| *x == s)?;
    Some(RequestOutcome::ALL.len().saturating_add(i))
}

const CACHE_HITS: usize = RequestOutcome::ALL.len() + Script::ALL.len();
const CACHE_MISSES: usize = CACHE_HITS + 1;
const RENDER_TIME_INDEX: usize = CACHE_MISSES + 1;

/// The updates for one request: its outcome, the script of text it drew,
/// its cache lookup, and, if it drew an image, its render time (render and
/// encode, in microseconds) in the render-time histogram.
pub fn updates(report: &Report) -> Vec<Update> {
    let mut out = vec![Update::Increment(outcome_index(report.outcome))];
    if report.outcome == RequestOutcome::Rendered {
        if let Some(i) = report.script.and_then(script_index) {
            out.push(Update::Increment(i));
        }
    }
    match report.cache {
        Some(CacheLookup::Hit) => out.push(Update::Increment(CACHE_HITS)),
        Some(CacheLookup::Miss) => out.push(Update::Increment(CACHE_MISSES)),
        None => {}
    }
    if let Some(us) = report.render_us {
        out.push(Update::Record(RENDER_TIME_INDEX, us));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(updates: &[Update]) -> Vec<String> {
        let all = catalogue();
        updates
            .iter()
            .map(|u| match u {
                Update::Increment(i) => all[*i].name.clone(),
                Update::Record(i, v) => format!("{}={v}", all[*i].name),
            })
            .collect()
    }

    #[test]
    fn indices_point_at_the_right_names() {
        let all = catalogue();
        for &o in RequestOutcome::ALL {
            assert!(all[outcome_index(o)].name.ends_with(o.name()));
        }
        for s in Script::ALL {
            assert!(all[script_index(s).unwrap()].name.ends_with(s.name()));
        }
        // Every script a character can have is listed.
        for c in (0..0x3_0000u32).filter_map(char::from_u32) {
            assert!(script_index(Script::of(c)).is_some(), "{c:?}");
        }
        assert_eq!(all[CACHE_HITS].name, "monogram.cache.hits");
        assert_eq!(all[CACHE_MISSES].name, "monogram.cache.misses");
        assert_eq!(all[RENDER_TIME_INDEX].name, RENDER_TIME);
        assert_eq!(all[RENDER_TIME_INDEX].kind, Kind::Histogram);
        assert_eq!(all.len(), RENDER_TIME_INDEX + 1);
    }

    #[test]
    fn names_are_unique_and_plain() {
        let all = catalogue();
        for (i, m) in all.iter().enumerate() {
            assert!(
                m.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'),
                "{}",
                m.name
            );
            assert!(all[..i].iter().all(|o| o.name != m.name), "{}", m.name);
        }
    }

    #[test]
    fn a_render_counts_outcome_script_and_time() {
        let mut r = Report::new(RequestOutcome::Rendered);
        r.script = Some(Script::Greek);
        r.render_us = Some(250);
        assert_eq!(
            names(&updates(&r)),
            [
                "monogram.requests.outcome.rendered",
                "monogram.renders.script.greek",
                "monogram.render_time_us=250"
            ]
        );
    }

    #[test]
    fn a_placeholder_is_timed_but_has_no_script() {
        let mut r = Report::new(RequestOutcome::Placeholder);
        r.render_us = Some(90);
        assert_eq!(
            names(&updates(&r)),
            [
                "monogram.requests.outcome.placeholder",
                "monogram.render_time_us=90"
            ]
        );
    }

    #[test]
    fn nothing_drawn_nothing_timed() {
        for o in [
            RequestOutcome::NotModified,
            RequestOutcome::BadRequest,
            RequestOutcome::MethodNotAllowed,
            RequestOutcome::Failed,
        ] {
            assert_eq!(updates(&Report::new(o)).len(), 1, "{o:?}");
        }
    }

    #[test]
    fn cache_hits_are_counted_and_not_timed() {
        let mut r = Report::new(RequestOutcome::Rendered);
        r.script = Some(Script::Latin);
        r.cache = Some(CacheLookup::Hit);
        assert_eq!(
            names(&updates(&r)),
            [
                "monogram.requests.outcome.rendered",
                "monogram.renders.script.latin",
                "monogram.cache.hits"
            ]
        );
        r.cache = Some(CacheLookup::Miss);
        r.render_us = Some(3);
        assert!(names(&updates(&r)).contains(&"monogram.cache.misses".to_string()));
    }
}
