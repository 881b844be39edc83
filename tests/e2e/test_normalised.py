"""One answer per URL under RFC 3986 normalisation: the same request to an
Envoy that normalises paths (`normalize_path: true`, as a normalising proxy or
CDN in front would) and to one that does not gets the same status and the
same bytes. And a repeated ui-avatars parameter is refused in any order, so a
CDN that sorts query strings cannot change an answer."""
import pytest

from conftest import request
from envoy_harness import Envoy, render_config

# Names whose own `.svg` or `.png`, digits or dots a normalisation could
# turn into the format, the path form or another path.
TRICKY = [
    "/avatar/Ada.svg", "/avatar/Ada%2Esvg", "/avatar/Ada%2esvg?size=64", "/avatar/Ada%2Epng",
    "/avatar/Ada.svg.png", "/avatar/Ada%2Esvg%2Epng", "/avatar/Ada.png.svg",
    "/avatar/%41da", "/avatar/%7Ejo%2Dann%5F", "/avatar/%3128/Ada", "/avatar/%31%32%38/Ada.svg",
    "/avatar/./Ada", "/avatar/x/../Ada", "/avatar/Ada/.", "/avatar/a%2Fb", "/avatar/a%2F..%2Fb",
    "/avatar/%2541", "/avatar/C%2B%2B", "/avatar/%C3%A9lodie", "/avatar/%c3%a9lodie",
    "/avatar/logo.svg.png?size=48", "/avatar/64/Ada%2Esvg",
]


def normalising(port, admin):
    text = render_config(port, admin)
    assert "codec_type: AUTO" in text
    return text.replace("codec_type: AUTO", "normalize_path: true\n          codec_type: AUTO", 1)


@pytest.fixture(scope="module")
def pair(envoy):
    n = Envoy(config_text=normalising)
    try:
        yield envoy, n
    finally:
        n.stop()


@pytest.mark.parametrize("target", TRICKY)
def test_a_normalising_proxy_changes_no_answer(pair, target):
    plain, normal = pair
    a, b = request(plain, target), request(normal, target)
    assert (a.status, a.header("content-type"), a.header("etag")) == \
        (b.status, b.header("content-type"), b.header("etag"))
    assert a.body == b.body
    # `/avatar/Ada/.` is `/avatar/Ada/`: an empty segment after the name.
    assert a.status == (400 if target.endswith("/.") else 200), a.body[:200]


def test_a_name_s_own_extension_is_written_before_the_format(envoy):
    svg = request(envoy, "/avatar/Ada%2Esvg")
    assert svg.header("content-type") == "image/svg+xml"
    assert svg.body == request(envoy, "/avatar/Ada.svg").body
    png = request(envoy, "/avatar/Ada.svg.png")
    assert png.header("content-type") == "image/png"
    assert png.header("etag") != request(envoy, "/avatar/Ada.png").header("etag"), \
        "the name 'Ada.svg' is not the name 'Ada'"


def test_a_repeated_ui_avatars_parameter_is_refused_in_any_order(envoy):
    for query in ["name=Ada&name=Bob", "name=Bob&name=Ada", "size=64&name=Ada&size=32"]:
        r = request(envoy, f"/api/?{query}")
        assert r.status == 400, query
        assert r.header("cache-control") == "no-store"
        assert r.body.startswith(b"parameter '"), r.body
