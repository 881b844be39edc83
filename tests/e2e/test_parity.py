"""One filter, two hosts: the same request to Envoy and to Nginx gets the same
status, the same bytes and the same ETag, for names that are easy to get
wrong (reserved characters, an encoded `%`, `/`, `+` or `.`, dot-segments)
and for a name in every script. Also what Nginx answers itself, before the
filter runs, where Envoy lets the filter answer."""
import urllib.parse

import pytest

from conftest import is_nginx_own, request
from test_scripts import script_names

# Names as a client means them; each is sent fully percent-encoded.
TRICKY_NAMES = [
    "100%", "AC/DC Band", "C++", "what?", "a#b", "%41", "%2541", "Ada+Lovelace", "a/../b",
    "./Ada", "a/..", ".", "...", "Ada.svg", "Ada.png", "a&b=c", "x;y", "50% off",
    "\"quoted\"", "back\\slash", "tab\there", "\u202eAda", "Élodie", "E\u0301lodie", "王小明",
]

# Request targets as sent, spelled the ways people and libraries spell them.
TRICKY_TARGETS = [
    "/avatar/100%25", "/avatar/AC%2FDC%20Band", "/avatar/C%2B%2B", "/avatar/what%3F",
    "/avatar/a%23b", "/avatar/%2541", "/avatar/Ada%2BLovelace", "/avatar/Ada+Lovelace",
    "/avatar/a%2F..%2Fb", "/avatar/Ada%2Esvg", "/avatar/Ada%2Epng", "/avatar/Ada.svg",
    "/avatar/Ada%2esvg?size=64", "/avatar/./Ada", "/avatar/a/../Ada", "/avatar/../avatar/Ada",
    "/avatar/.", "/avatar/%2E", "/avatar//Ada", "/avatar/Ada%2F", "/avatar/%2F",
    "/avatar/Ada%252F", "/avatar/Ada%3Fsize%3D512", "/avatar/Ada?size=64&bg=%23ffeb3b",
    "/avatar/x?initials=%2B%2F", "/avatar/Ada?x=%zz", "/avatar/Ada?size=%2B64",
    "/avatar/a%5Cb", "/avatar/%C3%A9lodie", "/avatar/e%CC%81lodie", "/avatar/Ada%20",
    "/avatar/Ada;v=1", "/avatar/Ada?size=1&size=2", "/avatar/%FF", "/avatar/a%0Ab",
    "/avatar/" + "a" * 257,
]


def targets():
    out = [pytest.param("/avatar/" + urllib.parse.quote(n, safe=""), id=f"name:{n}")
           for n in TRICKY_NAMES]
    out += [pytest.param(t, id=t[:60]) for t in TRICKY_TARGETS]
    out += [pytest.param("/avatar/" + urllib.parse.quote(p.values[1], safe="") + p.values[2],
                         id=f"script:{p.values[0]}") for p in script_names()]
    return out


def answer(host, target, method="GET"):
    r = request(host, target, method=method)
    return r.status, r.header("content-type"), r.header("etag"), r.header("cache-control"), r.body


@pytest.mark.parametrize("target", targets())
def test_envoy_and_nginx_answer_alike(envoy, nginx_host, target):
    e = answer(envoy, target)
    n = answer(nginx_host, target)
    assert e[0] == n[0], (e[0], n[0], e[4][:200], n[4][:200])
    assert e[1:4] == n[1:4]
    assert e[4] == n[4], "the same bytes"


def test_head_and_304_alike(envoy, nginx_host):
    target = "/avatar/AC%2FDC%20Band?size=48"
    assert answer(envoy, target, "HEAD")[:4] == answer(nginx_host, target, "HEAD")[:4]
    for host in (envoy, nginx_host):
        etag = request(host, target).header("etag")
        r = request(host, target, headers={"If-None-Match": etag})
        assert (r.status, r.body) == (304, b"")


# Nginx parses and normalises the path (decoding %XX, resolving dot-segments)
# to pick a location, before the filter runs. These never reach the filter.
NGINX_OWN_400 = ["/avatar/%zz", "/avatar/%", "/avatar/Ada%", "/avatar/a%00b", "/avatar/%00",
                 "/avatar/..%2F..%2Fetc%2Fpasswd"]
# Dot-segments that leave /avatar/ after decoding: Nginx serves the location
# they lead to (here `location /`, the demo page or a 404), not the filter. So
# on Nginx a name that is `..` or starts with `../` cannot be asked for.
NGINX_ROUTES_ELSEWHERE = ["/avatar/..", "/avatar/%2E%2E", "/avatar/.%2E/Ada",
                          "/avatar/a%2F..%2F..%2FAda", "/avatar/..%2FAda"]


@pytest.mark.parametrize("target", NGINX_OWN_400)
def test_what_nginx_rejects_itself(envoy, nginx_host, target):
    assert is_nginx_own(request(nginx_host, target))
    # Envoy hands the same target to the filter, which answers it.
    e = request(envoy, target)
    assert e.header("cache-control") in ("no-store", "public, max-age=31536000, immutable")


@pytest.mark.parametrize("target", NGINX_ROUTES_ELSEWHERE)
def test_what_nginx_routes_elsewhere(envoy, nginx_host, target):
    n = request(nginx_host, target)
    assert n.header("cache-control") is None, "not the filter's answer"
    assert n.header("content-type") == "text/html"
    e = request(envoy, target)
    assert e.header("cache-control") in ("no-store", "public, max-age=31536000, immutable")
