import contextlib
import http.client
import io
import os
import re
import subprocess
import sys

import pytest
from PIL import Image

from envoy_harness import Envoy, ROOT, render_config
from nginx_harness import Nginx, missing_message, nginx_binary

sys.path.insert(0, str(ROOT / "tests"))
from links import documents  # noqa: E402  README.md and docs/*.md, where the user-facing snippets live

# The HTTP tests run against every host: Envoy always, Nginx (with
# ngx_wasm_module) whenever its build is present.
HOSTS = ["envoy", "nginx"]


def skip_without_nginx():
    if nginx_binary() is None:
        pytest.skip(missing_message())


def start_host(kind, plugin_json=None, workers=2):
    """A fresh host with the project's own config, optionally another plugin
    configuration (JSON) and worker count. Stop it with .stop()."""
    if kind == "nginx":
        skip_without_nginx()
        return Nginx(plugin_json=plugin_json, workers=workers)
    if plugin_json is None:
        return Envoy(concurrency=workers)
    return Envoy(config_text=lambda port, admin: render_config(port, admin, extra_json=plugin_json),
                 concurrency=workers)


@contextlib.contextmanager
def running(kind, plugin_json=None, workers=2):
    """start_host() for the length of a `with` block."""
    h = start_host(kind, plugin_json, workers)
    try:
        yield h
    finally:
        h.stop()


@pytest.fixture(scope="session")
def envoy():
    with running("envoy") as e:
        yield e


@pytest.fixture(scope="session")
def nginx_host():
    with running("nginx") as n:
        yield n


@pytest.fixture(scope="session", params=HOSTS)
def host(request):
    """The session's Envoy, then the session's Nginx."""
    return request.getfixturevalue("envoy" if request.param == "envoy" else "nginx_host")


def pytest_terminal_summary(terminalreporter):
    # One line that says whether the Nginx half ran (and how it went), or
    # why it did not.
    if nginx_binary() is None:
        terminalreporter.write_line(missing_message())
        return
    counts = {outcome: sum("nginx" in r.nodeid for r in terminalreporter.stats.get(outcome, []))
              for outcome in ("passed", "failed", "error", "skipped")}
    terminalreporter.write_line(
        f"Nginx half ({nginx_binary()}): tests naming nginx: " +
        ", ".join(f"{n} {outcome}" for outcome, n in counts.items()))


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def image(self):
        return Image.open(io.BytesIO(self.body))


def request(envoy, path, method="GET", headers=None):
    """One request on a fresh connection (so requests spread over the workers)."""
    conn = http.client.HTTPConnection("127.0.0.1", envoy.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, body)
    finally:
        conn.close()


def assert_framed(host, r):
    """The body's framing: Envoy sends Content-Length; Nginx's GET answers
    are chunked (the filter drops Nginx's Content-Length when it cuts the
    `\n` Nginx appends; see src/filter.rs)."""
    if host.name == "nginx":
        assert r.header("content-length") is None and r.header("transfer-encoding") == "chunked"
    else:
        assert int(r.header("content-length")) == len(r.body)


def is_nginx_own(r, status=400):
    """Nginx's own HTML error page, sent before any filter runs (400 for a
    `%` not followed by two hex digits or an encoded NUL in the path, 414 for
    a request line over its 8 KB header buffer, 405 for TRACE)."""
    return (r.status == status and r.header("content-type") == "text/html"
            and f"<center><h1>{status} ".encode() in r.body
            and r.header("cache-control") is None)


def native_render(path):
    """The same avatar from the native renderer (examples/render.rs)."""
    exe = os.environ.get("MONOGRAM_RENDER", str(ROOT / "target/tools/release/examples/render"))
    out = subprocess.run([exe, path, "/dev/stdout"], check=True, capture_output=True)
    return out.stdout


def readme_snippet(name):
    """The fenced code block after `<!-- snippet: name -->` in README.md or
    one of docs/*.md: the tests run the documented snippets as written. A
    name must be marked exactly once across those files."""
    pattern = re.compile(r"<!-- snippet: " + re.escape(name) + r" -->\n```\w*\n(.*?)```", re.S)
    found = [(doc.relative_to(ROOT), m.group(1))
             for doc in documents() for m in pattern.finditer(doc.read_text())]
    assert found, f"no snippet '{name}' in README.md or docs/*.md"
    assert len(found) == 1, f"snippet '{name}' is marked more than once: {[str(d) for d, _ in found]}"
    return found[0][1]
