"""The two front doors through the real hosts (Envoy, and Nginx when it is
built): ui-avatars' URLs under `ui_avatars_prefix` (envoy.yaml and
deploy/nginx/nginx.conf put it on /api/), and the path form
/avatar/{size}/{name}.png that Gravatar's `d=` fallback can use, with the
Gravatar snippet of docs/COMPATIBILITY.md. Both must give the bytes and the ETag of the
/avatar/ URL they mean."""
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import HOSTS, native_render, readme_snippet, request, running
from envoy_harness import ROOT, Envoy, render_config

KEY = "doors-key-0123456789abcdef0123456789abcdef"
CHROME_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
UI_DEFAULTS = "size=64&bg=ddd&fg=222&shape=square&font-size=0.4375"

# (ui-avatars URL, the /avatar/ URL of the same image)
SAME_IMAGE = [
    ("/api/?name=Ada+Lovelace", f"/avatar/Ada%20Lovelace?{UI_DEFAULTS}"),
    # Laravel Filament's default avatar URL.
    ("/api/?name=J+D&color=FFFFFF&background=09090b",
     "/avatar/J%20D?size=64&bg=09090b&fg=FFFFFF&shape=square&font-size=0.4375"),
    ("/api/?name=Ada+Lovelace&background=random&rounded=true&size=128&font-size=0.5",
     "/avatar/Ada%20Lovelace?font-size=0.5"),
    ("/api/?name=%C3%A9lodie+n%C3%BA%C3%B1ez&uppercase=false&length=1&bold=true",
     "/avatar/%C3%A9lodie%20n%C3%BA%C3%B1ez?size=64&bg=ddd&fg=222&shape=square"
     "&font-size=0.4375&uppercase=false&length=1"),
    ("/api/", f"/avatar/John%20Doe?{UI_DEFAULTS}"),
    ("/api/Grace+Hopper/96/ffeb3b", "/avatar/96/Grace%20Hopper.png?bg=ffeb3b&fg=222&shape=square"
     "&font-size=0.4375"),
    ("/api/?name=%E7%8E%8B%E5%B0%8F%E6%98%8E&format=svg",
     f"/avatar/%E7%8E%8B%E5%B0%8F%E6%98%8E.svg?{UI_DEFAULTS}"),
]


@pytest.mark.parametrize("ui,avatar", SAME_IMAGE)
def test_ui_avatars_urls_give_the_bytes_and_etag_of_their_avatar_twin(host, ui, avatar):
    a, b = request(host, ui), request(host, avatar)
    assert (a.status, b.status) == (200, 200), (a.body, b.body)
    assert a.body == b.body
    assert a.header("etag") == b.header("etag")
    assert a.header("content-type") == b.header("content-type")
    assert a.body == native_render(avatar)


def test_ui_avatars_answers_keep_every_header_and_vary_on_accept(host):
    png = request(host, "/api/?name=Ada+Lovelace&size=80")
    assert png.status == 200
    assert png.header("content-type") == "image/png"
    assert png.image().size == (80, 80)
    assert png.header("cache-control") == "public, max-age=31536000, immutable"
    assert re.fullmatch(r'"[0-9a-f]{32}"', png.header("etag"))
    assert png.header("access-control-allow-origin") == "*"
    assert png.header("x-content-type-options") == "nosniff"
    assert png.header("vary") == "Accept"
    not_modified = request(host, "/api/?name=Ada+Lovelace&size=80",
                           headers={"If-None-Match": png.header("etag")})
    assert not_modified.status == 304 and not_modified.body == b""
    assert not_modified.header("etag") == png.header("etag")
    assert not_modified.header("vary") == "Accept"
    assert not_modified.header("cache-control") == png.header("cache-control")
    head = request(host, "/api/?name=Ada+Lovelace&size=80", method="HEAD")
    assert (head.status, head.body) == (200, b"")
    assert head.header("content-length") == str(len(png.body))
    # monogram's own door does not vary.
    assert request(host, "/avatar/Ada%20Lovelace").header("vary") is None


