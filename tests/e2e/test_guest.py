"""A good guest in someone else's gateway, through the real Envoy: the render
budget refuses misses (not hits, not 304s) once spent, a cold page still
renders fully under the default budget, every spelling of an avatar is
rendered once, and the cache's memory is what its budget says. Every check
counts answers or reads metrics and RSS; none depends on timing."""
import http.client
import json
import threading
import urllib.parse

from conftest import request
from envoy_harness import Envoy, render_config
from measure import random_names, status_kb
from test_metrics import settle


def envoy_with(extra, concurrency=2):
    text = json.dumps(extra)
    return Envoy(config_text=lambda port, admin: render_config(port, admin, extra_json=text),
                 concurrency=concurrency)


def fetch_all(envoy, paths, connections=8):
    """Every path once over `connections` keep-alive connections at once:
    [(path, status, headers, body)]."""
    answers, lock = [], threading.Lock()
    it = iter(paths)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", envoy.port, timeout=60)
        try:
            while True:
                with lock:
                    path = next(it, None)
                if path is None:
                    return
                conn.request("GET", path)
                r = conn.getresponse()
                body = r.read()
                with lock:
                    answers.append((path, r.status, {k.lower(): v for k, v in r.getheaders()}, body))
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def quoted(names, query=""):
    return [f"/avatar/{urllib.parse.quote(n, safe='')}{query}" for n in names]


def test_a_cold_page_renders_fully_under_the_default_budget(envoy):
    placeholder = request(envoy, "/avatar/").body
    paths = quoted(random_names(200, seed=11))
    answers = fetch_all(envoy, paths)
    assert len(answers) == 200
    for path, status, headers, body in answers:
        assert status == 200, (path, status, body[:80])
        assert headers["content-type"] == "image/png"
        assert body != placeholder, path


def test_over_budget_misses_are_refused_and_hits_and_304s_are_not():
    # A budget so small that the first render spends it for seconds.
    e = envoy_with({"render_budget_ms_per_s": 1, "render_burst_ms": 1}, concurrency=1)
    try:
        hot = request(e, "/avatar/Ada%20Lovelace")
        assert hot.status == 200
        etag = hot.header("etag")
        answers = fetch_all(e, quoted(random_names(300, seed=5), "?size=512"), connections=4)
        refused = [a for a in answers if a[1] == 503]
        assert refused, "a flood of distinct names is refused once the budget is spent"
        assert all(a[1] in (200, 503) for a in answers)
        for _, _, headers, body in refused:
            assert headers["cache-control"] == "no-store"
            assert int(headers["retry-after"]) >= 1
            assert body.startswith(b"too many new avatars at once")
        # Still answered while refusing: the hot avatar, a respelling of it, a 304.
        assert request(e, "/avatar/Ada%20Lovelace").body == hot.body
        assert request(e, "/avatar/Ada+Lovelace?utm=x").body == hot.body
        assert request(e, "/avatar/ada%20lovelace", headers={"If-None-Match": etag}).status == 304
        # Counters reach Envoy on the filter's tick: settle polls until they do.
        settle(e, {("monogram_requests", 'outcome="refused"'): len(refused)})
    finally:
        e.stop()


def test_every_spelling_is_rendered_once():
    e = envoy_with({}, concurrency=1)
    try:
        first = request(e, "/avatar/Ada?size=512")
        spellings = [f"/avatar/Ada?size=512&z={i}" for i in range(100)] + [
            "/avatar/Ada.png?size=512", "/avatar/%41da?size=%35%31%32", "/avatar/Ada?size=400"]
        for path in spellings:
            r = request(e, path)
            assert (r.status, r.header("etag"), r.body) == (200, first.header("etag"), first.body)
        settle(e, {("monogram_requests", 'outcome="rendered"'): 1 + len(spellings),
                   ("monogram_cache_misses", ""): 1})
    finally:
        e.stop()


def rss_kb(e):
    return int(status_kb(e.proc.pid)["VmRSS"].split()[0])


def test_cache_memory_stays_within_its_budget_at_the_largest_size():
    budget = 4 << 20
    e = envoy_with({"max_size": 2048, "cache_bytes": budget, "sizes": "any",
                    "render_budget_ms_per_s": 0}, concurrency=1)
    try:
        # One render of each size first: the renderer's own peak is not the cache's.
        for size in (2048, 1024):
            assert request(e, f"/avatar/x?initials=W&size={size}").status == 200
        before = rss_kb(e)
        # Distinct images (colours differ), each 12-40 KB: several budgets' worth.
        paths = [f"/avatar/x?initials=WM&size={1024 + (i % 2) * 1024}&bg={i:06x}"
                 for i in range(0, 600)]
        answers = fetch_all(e, paths, connections=2)
        assert all(a[1] == 200 for a in answers)
        body_bytes = sum(len(a[3]) for a in answers)
        assert body_bytes > 2 * budget, "the load is larger than the budget"
        grown = (rss_kb(e) - before) * 1024
        print(f"RSS grew {grown / 2**20:.1f} MiB for {body_bytes / 2**20:.1f} MiB of bodies, "
              f"cache budget {budget / 2**20:.0f} MiB")
        # The budget plus a stated overhead: allocator slack and fragmentation.
        assert grown <= budget + (8 << 20)
    finally:
        e.stop()
