"""Starts Nginx with ngx_wasm_module and the project's deploy/nginx/nginx.conf.

The config is the repository's file with only the listen address, the module
path, the demo page's root and the worker count rewritten (and, on request,
the plugin configuration or extra copies of the server on other ports), so
tests and `make run-nginx` serve the file users copy. The binary is built
outside the repository; MONOGRAM_NGINX names it (default: NGINX_DEFAULT).
Nginx runs in the foreground of its own session (setsid) and is always
stopped by PID.

    python3 tests/e2e/nginx_harness.py --port 10080 --dir target/nginx
writes target/nginx/conf/nginx.conf for `make run-nginx`.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from envoy_harness import ROOT, free_port, stop_session
SOURCE = ROOT / "deploy/nginx/nginx.conf"
NGINX_DEFAULT = Path.home() / ".cache/monogram/nginx/sbin/nginx"


def nginx_binary():
    """The Nginx build to test, or None when it is absent."""
    path = Path(os.environ.get("MONOGRAM_NGINX") or NGINX_DEFAULT)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def missing_message():
    where = os.environ.get("MONOGRAM_NGINX") or NGINX_DEFAULT
    return (f"Nginx half skipped: no Nginx build with ngx_wasm_module at {where} "
            f"(set MONOGRAM_NGINX or NGINX_PREFIX to another build; docs/NGINX.md says which build is tested)")


PROXY_WASM = re.compile(r"proxy_wasm monogram '((?:[^'\\]|\\.)*)';")


def deploy_plugin_config():
    """The plugin configuration of deploy/nginx/nginx.conf, as a dict."""
    m = PROXY_WASM.search(SOURCE.read_text())
    return json.loads(re.sub(r"\\(.)", r"\1", m.group(1)))


def quote(config_json):
    """An Nginx single-quoted string: only `\\` and `'` need escaping."""
    return "'" + config_json.replace("\\", "\\\\").replace("'", "\\'") + "'"


def server_block(text):
    """(start, end) of the `server { ... }` block, by its indentation."""
    start = text.index("    server {\n")
    end = text.index("\n    }\n", start) + len("\n    }\n")
    return start, end


def render_config(port, wasm=None, plugin_json=None, workers=2, servers=(), demo=ROOT / "demo",
                  source=SOURCE):
    """deploy/nginx/nginx.conf served on 127.0.0.1:`port`. `servers` adds
    copies of its server on other ports, each (port, plugin_json or None)."""
    text = source.read_text()
    wasm = Path(wasm or os.environ.get("MONOGRAM_WASM",
                                       ROOT / "target/wasm32-wasip1/release/monogram.wasm"))
    text, n = re.subn(r"(?m)^worker_processes \S+;", f"worker_processes {workers};", text)
    assert n == 1
    text, n = re.subn(r"module monogram \S+;", f"module monogram {wasm.resolve()};", text)
    assert n == 1
    text, n = re.subn(r"root /usr/share/nginx/html;", f"root {demo};", text)
    assert n == 1
    start, end = server_block(text)
    template = text[start:end]

    def server(listen, config):
        s, n = re.subn(r"listen 8080;", f"listen 127.0.0.1:{listen};", template)
        assert n == 1
        if config is not None:
            # Every location with the filter (the doors' and the photo route's).
            s, n = PROXY_WASM.subn(lambda _: f"proxy_wasm monogram {quote(config)};", s)
            assert n >= 1
        return s

    blocks = server(port, plugin_json) + "".join(server(p, c) for p, c in servers)
    return text[:start] + blocks + text[end:]


def prepare_prefix(directory):
    """Nginx's prefix: conf/ for the config, logs/ for its logs (the
    config's relative paths and the pre-config error log resolve here)."""
    d = Path(directory)
    (d / "conf").mkdir(parents=True, exist_ok=True)
    (d / "logs").mkdir(exist_ok=True)
    return d


class Nginx:
    name = "nginx"

    def __init__(self, plugin_json=None, workers=2, servers=(), config_text=None, wait=True):
        self.binary = nginx_binary()
        if self.binary is None:
            raise RuntimeError(missing_message())
        self.port = free_port()
        self.dir = prepare_prefix(tempfile.mkdtemp(prefix="monogram-nginx-"))
        self.config = self.dir / "conf/nginx.conf"
        self.config.write_text(config_text(self.port) if config_text else
                               render_config(self.port, plugin_json=plugin_json,
                                             workers=workers, servers=servers))
        self.log = self.dir / "logs/error.log"
        self.proc = subprocess.Popen(
            [str(self.binary), "-p", str(self.dir), "-c", str(self.config), "-g", "daemon off;"],
            cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True)
        if wait:
            self.wait_ready()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self, *args):
        """`nginx -p DIR -c CONF ARGS`, as an operator runs it (-t, -s reload)."""
        return subprocess.run([str(self.binary), "-p", str(self.dir), "-c", str(self.config), *args],
                              capture_output=True, text=True, timeout=60)

    def worker_pids(self):
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return sorted(int(p) for p in out.split())

    def wait_ready(self, timeout=60):
        """Until an avatar is served: the port is open as soon as the master
        listens, but each worker compiles the module before it serves."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx not ready after {timeout} s:\n{self.log_text()}")

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def access_log_text(self):
        try:
            return (self.dir / "logs/access.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self):
        # SIGTERM to the master: fast shutdown of it and its workers.
        stop_session(self.proc)


def main():
    p = argparse.ArgumentParser(description="write the Nginx config `make run-nginx` serves")
    p.add_argument("--port", type=int, default=10080)
    p.add_argument("--dir", default=str(ROOT / "target/nginx"))
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    d = prepare_prefix(args.dir)
    (d / "conf/nginx.conf").write_text(render_config(args.port, workers=args.workers))
    print(d / "conf/nginx.conf")


if __name__ == "__main__":
    sys.exit(main())
