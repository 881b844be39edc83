"""A Docker engine for the deployment tests, and a container registry.

engine() gives the engine `docker` already talks to when one answers;
otherwise it starts Debian's dockerd (docker.io) in its own session, with its
data root, exec root, pidfile and socket under ~/.cache/monogram/docker
(MONOGRAM_CACHE), and stop() stops it by its PID (MONOGRAM_DOCKERD names
another dockerd). The data root is kept, so
images built once (the stand-in Envoy image, its Debian base) are there on
the next run. A lock file keeps two test sessions on this machine from
starting two engines on one data root: the second waits for the first.
Where no engine can run, engine() returns the one-line reason instead.

Registry runs Debian's docker-registry (distribution 2.8) on 127.0.0.1 with
a free port, its own storage directory and a certificate of its own,
stopped by its PID.
"""
import fcntl
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from envoy_harness import free_port, stop_session

CACHE = Path(os.environ.get("MONOGRAM_CACHE", Path.home() / ".cache/monogram"))
DOCKERD = os.environ.get("MONOGRAM_DOCKERD") or shutil.which("dockerd") or "/usr/sbin/dockerd"
REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"

# One line each, printed at the end of the pytest run (conftest.py): where
# the engine came from, whether the stand-in image was built.
REPORT = []


def _docker_answers(env):
    try:
        run = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                             env=env, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


class Engine:
    def __init__(self, env, version, proc=None, lock=None, pid=None):
        self.env = env
        self.version = version
        self.proc = proc
        self.lock = lock
        self.pid = pid

    def docker(self, *args, check=True, timeout=600, **kw):
        run = subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True,
                             timeout=timeout, **kw)
        if check and run.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)}: {run.returncode}\n{run.stdout}{run.stderr}")
        return run

    def has_image(self, ref):
        return self.docker("image", "inspect", ref, check=False).returncode == 0

    def stop(self):
        if self.proc is not None:
            stop_session(self.proc)
        elif self.pid is not None:
            # An engine left by an interrupted run: stopped by its pidfile's PID.
            _stop_pid(self.pid)
        if self.lock is not None:
            self.lock.close()


def _stop_pid(pid):
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    for _ in range(300):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass


def engine():
    """An Engine, or a string saying why there is none."""
    if shutil.which("docker") is None:
        return "no docker client (apt-get install docker.io)"
    version = _docker_answers(os.environ)
    if version:
        REPORT.append(f"Docker: the running engine {version} ({os.environ.get('DOCKER_HOST', 'default socket')})")
        return Engine(dict(os.environ), version)
    if os.geteuid() != 0:
        return "no Docker engine is running and dockerd needs root to start one"
    if not os.access(DOCKERD, os.X_OK):
        return f"no Docker engine is running and there is no {DOCKERD} (apt-get install docker.io)"
    home = CACHE / "docker"
    home.mkdir(parents=True, exist_ok=True)
    lock = open(home / "lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    socket = home / "docker.sock"
    env = {**os.environ, "DOCKER_HOST": f"unix://{socket}"}
    pidfile = home / "dockerd.pid"
    version = _docker_answers(env)
    if version:
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            pid = None
        fate = f"PID {pid}, used and stopped" if pid else "no pidfile, used and left running"
        REPORT.append(f"Docker: dockerd {version} left running by an interrupted run ({fate})")
        return Engine(env, version, lock=lock, pid=pid)
    log = open(home / "dockerd.log", "w")
    proc = subprocess.Popen(
        [DOCKERD, "--data-root", str(home / "data"), "--exec-root", str(home / "exec"),
         "--pidfile", str(pidfile), "-H", f"unix://{socket}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        if proc.poll() is not None:
            lock.close()
            tail = (home / "dockerd.log").read_text().strip().splitlines()[-1:]
            return f"dockerd could not start (exit {proc.returncode}): {' '.join(tail)}"
        version = _docker_answers(env)
        if version:
            REPORT.append(f"Docker: started dockerd {version} for the tests (data root {home / 'data'}, "
                          f"PID {proc.pid}), stopped afterwards")
            return Engine(env, version, proc=proc, lock=lock)
        time.sleep(0.1)
    stop_session(proc)
    lock.close()
    return "dockerd started but did not answer within 30 s (see ~/.cache/monogram/docker/dockerd.log)"


class Registry:
    """Debian's docker-registry on https://127.0.0.1:<free port>, with a
    certificate made for the run: clients trust it through `env`
    (SSL_CERT_FILE: the system's authorities and this one) or `ssl_context`,
    as they would a real registry, so the commands they run are unchanged."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="monogram-registry-"))
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        bundle = self.dir / "ca-bundle.pem"
        system = Path("/etc/ssl/certs/ca-certificates.crt")
        bundle.write_bytes((system.read_bytes() if system.exists() else b"") + cert.read_bytes())
        self.env = {**os.environ, "SSL_CERT_FILE": str(bundle)}
        self.ssl_context = ssl.create_default_context(cafile=str(cert))
        config = self.dir / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.dir / 'storage'}}}}}\n"
            f"http: {{addr: '{self.host}', tls: {{certificate: {cert}, key: {key}}}}}\n")
        self.log = open(self.dir / "registry.log", "w")
        self.proc = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError((self.dir / "registry.log").read_text())
            try:
                self.get("")
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("docker-registry did not answer in 30 s")

    def get(self, path, accept=None):
        """(content type, body) of GET /v2/<path>."""
        req = urllib.request.Request(f"https://{self.host}/v2/{path}",
                                     headers={"Accept": accept} if accept else {})
        with urllib.request.urlopen(req, timeout=30, context=self.ssl_context) as r:
            return r.headers.get("content-type"), r.read()

    def stop(self):
        stop_session(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
