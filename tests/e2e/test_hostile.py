"""Malformed and hostile requests through the real hosts, over raw HTTP/1
sockets (Envoy and Nginx) and HTTP/2 (h2c, Envoy). Each gets its documented
answer: the filter's 4xx with its one-line message, the image (placeholder
where documented), or the host's own rejection before the filter runs.
Afterwards the same host must still serve correct avatars on every worker,
with no VM failure or reload in Envoy's stats and no worker lost on Nginx."""
import io
import urllib.parse

import pytest
from PIL import Image

from conftest import HOSTS, is_nginx_own, native_render, running
from hostile import h2c, http1, request_line


@pytest.fixture(scope="module")
def envoy():
    with running("envoy") as e:
        e.baseline = e.stats("wasm.")
        yield e


@pytest.fixture(scope="module")
def nginx_host():
    with running("nginx") as n:
        n.baseline = n.worker_pids()
        yield n


@pytest.fixture(scope="module", params=HOSTS)
def host(request):
    return request.getfixturevalue("envoy" if request.param == "envoy" else "nginx_host")


# Expected answers. --------------------------------------------------------------
class Filter:
    """The filter's error: status, text/plain, no-store, exactly this message."""

    def __init__(self, status, message):
        self.status, self.message = status, message

    def check(self, r):
        assert r.status == self.status, r
        assert r.header("content-type") == "text/plain; charset=utf-8", r
        assert r.header("cache-control") == "no-store", r
        assert r.body == (self.message + "\n").encode(), r


class Img:
    """A PNG of this edge (the placeholder counts: it is a PNG too)."""

    def __init__(self, size=128, status=200):
        self.size, self.status = size, status

    def check(self, r):
        assert r.status == self.status, r
        if self.status == 200:
            assert r.header("content-type") == "image/png", r
            img = Image.open(io.BytesIO(r.body))
            assert img.format == "PNG" and img.size == (self.size, self.size), r
        else:
            assert r.body == b"" and r.header("etag"), r


class Envoy4xx:
    """Envoy's own rejection: the filter never saw the request."""

    def __init__(self, status):
        self.status = status

    def check(self, r):
        assert r.status == self.status, r
        assert r.header("cache-control") != "no-store", r  # not the filter's answer


class NginxOwn:
    """Nginx's own answer before the filter runs: its HTML error page, or
    with 200 another location's page (a dot-segment that leaves /avatar/
    once decoded)."""

    def __init__(self, status=400):
        self.status = status

    def check(self, r):
        if self.status == 200:
            assert r.status == 200 and r.header("cache-control") is None, r
        else:
            assert is_nginx_own(r, self.status), r


NOT_UTF8 = Filter(400, "the name is not valid UTF-8")
CONTROL = Filter(400, "the name contains a control character")
PERCENT = Filter(400, "invalid percent-encoding in the name: '%' must be followed by two hex digits")
TOO_LONG = Filter(400, "the name is longer than 256 bytes")
SEGMENT = Filter(400, "the avatar path is {name}, {size}/{name} or {size}/{sig}/{name}; encode '/' in a name as %2F")
LEAVES = Filter(400, "dot segments ('.' and '..') take the path out of the avatar prefix")
BAD_SIZE = Filter(400, "parameter 'size' must be an integer number of pixels")
BAD_LENGTH = Filter(400, "parameter 'length' must be 1, 2 or 3")
NOT_ALLOWED = Filter(405, "method not allowed: use GET or HEAD")


def dup(name):
    return Filter(400, f"parameter '{name}' is given more than once")


def params(n):
    return "&".join(f"k{i}=v" for i in range(n))


