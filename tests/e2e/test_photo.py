"""Photo first (issue 21): the photo route of envoy.yaml and
deploy/nginx/nginx.conf in front of real origins. A local S3 (moto's
server, a bucket with public and private photos), an origin that is down
(connection refused), one that never answers (the route's timeout, cut to
1 s here), one that answers 500, and a Gravatar stand-in answering 404 for
an unknown hash. Photos pass byte for byte with their own headers; a
missing photo becomes the initials of `name` with a short cache life; the
origin never sees monogram's parameters.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from conftest import HOSTS, readme_snippet, request, skip_without_nginx
from envoy_harness import Envoy, ROOT, free_port, render_config, stop_session
from nginx_harness import Nginx, render_config as nginx_config
from photo_origins import KNOWN_HASH, PHOTO, PRESIGNED_KEY

PUBLIC = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"  # a "JPEG" of 2 KB
PRIVATE = b"\xff\xd8\xff\xe0 private \xff\xd9"


def wait_port(port, proc, timeout=30):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "origin exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Origin:
    """A local origin process (setsid), stopped by PID; `seen()` lists the
    request targets it got."""

    def __init__(self, argv, port, log=None):
        self.port, self.log = port, log
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_port(port, self.proc)

    def seen(self):
        return Path(self.log).read_text().splitlines() if self.log and Path(self.log).exists() else []

    def stop(self):
        stop_session(self.proc)


def local_origin(mode):
    port = free_port()
    log = tempfile.mktemp(prefix=f"monogram-origin-{mode}-")
    return Origin([sys.executable, str(Path(__file__).with_name("photo_origins.py")), mode, str(port), log],
                  port, log)


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server with bucket `photos`: ada.jpg public, private/grace.jpg private."""
    boto3 = pytest.importorskip("boto3")
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    origin = Origin([str(moto), "-H", "127.0.0.1", "-p", str(port)], port)
    try:
        client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        client.create_bucket(Bucket="photos")
        client.put_object(Bucket="photos", Key="ada.jpg", Body=PUBLIC, ACL="public-read",
                          ContentType="image/jpeg", CacheControl="public, max-age=600",
                          Metadata={"owner": "ada"})
        client.put_object(Bucket="photos", Key="private/grace.jpg", Body=PRIVATE, ACL="private",
                          ContentType="image/jpeg")
        origin.client = client
        yield origin
    finally:
        origin.stop()


def envoy_text(origin_port, extra=None):
    """envoy.yaml with its photo cluster on `origin_port` and the photo
    route's timeout at 1 s."""
    def text(port, admin):
        t = render_config(port, admin, extra_json=extra)
        t, n = re.subn(r"(address: \{ socket_address: \{ address: 127\.0\.0\.1, port_value: )\d+( \} \})",
                       rf"\g<1>{origin_port}\2", t)
        assert n == 1
        t, n = re.subn(r"timeout: 5s", "timeout: 1s", t)
        assert n == 1
        return t
    return text


def nginx_text(origin_port, extra=None):
    def text(port):
        t = nginx_config(port, plugin_json=extra)
        t, n = re.subn(r"server 127\.0\.0\.1:10001;", f"server 127.0.0.1:{origin_port};", t)
        assert n == 1
        t, n = re.subn(r"proxy_read_timeout 5s;", "proxy_read_timeout 1s;", t)
        assert n == 1
        return t
    return text


def start(kind, origin_port, extra=None):
    if kind == "nginx":
        skip_without_nginx()
        return Nginx(config_text=nginx_text(origin_port, extra))
    return Envoy(config_text=envoy_text(origin_port, extra))


DOWN = "down"


@pytest.fixture(scope="module", params=HOSTS)
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def origins(s3):
    made = {"error": local_origin("error"), "hang": local_origin("hang")}
    try:
        yield {"s3": s3, **made}
    finally:
        for o in made.values():
            o.stop()


@pytest.fixture(scope="module")
def hosts(kind, origins):
    """One host per origin (and one whose origin is down)."""
    started = {}
    try:
        for name, o in origins.items():
            started[name] = start(kind, o.port)
        started[DOWN] = start(kind, free_port())
        yield started
    finally:
        for h in started.values():
            h.stop()


