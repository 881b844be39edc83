//! The filter's metrics: their names and kinds, and which of them a
//! [`Report`] updates. Host-free: the glue defines the [`catalogue`] with
//! the host once per VM, and [`Counts`] batches each request's updates
//! until the glue drains them.
//!
//! Names are dotted, one label value in the last segment
//! (`monogram.requests.outcome.rendered`). Envoy prefixes them with
//! `wasmcustom.` internally and, with the `stats_tags` in `envoy.yaml`, turns
//! the last segment into a Prometheus label:
//! `monogram_requests{outcome="rendered"}`. Without those tags they still
//! read well: `monogram_requests_outcome_rendered`.

use crate::doors::photo::OriginClass;
use crate::flow::report::{CacheLookup, Photo, Report, RequestOutcome};
use crate::fonts::script::Script;

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
/// Indices into this list are what [`Counts`] counts by.
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
    all.extend(PHOTO_COUNTERS.iter().map(|(_, n)| counter(n.to_string())));
    all
}

/// The photo door's counters, each of one answer of the door: photos
/// passed, fallbacks by the class of the origin's answer, refused and
/// unsigned ones.
const PHOTO_COUNTERS: &[(Photo, &str)] = &[
    (Photo::Passed, "monogram.photos.passed"),
    (
        Photo::Fallback(OriginClass::Missing),
        "monogram.photos.fallback.4xx",
    ),
    (
        Photo::Fallback(OriginClass::Error),
        "monogram.photos.fallback.5xx",
    ),
    (Photo::Refused, "monogram.photos.refused"),
    (Photo::Unsigned, "monogram.photos.unsigned"),
];

/// `None` for an answer missing from [`PHOTO_COUNTERS`] (a test keeps that
/// from happening): never another series' index.
fn photo_index(p: Photo) -> Option<usize> {
    let i = PHOTO_COUNTERS.iter().position(|(q, _)| *q == p)?;
    Some(PHOTOS.saturating_add(i))
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
const PHOTOS: usize = RENDER_TIME_INDEX + 1;
/// Number of metrics in [`catalogue`].
const METRICS: usize = PHOTOS + PHOTO_COUNTERS.len();

/// Counter increments not yet handed to the host, by [`catalogue`] index.
///
/// Why: a cache hit is a hash lookup, and three metric host calls per hit
/// (outcome, script, cache) were a measurable share of it. Requests only
/// add here, in the VM; the glue hands the sums to the host with
/// [`Counts::drain`] on a timer, one host call per counter that moved. The
/// host's counters are exact after each hand-over and lag by at most its
/// period.
///
/// The render-time histogram is not batched: the host wants one call per
/// sample either way, and a sample comes with a render, which costs
/// hundreds of times the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    pending: [u64; METRICS],
}

impl Default for Counts {
    fn default() -> Counts {
        Counts {
            pending: [0; METRICS],
        }
    }
}

impl Counts {
    /// Counts one request: its outcome, the script of text it drew and its
    /// cache lookup. Returns the render-time histogram's index and sample
    /// (render and encode, in microseconds) if it drew an image, for the
    /// glue to record now.
    pub fn record(&mut self, report: &Report) -> Option<(usize, u64)> {
        if let Some(p) = report.photo {
            self.record_photo(p);
        }
        self.add(outcome_index(report.outcome));
        if report.outcome == RequestOutcome::Rendered {
            if let Some(i) = report.script.and_then(script_index) {
                self.add(i);
            }
        }
        match report.cache {
            Some(CacheLookup::Hit) => self.add(CACHE_HITS),
            Some(CacheLookup::Miss) => self.add(CACHE_MISSES),
            None => {}
        }
        report.render_us.map(|us| (RENDER_TIME_INDEX, us))
    }

    /// Counts what the photo door did with an origin's answer it let pass
    /// (a replaced one is counted by [`Counts::record`] with its response).
    pub fn record_photo(&mut self, photo: Photo) {
        if let Some(i) = photo_index(photo) {
            self.add(i);
        }
    }

    fn add(&mut self, index: usize) {
        if let Some(n) = self.pending.get_mut(index) {
            *n = n.saturating_add(1);
        }
    }