# (request target, expected) over HTTP/1.1 -------------------------------------------
TARGETS = [
    # invalid UTF-8 and overlong encodings
    ("/avatar/%FF", NOT_UTF8),
    ("/avatar/%C0%AF", NOT_UTF8),                   # overlong '/'
    ("/avatar/%E0%80%AF", NOT_UTF8),                # overlong '/', three bytes
    ("/avatar/%F0%80%80%AF", NOT_UTF8),             # overlong '/', four bytes
    ("/avatar/%ED%A0%80", NOT_UTF8),                # a UTF-16 surrogate
    ("/avatar/%F4%90%80%80", NOT_UTF8),             # past U+10FFFF
    ("/avatar/%E7%8E", NOT_UTF8),                   # truncated sequence
    ("/avatar/Ada?size=%FF", Filter(400, "the query is not valid UTF-8")),
    # %00 and control characters
    ("/avatar/%00", CONTROL),
    ("/avatar/a%0D%0ASet-Cookie:%20x=1", CONTROL),  # header injection attempt
    ("/avatar/%1B%5B31mred", CONTROL),              # terminal escape
    ("/avatar/%7F", CONTROL),
    ("/avatar/%C2%85", CONTROL),                    # NEL, a C1 control
    ("/avatar/Ada?initials=%00", Filter(400, "the query contains a control character")),
    # broken percent-encoding
    ("/avatar/%", PERCENT),
    ("/avatar/%G0", PERCENT),
    ("/avatar/%%32%35", PERCENT),
    ("/avatar/Ada?bg=%2", Filter(400, "invalid percent-encoding in the query: '%' must be followed by two hex digits")),
    # dot segments are removed as RFC 3986 normalisation removes them (so a
    # normalising proxy in front changes nothing); encoded slashes stay in
    # the one segment that is the name, whatever it says
    ("/avatar/..", LEAVES),
    ("/avatar/%2E%2E", LEAVES),
    ("/avatar/./..", LEAVES),
    ("/avatar/../avatar/Ada", Img()),
    ("/avatar/x/../Ada", Img()),
    ("/avatar/Ada/.", SEGMENT),
    ("/avatar/..%2F..%2Fetc%2Fpasswd", Img()),
    ("/avatar/a/b", SEGMENT),
    ("/avatar//Ada", SEGMENT),
    ("/avatar/a%2Fb", Img()),
    ("/avatar/a%5Cb", Img()),
    ("/avatar/a\\b", Img()),
    # duplicate and empty parameters
    ("/avatar/Ada?size=1&size=2", dup("size")),
    ("/avatar/Ada?size=&size=64", dup("size")),
    ("/avatar/Ada?sig=a&sig=b", dup("sig")),
    ("/avatar/Ada?shape=circle&shape=circle", dup("shape")),
    ("/avatar/Ada?size=", Img()),
    ("/avatar/Ada?&&&=&size", Img()),
    ("/avatar/Ada?=&=&=", Img()),
    ("/avatar/Ada?utm=%FF%zz&%zz=1", Img()),
    # gigantic and negative numbers
    ("/avatar/Ada?size=99999999999999999999999999999999", Img(512)),
    ("/avatar/Ada?size=512", Img(512)),
    ("/avatar/Ada?size=513", Img(512)),
    ("/avatar/Ada?size=16", Img(16)),
    ("/avatar/Ada?size=15", Img(16)),
    ("/avatar/Ada?size=-1", Img(16)),
    ("/avatar/Ada?size=-99999999999999999999", Img(16)),
    ("/avatar/Ada?size=%2D40", Img(16)),
    ("/avatar/Ada?size=0", Img(16)),
    ("/avatar/Ada?size=1e9", BAD_SIZE),
    ("/avatar/Ada?size=0x200", BAD_SIZE),
    ("/avatar/Ada?size=+64", BAD_SIZE),                    # '+' is a space
    ("/avatar/Ada?size=%EF%BC%96%EF%BC%94", BAD_SIZE),     # fullwidth digits
    ("/avatar/Ada?length=-1", BAD_LENGTH),
    ("/avatar/Ada?length=18446744073709551617", BAD_LENGTH),
    # lengths at and past the limits
    ("/avatar/" + "a" * 256, Img()),
    ("/avatar/" + "a" * 257, TOO_LONG),
    ("/avatar/" + "a" * 10240, TOO_LONG),
    ("/avatar/" + "%E7%8E%8B" * 1200, TOO_LONG),
    ("/avatar/Ada?z=" + "a" * 1022, Img()),
    ("/avatar/Ada?z=" + "a" * 1023, Filter(400, "the query is longer than 1024 bytes")),
    ("/avatar/Ada?" + params(16), Img()),
    ("/avatar/Ada?" + params(17), Filter(400, "the query has more than 16 parameters")),
]