def test_accept_chooses_svg_when_format_is_absent(host):
    path = "/api/?name=Grace+Hopper"
    plain = request(host, path)
    svg = request(host, path, headers={"Accept": CHROME_ACCEPT})
    assert plain.header("content-type") == "image/png"
    assert svg.header("content-type") == "image/svg+xml"
    assert ET.fromstring(svg.body).get("width") == "64"
    assert svg.header("etag") != plain.header("etag")
    assert svg.body == request(host, f"/avatar/Grace%20Hopper.svg?{UI_DEFAULTS}").body
    # Each answer again, over fresh connections (other workers, warm caches).
    for _ in range(3):
        assert request(host, path).body == plain.body
        assert request(host, path, headers={"Accept": CHROME_ACCEPT}).body == svg.body
    forced = request(host, path + "&format=png", headers={"Accept": CHROME_ACCEPT})
    assert forced.header("content-type") == "image/png" and forced.body == plain.body
    assert request(host, path + "&format=svg").body == svg.body


@pytest.mark.parametrize("query,size", [("size=abc", 16), ("size=64px", 64), ("size=9999", 512),
                                        ("size=-3", 16), ("size=", 64), ("size=1e2", 128),
                                        ("size=97", 128)])
def test_bad_values_are_read_leniently_as_ui_avatars_reads_them(host, query, size):
    r = request(host, f"/api/?name=Ada&{query}")
    assert r.status == 200, r.body
    assert r.image().size == (size, size)


def test_unreadable_values_fall_back_to_the_defaults(host):
    base = request(host, "/api/?name=Ada")
    for junk in ["color=red", "background=blue", "length=x", "format=gif", "font-size=",
                 "rounded=", "uppercase=", "utm_source=mail"]:
        r = request(host, f"/api/?name=Ada&{junk}")
        assert (r.status, r.body) == (200, base.body), junk
    # Still a 400: what bounds the work or breaks the text.
    for path, message in [
        ("/api/?name=%zz", "invalid percent-encoding in the query: '%' must be followed by two hex digits"),
        ("/api/?name=a%00b", "the query contains a control character"),
        # Unlike PHP's last-wins: a CDN that sorts the query would change it.
        ("/api/?name=Ada&length=x&length=2", "parameter 'length' is given more than once"),
        ("/api/?name=" + "a" * 257, "the name is longer than 256 bytes"),
    ]:
        r = request(host, path)
        assert r.status == 400, path
        assert r.body == (message + "\n").encode()
        assert r.header("cache-control") == "no-store"


def gravatar_url(*args, **kwargs):
    namespace = {}
    exec(readme_snippet("gravatar-python"), namespace)  # noqa: S102 - our own docs
    return namespace["gravatar_url"](*args, **kwargs)


def fallback_path(url):
    """The path Gravatar sends a browser to: its `d=`, decoded once, which
    must have no query and end in an image extension."""
    parts = urlsplit(url)
    assert parts.netloc == "www.gravatar.com" and parts.path.startswith("/avatar/")
    query = parse_qs(parts.query)
    d = urlsplit(query["d"][0])
    assert d.query == "" and d.fragment == "", d
    assert d.path.endswith(".png")
    return query, d


@pytest.mark.parametrize("name,size", [("Ada Lovelace", 64), ("jane.doe@example.com", 192),
                                       ("Élodie Núñez", 32), ("a/b & c=d?e#f+g%h", 48),
                                       ("王小明", 96), ("x.png", 40)])
def test_gravatar_fallback_path_form_gives_the_bytes_of_the_query_form(host, name, size):
    query, d = fallback_path(gravatar_url("ada@example.com", name, size, base=host.base))
    assert query["s"] == [str(size)]
    assert f"{d.scheme}://{d.netloc}" == host.base
    via_path = request(host, d.path)
    assert via_path.status == 200, via_path.body
    assert via_path.image().size == (size, size)
    via_query = request(host, d.path.replace(f"/avatar/{size}/", "/avatar/", 1) + f"?size={size}")
    assert via_path.body == via_query.body
    assert via_path.header("etag") == via_query.header("etag")


