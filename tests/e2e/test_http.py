"""The URL API and HTTP behaviour, through the real hosts (Envoy, and Nginx
when its build is present), and through every older Envoy of the tested
range (conftest.ENVOY_RANGE)."""
import pytest

from conftest import assert_framed, is_nginx_own, request, native_render


@pytest.fixture
def host(range_host):
    return range_host

AVATAR_HEADERS = {
    "content-type": "image/png",
    "cache-control": "public, max-age=31536000, immutable",
    "access-control-allow-origin": "*",
    "x-content-type-options": "nosniff",
}


def test_png_of_the_requested_size_with_every_header(host):
    r = request(host, "/avatar/Ada%20Lovelace?size=64")
    assert r.status == 200
    for k, v in AVATAR_HEADERS.items():
        assert r.header(k) == v, k
    etag = r.header("etag")
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert_framed(host, r)
    img = r.image()
    assert img.format == "PNG" and img.size == (64, 64)
    assert img.mode == "P"  # indexed


@pytest.mark.parametrize("path", ["/avatar/Ada%20Lovelace", "/avatar/Ada+Lovelace.png",
                                  "/avatar/jane.doe@example.com?size=200&shape=rounded",
                                  "/avatar/Mary%20Ann%20Smith?length=3&bg=%23ffeb3b",
                                  "/avatar/", "/avatar/%E7%8E%8B%E5%B0%8F%E6%98%8E"])
def test_same_bytes_as_the_native_renderer(host, path):
    r = request(host, path)
    assert r.status == 200
    assert r.body == native_render(path)


def test_default_size_and_png_suffix(host):
    a = request(host, "/avatar/Ada")
    b = request(host, "/avatar/Ada.png")
    assert a.image().size == (128, 128)
    assert a.body == b.body


@pytest.mark.parametrize("size,want", [("1", 16), ("-7", 16), ("16", 16), ("512", 512),
                                       ("513", 512), ("100000000000000000000", 512)])
def test_size_is_clamped(host, size, want):
    r = request(host, f"/avatar/Ada?size={size}")
    assert r.status == 200
    assert r.image().size == (want, want)


def test_seed_makes_name_and_initials_interchangeable(host):
    a = request(host, "/avatar/Di%20Wu?seed=42")
    b = request(host, "/avatar/x?initials=DW&seed=42")
    assert a.status == b.status == 200
    assert a.body == b.body
    assert a.header("etag") == b.header("etag")


def test_normalised_name_gives_the_same_image(host):
    assert request(host, "/avatar/Di%20Wu").body == request(host, "/avatar/%20di++wu%20").body


def test_unknown_parameters_change_nothing(host):
    a = request(host, "/avatar/Ada")
    b = request(host, "/avatar/Ada?utm_source=mail&x=%FF%FE")
    assert a.body == b.body and a.header("etag") == b.header("etag")


def test_deterministic_across_requests_and_workers(host):
    first = request(host, "/avatar/Grace%20Hopper?size=96")
    for _ in range(20):
        again = request(host, "/avatar/Grace%20Hopper?size=96")
        assert again.body == first.body
        assert again.header("etag") == first.header("etag")


@pytest.mark.parametrize("inm", ["{etag}", "W/{etag}", '"nope", {etag}', "*"])
def test_if_none_match_answers_304_without_body(host, inm):
    etag = request(host, "/avatar/Ada").header("etag")
    r = request(host, "/avatar/Ada", headers={"If-None-Match": inm.format(etag=etag)})
    assert r.status == 304
    assert r.body == b""
    assert r.header("etag") == etag
    assert r.header("cache-control") == AVATAR_HEADERS["cache-control"]


def test_if_none_match_other_tag_renders(host):
    r = request(host, "/avatar/Ada", headers={"If-None-Match": '"0000000000000000"'})
    assert r.status == 200 and r.body