# Where Nginx answers before the filter: it decodes the path to route it, and
# refuses %00, a `%` without two hex digits, and dot-segments above the root;
# dot-segments that leave /avatar/ reach `location /` instead.
NGINX_TARGETS = {
    "/avatar/%00": NginxOwn(),
    "/avatar/%": NginxOwn(),
    "/avatar/%G0": NginxOwn(),
    "/avatar/%%32%35": NginxOwn(),
    "/avatar/..%2F..%2Fetc%2Fpasswd": NginxOwn(),
    "/avatar/..": NginxOwn(200),
    "/avatar/%2E%2E": NginxOwn(200),
    "/avatar/./..": NginxOwn(200),
    # Over Nginx's header buffer (large_client_header_buffers, 8 KB).
    "/avatar/" + "a" * 10240: NginxOwn(414),
    "/avatar/" + "%E7%8E%8B" * 1200: NginxOwn(414),
}


@pytest.mark.parametrize("target,want", TARGETS, ids=[t[:60] for t, _ in TARGETS])
def test_http1_target(host, target, want):
    if host.name == "nginx":
        want = NGINX_TARGETS.get(target, want)
    want.check(http1(host.port, request_line(target.encode())))


# Raw bytes Envoy's HTTP/1 codec rejects before any filter runs (400 "Bad
# Request", 431 for headers over 60 KiB), documented in docs/OPERATIONS.md.
ENVOY_REJECTS = [
    (request_line(b"/avatar/a\x00b"), 400),
    (request_line(b"/avatar/a\x01b"), 400),
    (request_line(b"/avatar/a\x7fb"), 400),
    (request_line(b"/avatar/a\tb"), 400),
    (request_line(b"/avatar/\xe7\x8e\x8b"), 400),     # raw (unencoded) UTF-8
    (request_line(b"/avatar/\xff"), 400),
    (request_line(b"/avatar/Ada#fragment"), 400),
    (request_line(b"/avatar/" + b"a" * 70000), 431),
    (request_line(b"/avatar/Ada", headers=b"If-None-Match: a\x00b\r\n"), 400),
    (request_line(b"/avatar/Ada", headers=b"If-None-Match: a\x01b\r\n"), 400),
    (request_line(b"/avatar/Ada", method=b"CONNECT"), 400),
    (request_line(b"/avatar/Ada", method=b"get"), 400),
    (request_line(b"/avatar/Ada", method=b"BREW"), 400),       # not a registered method
    (request_line(b"/avatar/Ada", method=b"G\xffT"), 400),
    (request_line(b"/avatar/Ada", version=b"HTTP/1.0"), 426),  # accept_http_10 is off
    (b"GET /avatar/Ada HTTP/1.0\r\n\r\n", 426),
    (request_line(b"/avatar/Ada", version=b"HTTP/0.9"), 426),
]


@pytest.mark.parametrize("data,status", ENVOY_REJECTS, ids=[repr(d[:40]) for d, _ in ENVOY_REJECTS])
def test_envoy_rejects_before_the_filter(envoy, data, status):
    Envoy4xx(status).check(http1(envoy.port, data))


