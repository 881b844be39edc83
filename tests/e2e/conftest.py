import contextlib
import http.client
import io
import os
import re
import subprocess
import sys

import pytest
from PIL import Image

import docker_harness
from envoy_harness import Envoy, ROOT, render_config
from nginx_harness import Nginx, missing_message, nginx_binary

sys.path.insert(0, str(ROOT / "tests"))
from links import documents  # noqa: E402  README.md and docs/*.md, where the user-facing snippets live

# The HTTP tests run against every host: Envoy always, Nginx (with
# ngx_wasm_module) whenever its build is present.
HOSTS = ["envoy", "nginx"]


def envoy_range():
    """{"envoy-X.Y.Z": binary} of the older Envoys the core tests also run on:
    MONOGRAM_ENVOY_RANGE lists their binaries (make e2e: venvs/envoy-*/bin/envoy),
    each named by the release its `--version` reports."""
    out = {}
    for binary in os.environ.get("MONOGRAM_ENVOY_RANGE", "").split():
        run = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
        out["envoy-" + re.search(r"/(\d+\.\d+\.\d+)/", run.stdout).group(1)] = binary
    return out


# The core of the suite (the URL API, headers, 304, errors, signing,
# metrics) runs on every Envoy of the tested range; the rest on `envoy`
# (requirements.txt's release) alone.
ENVOY_RANGE = envoy_range()
ENVOYS = ["envoy", *ENVOY_RANGE]
RANGE_HOSTS = [*HOSTS, *ENVOY_RANGE]


def skip_without_nginx():
    if nginx_binary() is None:
        pytest.skip(missing_message())


def start_host(kind, plugin_json=None, workers=2):
    """A fresh host with the project's own config, optionally another plugin
    configuration (JSON) and worker count. Stop it with .stop()."""
    if kind == "nginx":
        skip_without_nginx()
        return Nginx(plugin_json=plugin_json, workers=workers)
    binary = ENVOY_RANGE.get(kind)
    if plugin_json is None:
        return Envoy(concurrency=workers, binary=binary)
    return Envoy(config_text=lambda port, admin: render_config(port, admin, extra_json=plugin_json),
                 concurrency=workers, binary=binary)


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


@pytest.fixture(scope="session", params=RANGE_HOSTS)
def range_host(request):
    """As `host`, then each older Envoy of the range (one at a time)."""
    if request.param in HOSTS:
        yield request.getfixturevalue("envoy" if request.param == "envoy" else "nginx_host")
        return
    with running(request.param) as e:
        yield e


@pytest.fixture(params=ENVOYS)
def envoy_kind(request):
    """For tests that start their own Envoy: `envoy`, then each older one;
    start_host(envoy_kind) or Envoy(binary=ENVOY_RANGE.get(envoy_kind))."""
    return request.param


def pytest_configure(config):
    config.addinivalue_line("markers", "docker: needs a Docker engine or the registry "
                            "(make e2e runs these in their own pytest run)")


@pytest.fixture(scope="session")
def docker_engine():
    """The Docker engine (docker_harness.engine()): the running one, or one
    started for this session and stopped after it. Where none can run, each
    test using it is skipped, and one line at the end says why."""
    engine = docker_harness.engine()
    if isinstance(engine, str):
        docker_harness.REPORT.append(f"Docker tests skipped: {engine}")
        pytest.skip(f"Docker: {engine}")
    yield engine
    engine.stop()


def outcome_counts(terminalreporter, word):
    """"N passed, N failed, ..." of the tests whose id contains `word`."""
    counts = {outcome: sum(word in r.nodeid for r in terminalreporter.stats.get(outcome, []))
              for outcome in ("passed", "failed", "error", "skipped")}
    return ", ".join(f"{n} {outcome}" for outcome, n in counts.items())


def pytest_terminal_summary(terminalreporter):
    if hasattr(terminalreporter.config, "workerinput"):
        return  # a pytest-xdist worker: the controller reports, and stamps, for all
    # One line each: whether the Nginx half ran (and how it went), or why it
    # did not; each older Envoy of the range; the Docker engine and images.
    nginx_ran = any("nginx" in r.nodeid for outcome in ("passed", "failed", "error", "skipped")
                    for r in terminalreporter.stats.get(outcome, []))
    if nginx_binary() is None:
        terminalreporter.write_line(missing_message())
    elif nginx_ran:
        terminalreporter.write_line(f"Nginx half ({nginx_binary()}): tests naming nginx: " +
                                    outcome_counts(terminalreporter, "nginx"))
    if not ENVOY_RANGE:
        terminalreporter.write_line("Envoy range: none in this run (MONOGRAM_ENVOY_RANGE unset; "
                                    "make e2e runs each older Envoy in a run of its own)")
    for kind, binary in ENVOY_RANGE.items():
        terminalreporter.write_line(f"Envoy range, {kind} ({binary}): tests naming {kind}: " +
                                    outcome_counts(terminalreporter, f"{kind}"))
    for line in dict.fromkeys(docker_harness.REPORT):
        terminalreporter.write_line(line)
    # make e2e re-runs a part only when its inputs changed since it last
    # passed in full: the stamp is written after a run with no failure or skip.
    stamp = os.environ.get("MONOGRAM_STAMP")
    stats = terminalreporter.stats
    if stamp and stats.get("passed") and not any(
            stats.get(k) for k in ("failed", "error", "skipped", "xfailed")):
        open(stamp, "w").close()


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


def quick_start(port):
    """(what the README's quick-start `curl` prints against 127.0.0.1:port,
    what the README says it prints), the date masked: the only header that
    may differ."""
    command, *expected = readme_snippet("quick-start").strip().splitlines()
    assert command.startswith("$ curl ") and "127.0.0.1:10000" in command
    run = subprocess.run(["bash", "-c", command[2:].replace("127.0.0.1:10000", f"127.0.0.1:{port}")],
                         capture_output=True, text=True, timeout=30, check=True)
    got = [line.rstrip("\r") for line in run.stdout.strip().splitlines()]

    def masked(lines):
        return [re.sub(r"^date: .*", "date: *", line) for line in lines]
    return masked(got), masked(expected)
