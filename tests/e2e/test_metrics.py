"""Metrics in Envoy's /stats/prometheus, and the filter's log lines."""
import re
import time

from conftest import request
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


def wait_for(condition, what, limit=60):
    """Polls until `condition()` is truthy. Envoy merges histograms on its stats
    flush, not on read, so a sample shows up some time after the request."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not seen within {limit} s: {what}")


def test_every_series_exists_before_any_event():
    e = Envoy()
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


def test_requests_are_counted_by_outcome_and_script():
    # An Envoy of its own: histogram samples of other tests' requests would
    # still be arriving in a shared one. One worker, so one VM and one cache.
    envoy = Envoy(concurrency=1)
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
        p = prometheus(envoy)
        want = {"rendered": 4, "placeholder": 1, "not_modified": 1, "bad_request": 1,
                "method_not_allowed": 1, "forbidden": 0, "error": 0}
        for o, n in want.items():
            assert p[("monogram_requests", f'outcome="{o}"')] == n, o
        scripts = {"latin": 2, "greek": 1, "cyrillic": 1}
        for s in SCRIPTS:
            assert p[("monogram_renders", f'script="{s}"')] == scripts.get(s, 0), s
        # The 304 and the errors never look in the cache.
        assert p[("monogram_cache_hits", "")] == 1
        assert p[("monogram_cache_misses", "")] == 4
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


def test_client_errors_are_not_logged_at_the_default_level():
    """Anyone can send 4xx by the thousand: at info they would flood the log."""
    e = Envoy(concurrency=1)
    try:
        client_errors(e, "Zebediah%20Quartermaine")
    finally:
        e.stop()
    assert "[ctx " not in e.log_text()


def test_one_debug_line_per_error_with_context_id_and_no_name():
    secret = "Zebediah%20Quartermaine"
    # One worker: context ids count per VM, so only within one are they unique.
    e = Envoy(concurrency=1, args=["--component-log-level", "wasm:debug"])
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
