"""Metrics in Envoy's /stats/prometheus, and the filter's log lines, on
every Envoy of the tested range (the `envoy_kind` fixture)."""
import re
import time

from conftest import ENVOY_RANGE, request
from envoy_harness import Envoy

OUTCOMES = ["rendered", "placeholder", "not_modified", "bad_request", "method_not_allowed", "forbidden", "error"]
SCRIPTS = ["latin", "greek", "cyrillic", "han", "hangul", "kana", "arabic", "hebrew", "other"]


def prometheus(envoy):
    """{(name, labels): value} of the monogram_* series."""
    out = {}
    for line in envoy.admin("/stats/prometheus").splitlines():
        m = re.match(r"^(monogram_\w+)\{(.*)\} (\S+)$", line)
        if m:
            out[(m.group(1), m.group(2))] = float(m.group(3))
    return out


def wait_for(condition, what, tries=300):
    """Polls until `condition()` is truthy, at most `tries` times, 0.2 s
    apart. Counters reach Envoy when the filter hands them over (every
    second, on its tick) and histogram samples on Envoy's stats flush, so a
    request shows up some time after its response; how long is not assumed."""
    for _ in range(tries):
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not seen in {tries} polls: {what}")


def settle(envoy, want):
    """Polls until every series in `want` ({(name, labels): value}) has
    its value, then returns the series: exact once the filter has flushed."""
    def reached():
        p = prometheus(envoy)
        return p if all(p.get(k, 0) >= v for k, v in want.items()) else None
    p = wait_for(reached, f"{want}")
    # Another flush (the filter's tick is 1 s) adds nothing: the counts were exact.
    time.sleep(1.5)
    p = prometheus(envoy)
    for k, v in want.items():
        assert p[k] == v, (k, p[k], v)
    return p


def test_every_series_exists_before_any_event(envoy_kind):
    e = Envoy(binary=ENVOY_RANGE.get(envoy_kind))
    try:
        p = prometheus(e)
        for o in OUTCOMES:
            assert p[("monogram_requests", f'outcome="{o}"')] == 0, o
        for s in SCRIPTS:
            assert p[("monogram_renders", f'script="{s}"')] == 0, s
        assert p[("monogram_cache_hits", "")] == 0
        assert p[("monogram_cache_misses", "")] == 0
        assert p[("monogram_render_time_us_count", "")] == 0
    finally:
        e.stop()


def test_requests_are_counted_by_outcome_and_script(envoy_kind):
    # An Envoy of its own: histogram samples of other tests' requests would
    # still be arriving in a shared one. One worker, so one VM and one cache.
    envoy = Envoy(binary=ENVOY_RANGE.get(envoy_kind), concurrency=1)
    try:
        etag = request(envoy, "/avatar/Ada%20Lovelace?size=40").header("etag")
        request(envoy, "/avatar/Ada%20Lovelace?size=40")  # from the cache
        request(envoy, "/avatar/%CE%91%CE%BB%CE%AD%CE%BE%CE%B7%CF%82?size=40")  # Αλέξης: Greek
        request(envoy, "/avatar/%D0%96%D0%B5%D0%BD%D1%8F.svg?size=40")  # Женя: Cyrillic, SVG
        request(envoy, "/avatar/%21%21?size=40")  # placeholder
        request(envoy, "/avatar/Ada%20Lovelace?size=40", headers={"If-None-Match": etag})
        request(envoy, "/avatar/Ada?size=huge")
        request(envoy, "/avatar/Ada", method="DELETE")
        request(envoy, "/", method="GET")  # not ours: not counted
        want = {"rendered": 4, "placeholder": 1, "not_modified": 1, "bad_request": 1,
                "method_not_allowed": 1, "forbidden": 0, "error": 0}
        scripts = {"latin": 2, "greek": 1, "cyrillic": 1}
        expected = {("monogram_requests", f'outcome="{o}"'): n for o, n in want.items()}
        expected.update({("monogram_renders", f'script="{s}"'): scripts.get(s, 0) for s in SCRIPTS})
        # The 304 and the errors never look in the cache.
        expected[("monogram_cache_hits", "")] = 1
        expected[("monogram_cache_misses", "")] = 4
        settle(envoy, expected)
        # Four images were drawn (three renders and the placeholder; the
        # cache hit was not): the histogram gets one sample each, once Envoy
        # has merged them.
        count = ("monogram_render_time_us_count", "")
        wait_for(lambda: prometheus(envoy)[count] >= 4, "4 render-time samples")
        final = prometheus(envoy)
        assert final[count] == 4
        buckets = {k[1]: v for k, v in final.items() if k[0] == "monogram_render_time_us_bucket"}
        assert buckets['le="+Inf"'] == 4
        assert buckets['le="50"'] <= buckets['le="1000"'] <= 4
        assert final[("monogram_render_time_us_sum", "")] > 0
    finally:
        envoy.stop()