# Header values that could break the If-None-Match parser. ----------------------------
INM = [
    (b"\xff\xfe", Img()),               # not UTF-8: once trapped the VM (proxy-wasm unwrap)
    (b"\x80", Img()),
    (b'"', Img()),
    (b"W/", Img()),
    (b"W/*", Img()),
    (b",,,," * 2000, Img()),
    (b'"' * 4000, Img()),
    (b"\xe2\x80\x9c*\xe2\x80\x9d", Img()),  # curly quotes
    (b"a" * 40000, Img()),
    (b"*", Img(status=304)),
    (b'  "x" ,W/"y",  *  ', Img(status=304)),
]


@pytest.mark.parametrize("value,want", INM, ids=[repr(v[:20]) for v, _ in INM])
def test_if_none_match(host, value, want):
    if host.name == "nginx" and len(value) > 8192:
        want = NginxOwn()  # a header line over Nginx's 8 KB buffer
    data = request_line(b"/avatar/Ada", headers=b"If-None-Match: " + value + b"\r\n")
    want.check(http1(host.port, data))


def test_if_none_match_with_many_tags_finds_the_right_one(host):
    etag = http1(host.port, request_line(b"/avatar/Ada")).header("etag").encode()
    # 500 tags; 300 on Nginx, whose header lines must fit in 8 KB.
    count = 300 if host.name == "nginx" else 500
    many = b", ".join(b'"%016x"' % i for i in range(count)) + b", " + etag
    Img(status=304).check(http1(host.port, request_line(
        b"/avatar/Ada", headers=b"If-None-Match: " + many + b"\r\n")))


# Every method. -----------------------------------------------------------------------
METHODS = [(b"GET", Img()), (b"HEAD", None)] + [
    (m, NOT_ALLOWED) for m in [b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE",
                               b"PROPFIND", b"MKCOL", b"LOCK", b"PURGE"]]


@pytest.mark.parametrize("method,want", METHODS, ids=[m.decode() for m, _ in METHODS])
def test_every_method(host, method, want):
    headers = b"Content-Length: 5\r\n" if method in (b"POST", b"PUT", b"PATCH") else b""
    data = request_line(b"/avatar/Ada", method=method, headers=headers)
    if headers:
        data += b"hello"
    r = http1(host.port, data)
    if host.name == "nginx" and method == b"TRACE":
        want = NginxOwn(405)
    if want is None:  # HEAD: the headers of GET, no body
        assert r.status == 200 and r.header("content-type") == "image/png" and r.body == b""
    else:
        want.check(r)
        if want is NOT_ALLOWED:
            assert r.header("allow") == "GET, HEAD"


# HTTP/2 prior knowledge (h2c). ---------------------------------------------------------
H2 = [
    (b"GET", b"/avatar/Ada%20Lovelace?size=64", (), Img(64)),
    (b"GET", b"/avatar/%FF", (), NOT_UTF8),
    (b"GET", b"/avatar/%00", (), CONTROL),
    (b"GET", b"/avatar/" + b"a" * 10240, (), TOO_LONG),
    (b"GET", b"/avatar/Ada?size=-5&size=5", (), dup("size")),
    (b"GET", b"/avatar/Ada?size=99999999999999999999", (), Img(512)),
    (b"GET", b"/avatar/Ada", ((b"if-none-match", b"\xff\xfe"),), Img()),
    (b"GET", b"/avatar/Ada", ((b"if-none-match", b"*"),), Img(status=304)),
    (b"POST", b"/avatar/Ada", (), NOT_ALLOWED),
    (b"DELETE", b"/avatar/Ada", (), NOT_ALLOWED),
]


@pytest.mark.parametrize("method,path,headers,want", H2, ids=[p[:40].decode() for _, p, _, _ in H2])
def test_h2c(envoy, method, path, headers, want):
    want.check(h2c(envoy.port, path, method=method, headers=headers))


def test_h2c_head_has_no_body(envoy):
    r = h2c(envoy.port, b"/avatar/Ada", method=b"HEAD")
    assert r.status == 200 and r.header("content-type") == "image/png" and r.body == b""


# Raw bytes in HTTP/2 header values that Envoy's codec refuses: it resets the
# connection; the filter never sees them.
H2_ENVOY_REJECTS = [b"/avatar/a\x00b", b"/avatar/a\nb", b"/avatar/a b"]


