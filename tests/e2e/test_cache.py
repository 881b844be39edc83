"""The per-VM response cache through the real Envoy: keyed by the exact path,
a hit answers exactly what the render did, 200 or 304, and a config with
`cache_bytes: 0` never hits."""
from conftest import request
from envoy_harness import Envoy, render_config
from test_metrics import prometheus

PATH = "/avatar/Ada%20Lovelace?size=40"
SAME_AVATAR = "/avatar/ada++lovelace?size=40"
# What every 200 and its 304 share (RFC 9110 §15.4.5).
SHARED = ["etag", "cache-control", "access-control-allow-origin", "x-content-type-options"]


def counts(envoy):
    p = prometheus(envoy)
    return (p[("monogram_cache_hits", "")], p[("monogram_cache_misses", "")],
            p[("monogram_requests", 'outcome="not_modified"')])


def test_a_repeated_path_is_served_from_the_cache_exactly_as_rendered():
    # One worker: one VM, one cache.
    envoy = Envoy(concurrency=1)
    try:
        first = request(envoy, PATH)
        assert first.status == 200 and counts(envoy) == (0, 1, 0)
        again = request(envoy, PATH)
        assert (again.status, again.body) == (200, first.body)
        assert {h: again.header(h) for h in SHARED + ["content-type", "content-length"]} == \
            {h: first.header(h) for h in SHARED + ["content-type", "content-length"]}
        assert counts(envoy) == (1, 1, 0)

        head = request(envoy, PATH, method="HEAD")
        assert (head.status, head.body, head.header("etag")) == (200, b"", first.header("etag"))
        assert counts(envoy) == (2, 1, 0)

        # A 304 for a cached path carries the 200's validators, and serves no body.
        etag = first.header("etag")
        not_modified = request(envoy, PATH, headers={"If-None-Match": etag})
        assert (not_modified.status, not_modified.body) == (304, b"")
        assert {h: not_modified.header(h) for h in SHARED} == {h: first.header(h) for h in SHARED}
        assert counts(envoy) == (2, 1, 1)
        # A stale ETag on a cached path still gets the image.
        assert request(envoy, PATH, headers={"If-None-Match": '"0000000000000000"'}).body == first.body

        # Another spelling of the same avatar: found by its ETag, not rendered again.
        other = request(envoy, SAME_AVATAR)
        assert (other.header("etag"), other.body) == (etag, first.body)
        assert counts(envoy)[1] == 1

        # The method is checked before the cache.
        assert request(envoy, PATH, method="POST").status == 405
    finally:
        envoy.stop()


def test_without_a_cache_every_request_renders():
    config = lambda port, admin: render_config(
        port, admin, extra_json='{"path_prefix": "/avatar/", "cache_bytes": 0}')
    envoy = Envoy(config_text=config, concurrency=1)
    try:
        bodies = {request(envoy, PATH).body for _ in range(3)}
        assert len(bodies) == 1
        p = prometheus(envoy)
        assert p[("monogram_cache_hits", "")] == 0 and p[("monogram_cache_misses", "")] == 0
        assert p[("monogram_requests", 'outcome="rendered"')] == 3
    finally:
        envoy.stop()
