"""Operating the filter under Nginx (ngx_wasm_module): what a refused
configuration does and the pre-flight of docs/NGINX.md that catches it, `nginx -s
reload` under steady load with no failed request, and no name or path in any
log line at default log levels (on Envoy too). Skipped, with the one line
conftest prints, when the Nginx build is absent."""
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import HOSTS, native_render, readme_snippet, request, running, skip_without_nginx
from envoy_harness import ROOT
from nginx_harness import Nginx, render_config
from test_deploy import CHECK_CONFIG

BAD = '{"path_prefix": "/avatar/", "max_size": 9999}'
BAD_LINE = "monogram configuration key 'max_size' must be within 16..=2048"


@pytest.fixture
def nginx_built():
    skip_without_nginx()


def wait_for(predicate, what, timeout=60):
    """Polls until `predicate()` holds; the deadline only bounds a failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not after {timeout} s: {what}")


def preflight(nginx):
    """docs/NGINX.md's pre-flight and reload, on this Nginx's prefix and config."""
    script = readme_snippet("nginx-reload")
    script = script.replace("conf=/etc/nginx/nginx.conf", f"conf={nginx.config}")
    script = script.replace("check_config --nginx", f"{CHECK_CONFIG} --nginx")
    script = script.replace("nginx -", f"{nginx.binary} -p {nginx.dir} -")
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script],
                          capture_output=True, text=True, timeout=120)


# A refused configuration ------------------------------------------------------------

def test_a_refused_configuration_passes_nginx_t_and_leaves_no_worker(nginx_built):
    """What happens without the pre-flight: `nginx -t` accepts the file (it
    never runs the filter), and at start every worker's filter refuses its
    configuration, exits with code 2 and is not respawned, while the master
    keeps the port open, so clients hang."""
    nginx = Nginx(plugin_json=BAD, wait=False)
    try:
        t = nginx.command("-t")
        assert t.returncode == 0 and "test is successful" in t.stderr, t.stderr
        wait_for(lambda: nginx.log_text().count("cannot be respawned") == 2, "both workers gone")
        log = nginx.log_text()
        assert BAD_LINE in log
        assert "exited with fatal code 2 and cannot be respawned" in log
        assert nginx.proc.poll() is None, "the master stays"
        assert nginx.worker_pids() == []
    finally:
        nginx.stop()


def test_the_preflight_names_the_key_and_line(nginx_built):
    nginx_conf = ROOT / "target/test-preflight.conf"
    nginx_conf.parent.mkdir(exist_ok=True)
    nginx_conf.write_text(render_config(8080, plugin_json=BAD))
    run = subprocess.run([CHECK_CONFIG, "--nginx", str(nginx_conf)], capture_output=True, text=True)
    # Every location's proxy_wasm line carries the bad configuration (the
    # avatar and the photo locations): each is named.
    lines = [i for i, l in enumerate(nginx_conf.read_text().splitlines(), 1) if "proxy_wasm" in l]
    assert len(lines) >= 2
    assert run.returncode == 1
    assert run.stdout == "".join(f"{nginx_conf}:{line}: {BAD_LINE}\n" for line in lines)
    ok = subprocess.run([CHECK_CONFIG, "--nginx", str(ROOT / "deploy/nginx/nginx.conf")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.endswith(": ok\n"), ok.stdout


def test_the_preflight_stops_a_bad_reload_and_lets_a_good_one_through(nginx_built):
    with running("nginx") as nginx:
        before = nginx.worker_pids()
        good = nginx.config.read_text()
        # A bad configuration: refused before `nginx -s reload`, so the
        # running workers keep serving the old one.
        nginx.config.write_text(render_config(nginx.port, plugin_json=BAD))
        run = preflight(nginx)
        assert run.returncode == 1 and BAD_LINE in run.stdout, run
        assert nginx.worker_pids() == before
        assert request(nginx, "/avatar/Ada").image().size == (128, 128)
        # A good change (default size 64) goes through and takes effect.
        nginx.config.write_text(good.replace('"default_size": 128', '"default_size": 64'))
        run = preflight(nginx)
        assert run.returncode == 0, run
        wait_for(lambda: not set(nginx.worker_pids()) & set(before), "old workers gone")
        wait_for(lambda: len(nginx.worker_pids()) == 2, "two new workers")
        assert request(nginx, "/avatar/Ada").image().size == (64, 64)


# Reload under load --------------------------------------------------------------------

def test_reload_under_steady_load_fails_no_request(nginx_built):
    """Four clients, each a fresh connection per request, for at most 4000
    requests; `nginx -s reload` three times (each change visible after it)
    while they run. Every request gets its correct answer."""
    path = "/avatar/Grace%20Hopper?size=96"
    want = native_render(path)
    with running("nginx") as nginx:
        stop = threading.Event()
        done, failures, lock = [0], [], threading.Lock()

        def client():
            while not stop.is_set():
                with lock:
                    if done[0] >= 4000:
                        return
                    done[0] += 1
                try:
                    r = request(nginx, path)
                    ok = r.status == 200 and r.body == want
                except OSError as e:
                    ok, r = False, e
                if not ok:
                    with lock:
                        failures.append(r)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            template = nginx.config.read_text()
            for max_age in (600, 1200, 31536000):
                wait_for(lambda: done[0] > 0, "load running")
                old = nginx.worker_pids()
                nginx.config.write_text(template.replace('"max_age": 31536000', f'"max_age": {max_age}'))
                assert preflight(nginx).returncode == 0
                wait_for(lambda: not set(nginx.worker_pids()) & set(old), "old workers gone")
                wait_for(lambda: len(nginx.worker_pids()) == 2, "two new workers")
                assert f"max-age={max_age}" in request(nginx, "/avatar/Ada").header("cache-control")
        finally:
            stop.set()
            for t in threads:
                t.join()
        print(f"{done[0]} requests during 3 reloads, {len(failures)} failed")
        assert done[0] > 0 and not failures, failures[:5]
        assert "[alert]" not in nginx.log_text() and "[emerg]" not in nginx.log_text()


# No name or path in any log line ----------------------------------------------------------

MARK = "Zqxjv"
LOGGED_REQUESTS = [
    ("GET", f"/avatar/{MARK}%20Wlodek"),                  # 200
    ("HEAD", f"/avatar/{MARK}%20Wlodek?size=64"),
    ("GET", f"/avatar/{MARK}?size=big"),                  # the filter's 400
    ("GET", f"/avatar/{MARK}/x"),                         # the filter's 400
    ("GET", f"/avatar/{MARK}%C3%28"),                     # the filter's 400
    ("POST", f"/avatar/{MARK}"),                          # 405
    ("GET", f"/avatar/{MARK}%zz"),                        # Nginx's own 400
    ("GET", f"/avatar/{MARK}%00"),
    ("GET", f"/avatar/..%2F{MARK}"),                      # elsewhere (404)
    ("GET", f"/avatar/{MARK}.svg?shape=star"),
]


@pytest.mark.parametrize("kind", HOSTS)
def test_no_name_or_path_in_any_log_line(kind):
    with running(kind) as host:
        for method, target in LOGGED_REQUESTS:
            request(host, target, method=method)
        etag = request(host, f"/avatar/{MARK}").header("etag")
        assert request(host, f"/avatar/{MARK}", headers={"If-None-Match": etag}).status == 304
    # Stopped: Envoy has flushed its log file (it buffers it for up to 10 s).
    logs = host.log_text()
    if kind == "nginx":
        access = host.access_log_text()
        assert access.count("\n") >= len(LOGGED_REQUESTS) - 3
        logs += access
    else:
        assert "exiting" in logs, "Envoy's whole log, to its last line"
    # The filter's per-request lines are at debug: none at default levels.
    assert "bad_request" not in logs
    for bad in [MARK, urllib.parse.quote(MARK), "/avatar/"]:
        assert bad not in logs, [line for line in logs.splitlines() if bad in line][:3]
