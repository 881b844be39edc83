"""Hits stay hits, through the real Envoy with the default configuration
(2 workers, default cache and render budget): a popular avatar survives a
flood of renders, and a flood of respellings of one avatar evicts no image.

The hot set is warmed and asked for on one keep-alive connection, so it lives
in one worker's cache; the floods use their own connections, spread over
both workers. Every flood is bounded in count and in time and goes to
127.0.0.1 only."""
import http.client
import threading
import time
from urllib.parse import quote

from envoy_harness import Envoy
from measure import random_names
from test_guest import quoted
from test_metrics import prometheus, wait_for

HOT = 200
FLOOD_CONNECTIONS = 6
FLOOD_SECONDS = 10
# The hot connection's passes over the hot set, at most (the flood's time
# bounds it first on a slow machine).
HOT_PASSES = 40


class Conn:
    """One keep-alive connection: (status, body) per GET."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path):
        self.c.request("GET", path)
        r = self.c.getresponse()
        return r.status, r.read()

    def close(self):
        self.c.close()


def hot_paths():
    return quoted(random_names(HOT, seed=24), "?size=64")


def lookups(envoy, total):
    """(hits, misses) once the filter has handed Envoy all `total` cache
    lookups (one per 200): its counters are flushed on a 1 s tick."""
    def read():
        p = prometheus(envoy)
        pair = (p[("monogram_cache_hits", "")], p[("monogram_cache_misses", "")])
        return pair if sum(pair) >= total else None
    pair = wait_for(read, f"{total} cache lookups")
    assert sum(pair) == total, pair
    return pair


def warm(conn, paths):
    for p in paths:
        status, _ = conn.get(p)
        assert status == 200, p


def test_a_render_flood_does_not_evict_a_popular_avatar():
    envoy = Envoy()
    try:
        paths = hot_paths()
        hot = Conn(envoy.port)
        warm(hot, paths)
        stop = threading.Event()
        flood_counts = [0] * FLOOD_CONNECTIONS

        def flood(i):
            # Distinct 512 px renders of three Han characters, a distinct
            # `bg` each: every one a miss that spends the render budget.
            c = Conn(envoy.port)
            try:
                n = 0
                while not stop.is_set() and n < 50_000:
                    name = "".join(chr(0x4E00 + (i * 7919 + n * 3 + k) % 20000) for k in range(3))
                    c.get(f"/avatar/{quote(name)}?size=512&bg={(i * 50_000 + n) % 0xFFFFFF:06x}")
                    n += 1
                flood_counts[i] = n
            finally:
                c.close()

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(FLOOD_CONNECTIONS)]
        for t in threads:
            t.start()
        statuses = []
        deadline = time.monotonic() + FLOOD_SECONDS
        try:
            for _ in range(HOT_PASSES):
                for p in paths:
                    statuses.append(hot.get(p)[0])
                if time.monotonic() > deadline:
                    break
        finally:
            stop.set()
            for t in threads:
                t.join()
            hot.close()
        refused = statuses.count(503)
        share = refused / len(statuses)
        print(f"hot set under a render flood: {refused} of {len(statuses)} requests "
              f"refused ({share:.2%}); flood sent {sum(flood_counts)} renders")
        assert set(statuses) <= {200, 503}
        p = prometheus(envoy)
        assert p[("monogram_requests", 'outcome="refused"')] > 0 or sum(flood_counts) < 1000, \
            "the flood spent the budget (else it tested nothing)"
        assert share <= 0.005
    finally:
        envoy.stop()


def test_respellings_of_one_avatar_evict_no_image():
    envoy = Envoy()
    try:
        paths = hot_paths()
        conn = Conn(envoy.port)
        warm(conn, paths)
        # 2,200 spellings of about 1,700 bytes of one warm avatar (its long
        # name percent-encoded byte by byte, an unknown parameter of its
        # own): each a new alias, none a render, together more than the
        # whole cache.
        long_name = "Augusta Ada King " * 14
        paths[-1] = f"/avatar/{quote(long_name)}?size=64"
        warm(conn, paths[-1:])
        spelled = "".join(f"%{b:02X}" for b in long_name.encode())
        padding = "x" * 980
        for i in range(2_200):
            path = f"/avatar/{spelled}?size=64&utm_{i}={padding}"
            assert len(path) > 1_650
            status, _ = conn.get(path)
            assert status == 200
        warm_misses = lookups(envoy, HOT + 1 + 2_200)[1]
        for p in paths:
            status, _ = conn.get(p)
            assert status == 200
        hits, misses = lookups(envoy, 2 * HOT + 1 + 2_200)
        assert misses == warm_misses, f"{misses - warm_misses} warm avatars had to be rendered again"
        print(f"after 2,200 respellings: {HOT} of {HOT} warm avatars still hits "
              f"({hits} hits, {misses} renders in all)")
        conn.close()
    finally:
        envoy.stop()