def avatar(host, query):
    """The same initials from the host's own avatar door."""
    return request(host, f"/avatar/{query}")


def assert_fallback(host, r, twin):
    assert r.status == 200, (r.status, r.body[:200])
    if host.name == "nginx":
        # Nginx keeps the charset of the origin's error page apart from its
        # type, and ngx_wasm_module cannot clear it (docs/NGINX.md).
        assert r.header("content-type") in ("image/png", "image/png; charset=utf-8")
    else:
        assert r.header("content-type") == "image/png"
    assert r.header("cache-control") == "public, max-age=3600"
    assert r.body == twin.body and r.header("etag") == twin.header("etag")
    for origin_header in ("x-amz-request-id", "x-amzn-requestid", "server-timing"):
        assert r.header(origin_header) is None


def test_a_photo_passes_byte_for_byte_with_its_own_headers(hosts):
    h = hosts["s3"]
    r = request(h, "/photos/ada.jpg?name=Ada%20Lovelace&size=64")
    assert r.status == 200
    assert r.body == PUBLIC
    assert r.header("content-type") == "image/jpeg"
    assert r.header("cache-control") == "public, max-age=600"
    assert r.header("x-amz-meta-owner") == "ada"
    assert r.header("etag") == '"' + __import__("hashlib").md5(PUBLIC).hexdigest() + '"'
    # Unbuffered and unchanged: the origin's framing reaches the client.
    assert r.header("content-length") == str(len(PUBLIC))
    head = request(h, "/photos/ada.jpg?name=Ada", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.header("content-type") == "image/jpeg"


def test_a_missing_photo_becomes_initials_with_a_short_cache_life(hosts):
    h = hosts["s3"]
    twin = avatar(h, "Ada%20Lovelace?size=64")
    for path in ["/photos/nobody.jpg?name=Ada%20Lovelace&size=64",
                 # S3 answers 403 to anonymous reads of a private key.
                 "/photos/private/grace.jpg?size=64&name=Ada+Lovelace"]:
        r = request(h, path)
        assert_fallback(h, r, twin)
        assert b"NoSuchKey" not in r.body and b"<Error>" not in r.body
    # SVG as the avatar door allows it, the placeholder without a name.
    svg = request(h, "/photos/nobody.jpg?name=Ada.svg&size=64")
    assert (svg.status, svg.header("content-type")) == (200, "image/svg+xml")
    assert svg.body == avatar(h, "Ada.svg?size=64").body
    assert request(h, "/photos/nobody.jpg").body == avatar(h, "").body


def test_head_and_if_none_match_work_as_on_the_avatar_door(hosts):
    h = hosts["s3"]
    get = request(h, "/photos/nobody.jpg?name=Bo")
    head = request(h, "/photos/nobody.jpg?name=Bo", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.header("etag") == get.header("etag")
    assert head.header("cache-control") == "public, max-age=3600"
    again = request(h, "/photos/nobody.jpg?name=Bo", headers={"If-None-Match": get.header("etag")})
    assert again.status == 304 and again.body == b""
    assert again.header("cache-control") == "public, max-age=3600"


def test_a_presigned_url_reaches_s3_intact(hosts, origins):
    h = hosts["s3"]
    url = origins["s3"].client.generate_presigned_url(
        "get_object", Params={"Bucket": "photos", "Key": "private/grace.jpg"}, ExpiresIn=3600)
    target = url.split(f":{origins['s3'].port}", 1)[1]
    r = request(h, target + "&name=Grace+Hopper&size=64&bg=336699")
    assert (r.status, r.body) == (200, PRIVATE)


@pytest.mark.parametrize("origin", ["error", "hang", DOWN])
def test_an_origin_that_fails_gets_initials(hosts, origin):
    h = hosts[origin]
    twin = avatar(h, "Ada%20Lovelace?size=64&shape=square")
    r = request(h, "/photos/ada.jpg?name=Ada%20Lovelace&size=64&shape=square")
    assert_fallback(h, r, twin)
    assert b"origin exploded" not in r.body


def test_the_origin_never_sees_monogram_parameters(hosts, origins):
    h = hosts["error"]
    query = ("v=3&name=Ada+L&size=64&initials=AL&seed=s&bg=000&fg=fff&shape=square&length=2"
             "&font-size=0.5&uppercase=false")
    assert request(h, f"/photos/u/42.jpg?{query}").status == 200
    assert request(h, "/photos/u/43.jpg?name=Bo").status == 200
    assert request(h, "/photos/u/%34%34.jpg?name=Bo&z=%2F").status == 200
    seen = origins["error"].seen()
    assert "GET /photos/u/42.jpg?v=3" in seen
    assert "GET /photos/u/43.jpg" in seen
    assert "GET /photos/u/%34%34.jpg?z=%2F" in seen
    for line in seen:
        for p in ["name", "size", "initials", "seed", "bg", "fg", "shape", "length", "font-size",
                  "uppercase", "sig"]:
            assert not re.search(rf"[?&]{p}=", line), line


def test_bad_input_is_the_avatar_doors_400_before_the_origin_is_asked(hosts, origins):
    h = hosts["error"]
    before = len(origins["error"].seen())
    r = request(h, "/photos/u/99.jpg?name=Ada&size=big")
    assert r.status == 400
    assert r.body.rstrip(b"\n") == b"parameter 'size' must be an integer number of pixels"
    assert r.header("cache-control") == "no-store"
    assert request(h, "/photos/u/99.jpg?name=A&name=B").status == 400
    assert len(origins["error"].seen()) == before


def test_a_signed_photo_route_draws_only_for_a_valid_sig(kind, origins):
    key = "0123456789abcdef0123456789abcdef-photos"
    config = json.dumps({"photo_prefix": "/photos/", "signing_keys": [key]})
    namespace = {}
    exec(readme_snippet("sign-python"), namespace)  # noqa: S102 - our own docs
    signed = namespace["avatar_url"](key, "Ada Lovelace", photo="/photos/nobody.jpg", size="64")
    h = start(kind, origins["s3"].port, config)
    try:
        r = request(h, signed)
        assert (r.status, r.header("cache-control")) == (200, "public, max-age=3600")
        assert r.header("content-type") == "image/png"
        # Unsigned: S3's own 404 comes through as it is.
        r = request(h, "/photos/nobody.jpg?name=Ada+Lovelace&size=64")
        assert r.status == 404 and b"NoSuchKey" in r.body
        # A photo needs no signature.
        assert request(h, "/photos/ada.jpg?name=Ada").body == PUBLIC
    finally:
        h.stop()


# --- Pre-signed URLs with a session token: the origin's query is the origin's --------


@pytest.fixture(scope="module")
def bucket():
    o = local_origin("presigned")
    try:
        yield o
    finally:
        o.stop()


def presigned(port, path, seed=21):
    """The target of an S3 pre-signed GET of `path` (/BUCKET/KEY) made by
    botocore with temporary (STS) credentials, the session token made from
    `seed`: 7 parameters of the origin's, X-Amz-Security-Token about 1.2 kB
    of them."""
    boto3 = pytest.importorskip("boto3")
    from botocore.config import Config
    import base64
    import random
    token = base64.b64encode(random.Random(seed).randbytes(900)).decode()
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id="ASIAEXAMPLEEXAMPLE12", aws_secret_access_key="secret",
                          aws_session_token=token,
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    bucket, key = path.lstrip("/").split("/", 1)
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                        ExpiresIn=3600)
    target = url.split(f":{port}", 1)[1]
    query = target.split("?", 1)[1]
    assert len(query) > 1024 and query.count("&") == 6 and "X-Amz-Security-Token=" in query, query
    return target


def ask(host, bucket, target, ours):
    """GET `target` (pre-signed) with monogram's `ours` (a list of pairs)
    spread through its query: first, after the origin's third pair, last.
    The bucket answers only the exact pre-signed query."""
    path, query = target.split("?", 1)
    Path(bucket.log + ".query").write_text(query)
    theirs = query.split("&")
    mixed = ours[:1] + theirs[:3] + ours[1:2] + theirs[3:] + ours[2:]
    return request(host, path + "?" + "&".join(mixed))


@pytest.mark.parametrize("host_kind", HOSTS)
def test_a_presigned_url_with_a_session_token_reaches_the_origin_intact(host_kind, bucket):
    h = start(host_kind, bucket.port)
    try:
        ours = ["name=Ada+Lovelace", "size=64", "shape=square"]
        photo = presigned(bucket.port, PRESIGNED_KEY)
        r = ask(h, bucket, photo, ours)
        assert (r.status, r.body) == (200, PHOTO)
        assert r.header("cache-control") == "private, max-age=60"
        missing = presigned(bucket.port, "/photos/nobody.jpg")
        r = ask(h, bucket, missing, ours)
        assert_fallback(h, r, avatar(h, "Ada%20Lovelace?size=64&shape=square"))
        assert b"AccessDenied" not in r.body
        seen = bucket.seen()
        assert seen[-2:] == [f"GET {photo}", f"GET {missing}"], seen[-2:]
        # monogram's own part is bounded as the avatar door's query is.
        r = ask(h, bucket, missing, ["name=Ada"] + ["size=64"] * 16)
        assert r.status == 400
        assert r.body.rstrip(b"\n") == b"the query's monogram part has more than 16 parameters"
        assert len(bucket.seen()) == len(seen)
    finally:
        h.stop()


def test_a_signed_fallback_signs_monograms_parameters_not_the_origins(bucket):
    """With signing on, the README's signing function signs a pre-signed
    photo URL: its path and monogram's parameters, not the origin's."""
    key = "0123456789abcdef0123456789abcdef-photos"
    namespace = {}
    exec(readme_snippet("sign-python"), namespace)  # noqa: S102 - our own docs
    h = start("envoy", bucket.port, json.dumps({"photo_prefix": "/photos/", "signing_keys": [key]}))
    try:
        missing = presigned(bucket.port, "/photos/nobody.jpg")
        signed = namespace["avatar_url"](key, "Ada Lovelace", photo=missing, size="64")
        assert signed.startswith(missing + "&")
        Path(bucket.log + ".query").write_text(missing.split("?", 1)[1])
        r = request(h, signed)
        assert_fallback(h, r, request(h, namespace["avatar_url"](key, "Ada Lovelace", size="64")))
        assert bucket.seen()[-1] == f"GET {missing}"
        # The same signature over another pre-signed query of that photo
        # (other credentials): still the fallback.
        other = presigned(bucket.port, "/photos/nobody.jpg", seed=22)
        assert other != missing
        resigned = other + signed[len(missing):]
        Path(bucket.log + ".query").write_text(other.split("?", 1)[1])
        assert request(h, resigned).body == r.body
        # A name the signature does not cover: S3's own 403 comes through.
        r = request(h, resigned.replace("name=Ada%20Lovelace", "name=Eve"))
        assert r.status == 403 and b"AccessDenied" in r.body
    finally:
        h.stop()


def test_metrics_count_photos_fallbacks_and_unsigned(origins):
    h = start("envoy", origins["s3"].port)
    try:
        request(h, "/photos/ada.jpg?name=Ada")
        request(h, "/photos/nobody.jpg?name=Ada")
        request(h, "/photos/nobody.jpg?name=Bo")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stats = h.admin("/stats?filter=monogram.photos")
            if "fallback.4xx: 2" in stats:
                break
            time.sleep(0.2)
        assert "wasmcustom.monogram.photos.passed: 1" in stats, stats
        assert "wasmcustom.monogram.photos.fallback.4xx: 2" in stats, stats
        assert "wasmcustom.monogram.photos.fallback.5xx: 0" in stats, stats
        log = Path(h.log).read_text()
        assert "nobody" not in log and "Ada" not in log
    finally:
        h.stop()


# --- The Gravatar recipe (README, "Photo first") ------------------------------------


@pytest.fixture(scope="module")
def gravatar():
    o = local_origin("gravatar")
    try:
        yield o
    finally:
        o.stop()


def gravatar_envoy(origin_port):
    """envoy.yaml with the README's Gravatar route and plugin configuration,
    the README's cluster pointed at the local stand-in (plain HTTP)."""
    route = yaml.safe_load(readme_snippet("gravatar-route"))
    cluster = yaml.safe_load(readme_snippet("gravatar-cluster"))
    plugin = readme_snippet("gravatar-config")

    def text(port, admin):
        config = yaml.safe_load(render_config(port, admin, extra_json=plugin))
        cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"] = {
            "socket_address": {"address": "127.0.0.1", "port_value": origin_port}}
        cluster.pop("transport_socket")
        config["static_resources"]["clusters"].append(cluster)
        for listener in config["static_resources"]["listeners"]:
            if listener["name"] == "main":
                hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
                hcm["route_config"]["virtual_hosts"][0]["routes"].insert(0, route[0])
        return yaml.safe_dump(config)
    return text