    /// The counters that moved since the last drain, as ([`catalogue`]
    /// index, increment), and zeroes them.
    pub fn drain(&mut self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.pending
            .iter_mut()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (i, std::mem::take(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one request hands the host, by name: the counters it moved (each
    /// by one), then its render-time sample.
    fn updates(r: &Report) -> Vec<String> {
        let all = catalogue();
        let mut counts = Counts::default();
        let sample = counts.record(r);
        let mut out: Vec<String> = counts
            .drain()
            .map(|(i, n)| {
                assert_eq!(n, 1);
                all[i].name.clone()
            })
            .collect();
        out.extend(sample.map(|(i, v)| format!("{}={v}", all[i].name)));
        out
    }

    #[test]
    fn indices_point_at_the_right_names() {
        let all = catalogue();
        for &o in RequestOutcome::ALL {
            assert!(all[outcome_index(o)].name.ends_with(o.name()));
        }
        for &s in Script::ALL {
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
        assert_eq!(all.len(), METRICS);
        for p in [
            Photo::Passed,
            Photo::Fallback(OriginClass::Missing),
            Photo::Fallback(OriginClass::Error),
            Photo::Refused,
            Photo::Unsigned,
        ] {
            assert!(all[photo_index(p).unwrap()]
                .name
                .starts_with("monogram.photos."));
        }
        assert_eq!(
            all[photo_index(Photo::Unsigned).unwrap()].name,
            "monogram.photos.unsigned"
        );
    }

    #[test]
    fn a_fallback_counts_its_origin_class_and_its_outcome() {
        let mut r = Report::new(RequestOutcome::Placeholder);
        r.photo = Some(Photo::Fallback(OriginClass::Error));
        assert_eq!(
            updates(&r),
            [
                "monogram.requests.outcome.placeholder",
                "monogram.photos.fallback.5xx"
            ]
        );
        let mut counts = Counts::default();
        counts.record_photo(Photo::Passed);
        let all = catalogue();
        let moved: Vec<_> = counts
            .drain()
            .map(|(i, n)| (all[i].name.clone(), n))
            .collect();
        assert_eq!(moved, [("monogram.photos.passed".to_string(), 1)]);
    }

    #[test]
    fn names_are_unique_and_plain() {
        let all = catalogue();
        for (i, m) in all.iter().enumerate() {
            assert!(
                m.name.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'.'
                    || b == b'_'),
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
            updates(&r),
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
            updates(&r),
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
            updates(&r),
            [
                "monogram.requests.outcome.rendered",
                "monogram.renders.script.latin",
                "monogram.cache.hits"
            ]
        );
        r.cache = Some(CacheLookup::Miss);
        r.render_us = Some(3);
        assert!(updates(&r).contains(&"monogram.cache.misses".to_string()));
    }

    #[test]
    fn counts_add_up_until_drained_and_a_drain_empties_them() {
        let all = catalogue();
        let mut hit = Report::new(RequestOutcome::Rendered);
        hit.script = Some(Script::Latin);
        hit.cache = Some(CacheLookup::Hit);
        let mut counts = Counts::default();
        for _ in 0..1000 {
            assert_eq!(counts.record(&hit), None, "a hit records no sample");
        }
        let mut miss = Report::new(RequestOutcome::Placeholder);
        miss.cache = Some(CacheLookup::Miss);
        miss.render_us = Some(42);
        assert_eq!(counts.record(&miss), Some((RENDER_TIME_INDEX, 42)));
        let drained: Vec<(String, u64)> = counts
            .drain()
            .map(|(i, n)| (all[i].name.clone(), n))
            .collect();
        let want = [
            ("monogram.requests.outcome.rendered", 1000),
            ("monogram.requests.outcome.placeholder", 1),
            ("monogram.renders.script.latin", 1000),
            ("monogram.cache.hits", 1000),
            ("monogram.cache.misses", 1),
        ];
        assert_eq!(
            drained,
            want.map(|(n, c)| (n.to_string(), c)).to_vec(),
            "exact, one entry per counter that moved"
        );
        assert_eq!(counts.drain().count(), 0, "nothing left after a drain");
        assert_eq!(counts, Counts::default());
    }
}