@pytest.mark.parametrize("path", H2_ENVOY_REJECTS, ids=repr)
def test_h2c_envoy_rejects_before_the_filter(envoy, path):
    r = h2c(envoy.port, path)
    assert r.reset is not None or (r.status == 400 and r.header("cache-control") != "no-store"), r


# Names in many scripts: all answer an image (initials or the placeholder). ---------------
NAMES = [
    "Ada Lovelace", "Élodie Núñez", "Łukasz Żółć", "Søren Kierkegaard", "Nguyễn Văn An",
    "Αλέξης Παπαδόπουλος", "Ольга Иванова", "Գևորգ Սարգսյան", "გიორგი ბერიძე",
    "王小明", "山田太郎", "やまだ たろう", "カタカナ", "김민준", "محمد علي", "דוד לוי",
    "राहुल शर्मा", "রবীন্দ্রনাথ ঠাকুর", "முருகன்", "สมชาย ใจดี", "ሰላም ዓለም", "ᏣᎳᎩ",
    "Ꭰ", "ꦗꦮ", "😀 🎉", "👩‍👩‍👧‍👦", "e\u0301 a\u0308", "\u202eAda Lovelace",
    "\u200b\u200d\ufeff", "𝔄𝔡𝔞 𝔏𝔬𝔳𝔢𝔩𝔞𝔠𝔢", "Z\u0351\u0346\u036b\u0313a\u0367\u0308lgo",
]


@pytest.mark.parametrize("name", NAMES)
def test_names_in_many_scripts(host, name):
    path = "/avatar/" + urllib.parse.quote(name, safe="")
    Img().check(http1(host.port, request_line(path.encode())))
    if host.name == "envoy":
        Img(48).check(h2c(host.port, (path + "?size=48").encode()))


# Last: the same Envoy is unharmed. -------------------------------------------------------
def test_zz_envoy_is_unharmed_on_every_worker(envoy):
    path = "/avatar/Grace%20Hopper?size=96"
    want = native_render(path)
    before = worker_connections(envoy)
    for _ in range(40):
        r = http1(envoy.port, request_line(path.encode()))
        assert r.status == 200 and r.body == want
    for _ in range(10):
        r = h2c(envoy.port, path.encode())
        assert r.status == 200 and r.body == want
    after = worker_connections(envoy)
    used = [w for w in after if after[w] > before.get(w, 0)]
    assert len(used) == len(after) >= 2, (before, after)

    stats = envoy.stats("wasm.")
    for name in ["vm_reload", "vm_reload_success", "vm_reload_failure", "vm_reload_backoff"]:
        assert stats.get(f"wasm.monogram.{name}", "0") == "0", name
    created = "wasm.envoy.wasm.runtime.v8.created"
    assert stats[created] == envoy.baseline[created], "a VM was created after start"
    assert envoy.stats("http.main.downstream_rq_5xx")["http.main.downstream_rq_5xx"] == "0"
    assert "panicked" not in envoy.log_text()


def test_zz_nginx_is_unharmed(nginx_host):
    path = "/avatar/Grace%20Hopper?size=96"
    want = native_render(path)
    for _ in range(40):
        r = http1(nginx_host.port, request_line(path.encode()))
        assert r.status == 200 and r.body == want
    # No worker died (a trapped VM or a crash would show as a new PID).
    assert nginx_host.worker_pids() == nginx_host.baseline
    log = nginx_host.log_text()
    for bad in ["[alert]", "[crit]", "[emerg]", "panicked", "trap"]:
        assert bad not in log, bad


def worker_connections(envoy):
    """Connections accepted so far per worker, from the listener's per-worker stats."""
    prefix = f"listener.127.0.0.1_{envoy.port}.worker_"
    return {k: int(v) for k, v in envoy.stats(prefix).items() if k.endswith(".downstream_cx_total")}