def client_errors(e, secret):
    errors = [f"/avatar/{secret}?size=big", f"/avatar/{secret}?bg=nope", "/avatar/%zz"]
    for path in errors:
        assert request(e, path).status == 400
    assert request(e, f"/avatar/{secret}", method="POST").status == 405
    for path in [f"/avatar/{secret}", "/avatar/", "/"]:
        assert request(e, path).status == 200


def test_client_errors_are_not_logged_at_the_default_level(envoy_kind):
    """Anyone can send 4xx by the thousand: at info they would flood the log."""
    e = Envoy(binary=ENVOY_RANGE.get(envoy_kind), concurrency=1)
    try:
        client_errors(e, "Zebediah%20Quartermaine")
    finally:
        e.stop()
    assert "[ctx " not in e.log_text()


def test_one_debug_line_per_error_with_context_id_and_no_name(envoy_kind):
    secret = "Zebediah%20Quartermaine"
    # One worker: context ids count per VM, so only within one are they unique.
    e = Envoy(binary=ENVOY_RANGE.get(envoy_kind), concurrency=1,
              args=["--component-log-level", "wasm:debug"])
    try:
        client_errors(e, secret)
    finally:
        e.stop()  # flushes the log
    log = e.log_text()
    lines = [l for l in log.splitlines() if "[ctx " in l]
    assert len(lines) == 4, "\n".join(lines)
    ids = [re.search(r"\[ctx (\d+)\]", l).group(1) for l in lines]
    assert len(set(ids)) == 4, ids
    assert sum("400 bad_request: parameter 'size'" in l for l in lines) == 1
    assert sum("400 bad_request: parameter 'bg'" in l for l in lines) == 1
    assert sum("400 bad_request: invalid percent-encoding in the name" in l for l in lines) == 1
    assert sum("405 method_not_allowed" in l for l in lines) == 1
    for word in ["Zebediah", "Quartermaine", "zebediah"]:
        assert word not in log


def test_hits_are_counted_in_the_vm_and_exact_after_a_flush(envoy_kind):
    # One worker, so one VM counts them all; 300 hits of one avatar after its
    # render. The hits make no metric host call: the filter hands the sums
    # over on its 1 s tick, after which Envoy's counters are exact.
    envoy = Envoy(binary=ENVOY_RANGE.get(envoy_kind), concurrency=1)
    try:
        for _ in range(301):
            assert request(envoy, "/avatar/Ada%20Lovelace?size=40").status == 200
        settle(envoy, {
            ("monogram_requests", 'outcome="rendered"'): 301,
            ("monogram_renders", 'script="latin"'): 301,
            ("monogram_cache_hits", ""): 300,
            ("monogram_cache_misses", ""): 1,
        })
        count = ("monogram_render_time_us_count", "")
        wait_for(lambda: prometheus(envoy)[count] >= 1, "the render's sample")
        assert prometheus(envoy)[count] == 1, "hits are not timed"
    finally:
        envoy.stop()