def test_path_form_errors(host):
    for path in ["/avatar/a/b.png", "/avatar/64/x/y/z.png"]:
        r = request(host, path)
        assert r.status == 400
        assert r.body == (b"the avatar path is {name}, {size}/{name} or {size}/{sig}/{name}; "
                          b"encode '/' in a name as %2F\n")
    r = request(host, "/avatar/64/Ada.png?size=32")
    assert (r.status, r.body) == (400, b"parameter 'size' is given more than once\n")


@pytest.fixture(scope="module", params=HOSTS)
def signed(request):
    extra = json.dumps({"ui_avatars_prefix": "/api/", "signing_keys": [KEY]})
    with running(request.param, extra) as h:
        yield h


def test_signed_fallbacks_carry_the_signature_in_the_path(signed):
    url = gravatar_url("ada@example.com", "Ada Lovelace", 64, base=signed.base, key=KEY)
    _, d = fallback_path(url)
    assert re.fullmatch(r"/avatar/64/[A-Za-z0-9_-]{22}/Ada%20Lovelace\.png", d.path), d.path
    ok = request(signed, d.path)
    assert ok.status == 200, ok.body
    # The same signature signs the query form: one signature per meaning.
    sig = d.path.split("/")[3]
    query = request(signed, f"/avatar/Ada%20Lovelace?size=64&sig={sig}")
    assert (query.status, query.body, query.header("etag")) == (200, ok.body, ok.header("etag"))
    unsigned = request(signed, "/avatar/64/Ada%20Lovelace.png")
    assert unsigned.status == 403
    assert unsigned.body == b"this server renders only signed avatar URLs: parameter 'sig' is missing\n"
    for forged in [d.path.replace("/64/", "/65/"), d.path.replace("Ada", "Bob")]:
        r = request(signed, forged)
        assert (r.status, r.body) == (403, b"the signature 'sig' does not match this URL\n"), forged
    assert request(signed, d.path, headers={"If-None-Match": "*"}).status == 304


def test_signed_ui_avatars_urls(signed):
    namespace = {}
    exec(readme_snippet("sign-ui-avatars-python"), namespace)  # noqa: S102 - our own docs
    ui_avatars_url = namespace["ui_avatars_url"]
    url = ui_avatars_url(KEY, "Ada Lovelace", background="random", size="96")
    r = request(signed, url)
    assert r.status == 200, r.body
    assert r.body == native_render("/avatar/Ada%20Lovelace?size=96&shape=square&font-size=0.4375")
    assert request(signed, url.replace("size=96", "size=97")).status == 403
    assert request(signed, "/api/?name=Ada+Lovelace").status == 403
    # Parameters the URL does not sign are refused, not ignored.
    assert request(signed, url + "&rounded=true").status == 403


def test_the_door_is_refused_where_it_would_overlap_path_prefix():
    extra = json.dumps({"ui_avatars_prefix": "/avatar/ui/"})
    with pytest.raises(RuntimeError) as refused:
        Envoy(config_text=lambda port, admin: render_config(port, admin, extra_json=extra))
    log = str(refused.value)
    assert "monogram configuration key 'ui_avatars_prefix' must not overlap path_prefix" in log


def test_the_door_is_off_without_its_prefix():
    extra = json.dumps({"path_prefix": "/avatar/"})
    e = Envoy(config_text=lambda port, admin: render_config(port, admin, extra_json=extra))
    try:
        r = request(e, "/api/?name=Ada")
        assert r.status == 404 and r.header("etag") is None
        assert request(e, "/avatar/64/Ada.png").status == 200
    finally:
        e.stop()