def test_head_has_the_headers_and_no_body(host):
    g = request(host, "/avatar/Ada?size=80")
    h = request(host, "/avatar/Ada?size=80", method="HEAD")
    assert h.status == 200
    assert h.body == b""
    assert int(h.header("content-length")) == len(g.body)
    for k in ["content-type", "etag", "cache-control",
              "access-control-allow-origin", "x-content-type-options"]:
        assert h.header(k) == g.header(k), k


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(host, method):
    r = request(host, "/avatar/Ada", method=method)
    assert r.status == 405
    assert r.header("allow") == "GET, HEAD"
    assert r.body == b"method not allowed: use GET or HEAD\n"


BAD = [
    ("/avatar/%zz", "invalid percent-encoding in the name: '%' must be followed by two hex digits"),
    ("/avatar/%C3%28", "the name is not valid UTF-8"),
    ("/avatar/a%00b", "the name contains a control character"),
    ("/avatar/" + "a" * 257, "the name is longer than 256 bytes"),
    ("/avatar/a/b", "the avatar path is {name}, {size}/{name} or {size}/{sig}/{name}; encode '/' in a name as %2F"),
    ("/avatar/Ada?size=big", "parameter 'size' must be an integer number of pixels"),
    ("/avatar/Ada?size=12.5", "parameter 'size' must be an integer number of pixels"),
    ("/avatar/Ada?bg=red", "parameter 'bg' must be a hex colour RRGGBB or RGB"),
    ("/avatar/Ada?fg=%23ff00", "parameter 'fg' must be a hex colour RRGGBB or RGB"),
    ("/avatar/Ada?shape=star", "parameter 'shape' must be circle, rounded or square"),
    ("/avatar/Ada?length=4", "parameter 'length' must be 1, 2 or 3"),
    ("/avatar/Ada?initials=ABCD", "parameter 'initials' must be 1 to 3 characters"),
    ("/avatar/Ada?size=1&size=2", "parameter 'size' is given more than once"),
    ("/avatar/Ada?size=%G1", "invalid percent-encoding in the query: '%' must be followed by two hex digits"),
]


# Nginx rejects these itself, with its HTML 400, before the filter runs.
NGINX_OWN_400 = {"/avatar/%zz", "/avatar/a%00b"}


@pytest.mark.parametrize("path,message", BAD)
def test_bad_input_is_400_with_the_reason(host, path, message):
    r = request(host, path)
    if host.name == "nginx" and path in NGINX_OWN_400:
        assert is_nginx_own(r), r.body
        return
    assert r.status == 400
    assert r.header("content-type") == "text/plain; charset=utf-8"
    assert r.header("cache-control") == "no-store"
    assert r.body.decode() == message + "\n"


def test_name_at_the_limit_is_fine(host):
    assert request(host, "/avatar/" + "a" * 256).status == 200


def test_unusable_names_get_the_placeholder(host):
    empty = request(host, "/avatar/")
    assert empty.status == 200
    for path in ["/avatar/%21%21", "/avatar/123", "/avatar/%F0%9F%98%80"]:
        r = request(host, path)
        assert r.status == 200
        assert r.body == empty.body, path


def test_other_paths_reach_their_route(envoy):
    page = request(envoy, "/")
    assert page.status == 200
    assert page.header("content-type") == "text/html; charset=utf-8"
    assert b"/avatar/" in page.body
    missing = request(envoy, "/avatars/Ada")
    assert missing.status == 404 and missing.body == b"not found\n"
    # The filter does not see other routes at all: any method passes.
    assert request(envoy, "/", method="POST").status == 200


def test_no_vm_failures(envoy):
    request(envoy, "/avatar/Ada")
    stats = envoy.stats("wasm.")
    failures = {k: v for k, v in stats.items()
                if ("fail" in k or "crash" in k) and v not in ("0",)}
    assert not failures, failures
    assert "panicked" not in envoy.log_text()


def test_sizes_snap_up_to_a_bucket(envoy):
    a = request(envoy, "/avatar/Ada?size=200")
    b = request(envoy, "/avatar/Ada?size=256")
    assert a.image().size == (256, 256)
    assert (a.body, a.header("etag")) == (b.body, b.header("etag"))