def gravatar_nginx(origin_port):
    """deploy/nginx/nginx.conf with docs/NGINX.md's Gravatar upstream, map
    and location pasted in, pointed at the local stand-in over plain HTTP
    (the tested build has no TLS: the `proxy_ssl_*` lines go)."""
    http = readme_snippet("nginx-gravatar-http")
    location = readme_snippet("nginx-gravatar-location")
    http, n = re.subn(r"server www\.gravatar\.com:443;", f"server 127.0.0.1:{origin_port};", http)
    assert n == 1
    location, n = re.subn(r"proxy_pass https://", "proxy_pass http://", location)
    assert n == 1
    location, n = re.subn(r"(?m)^\s*proxy_ssl_\w+ .*\n", "", location)
    assert n == 4
    # The filter configuration is the Envoy recipe's.
    m = re.search(r"proxy_wasm monogram '(.*)';", location)
    assert json.loads(m.group(1)) == json.loads(readme_snippet("gravatar-config"))

    def text(port):
        t = nginx_config(port)
        t, n = re.subn(r"(?m)^http \{\n", lambda m: m.group(0) + http, t)
        assert n == 1
        t, n = re.subn(r"(?m)^(\s*)location = /healthz \{",
                       lambda m: location + m.group(0), t)
        assert n == 1
        return t
    return text


