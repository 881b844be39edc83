"""Starts the real Envoy with the project's envoy.yaml on free ports.

The config is the repository's envoy.yaml with only the ports, the wasm path
and the demo page path rewritten, so tests exercise the file users copy.
Envoy runs in its own session (setsid) and is always stopped by PID.
"""
import fcntl
import os
import random
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# Ports are handed out below the kernel's ephemeral range (32768 and up on
# Linux), so no client connection can take one between the pick and the bind.
PORTS = range(20000, 32000)
PORT_LOCKS = Path(tempfile.gettempdir()) / "monogram-ports"
# A port stays locked until its server has surely bound it; the oldest locks
# are let go once this many are held.
HELD_LOCKS = 256
_held = []


def free_port():
    """A port on 127.0.0.1 that is free now and that no other test process
    picks before its server binds it.

    The Envoy range runs side by side (`make e2e`), and Envoy listens with
    SO_REUSEPORT: two Envoys given one port would both bind it and split its
    traffic, so a test would read another Envoy's answers. A pick is therefore
    locked (flock on a file named after the port, released when this process
    ends or after HELD_LOCKS later picks), and checked free by a bind without
    SO_REUSEPORT, which fails against any server already listening."""
    PORT_LOCKS.mkdir(exist_ok=True)
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.choice(PORTS)
        lock = open(PORT_LOCKS / str(port), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            lock.close()
            continue
        _held.append(lock)
        if len(_held) > HELD_LOCKS:
            _held.pop(0).close()
        return port
    raise RuntimeError(f"no free port in {PORTS} after 1000 tries")


def render_config(listen_port, admin_port, source=ROOT / "envoy.yaml", extra_json=None):
    text = source.read_text()
    text = text.replace("port_value: 10000", f"port_value: {listen_port}")
    text = text.replace("port_value: 9901", f"port_value: {admin_port}")
    # The demo photo origin's listener, and the photo cluster that points at it.
    text = text.replace("port_value: 10001", f"port_value: {free_port()}")
    wasm = Path(os.environ.get("MONOGRAM_WASM", ROOT / "target/wasm32-wasip1/release/monogram.wasm"))
    text = re.sub(r"filename: target/wasm32-wasip1/release/monogram.wasm",
                  f"filename: {wasm.resolve()}", text)
    text = text.replace("filename: demo/index.html", f"filename: {ROOT / 'demo/index.html'}")
    if extra_json is not None:
        text = re.sub(r"(value: \|\n)(\s+)\{\n(?:\2.*\n)*?\2\}\n",
                      lambda m: m.group(1) + m.group(2) + extra_json + "\n", text, count=1)
    return text


class Envoy:
    name = "envoy"

    def __init__(self, config_text=None, concurrency=2, env=None, args=(), binary=None):
        self.port = free_port()
        self.admin_port = free_port()
        self.dir = tempfile.mkdtemp(prefix="monogram-envoy-")
        self.config = Path(self.dir) / "envoy.yaml"
        self.config.write_text(config_text(self.port, self.admin_port) if config_text
                               else render_config(self.port, self.admin_port))
        self.log = Path(self.dir) / "envoy.log"
        envoy = binary or os.environ.get("MONOGRAM_ENVOY", str(ROOT / "venv/bin/envoy"))
        self.proc = subprocess.Popen(
            [envoy, "-c", str(self.config), "--concurrency", str(concurrency),
             "--use-dynamic-base-id", "--log-level", "info", "--log-path", str(self.log), *args],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, **(env or {})})
        self._wait_ready()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"envoy exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"envoy not ready after 60 s:\n{self.log_text()}")

    def admin(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}{path}", timeout=10) as r:
            return r.read().decode()

    def stats(self, prefix=""):
        out = {}
        for line in self.admin("/stats").splitlines():
            name, _, value = line.partition(": ")
            if name.startswith(prefix):
                out[name] = value
        return out

    def log_text(self):
        try:
            return self.log.read_text()
        except OSError:
            return ""

    def stop(self):
        stop_session(self.proc)


def stop_session(proc):
    """SIGTERM to the session a server was started in (by its PID), then
    SIGKILL if it has not gone in 20 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