@pytest.mark.parametrize("host_kind", HOSTS)
def test_the_gravatar_recipe_falls_back_to_initials(host_kind, gravatar):
    if host_kind == "nginx":
        skip_without_nginx()
        h = Nginx(config_text=gravatar_nginx(gravatar.port))
    else:
        h = Envoy(config_text=gravatar_envoy(gravatar.port))
    try:
        known = request(h, f"/gravatar/{KNOWN_HASH}?d=404&s=64&name=Photo+Person&size=64")
        assert (known.status, known.body) == (200, PHOTO)
        assert known.header("cache-control") == "max-age=300"
        unknown = request(h, "/gravatar/00000000000000000000000000000000?d=404&s=64&name=Ada+Lovelace&size=64")
        assert_fallback(h, unknown, avatar(h, "Ada%20Lovelace?size=64"))
        assert b"404 Not Found" not in unknown.body
        seen = gravatar.seen()[-2:]
        assert seen == [f"GET /avatar/{KNOWN_HASH}?d=404&s=64",
                        "GET /avatar/00000000000000000000000000000000?d=404&s=64"], seen
    finally:
        h.stop()


def test_the_readme_shows_envoy_yamls_photo_route():
    assert readme_snippet("photo-route") in (ROOT / "envoy.yaml").read_text()


def test_no_name_or_path_in_any_log_line(hosts):
    """After every test above: neither host logged a name or a photo path
    (personal data), however its origin failed."""
    for h in hosts.values():
        logs = h.log_text() + (h.access_log_text() if h.name == "nginx" else "")
        for secret in ("Lovelace", "Hopper", "nobody", "grace.jpg", "/photos/u/"):
            assert secret not in logs, (h.name, secret)
