"""docker-compose.yaml, first without a Docker engine: the image matches the
tested Envoy, every mounted file exists and lands where envoy.yaml looks for
it, and the service's own command, run in a directory laid out like the
container's, hands Envoy a configuration that validates. Then on a real
engine (docker_harness): `make demo` runs the unchanged file and the
published ports answer as the README says; `down` leaves no container."""
import glob
import os
import re
import socket
import stat
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

import docker_harness
from conftest import native_render, quick_start
from envoy_harness import ROOT, stop_session
from test_metrics import wait_for

ENVOY = os.environ.get("MONOGRAM_ENVOY", str(ROOT / "venv/bin/envoy"))


@pytest.fixture(scope="module")
def service():
    compose = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    assert list(compose["services"]) == ["envoy"]
    return compose["services"]["envoy"]


def test_image_is_the_tested_envoy_release(service):
    out = subprocess.run([ENVOY, "--version"], check=True, capture_output=True, text=True).stdout
    version = re.search(r"/(\d+\.\d+\.\d+)/", out).group(1)
    assert service["image"] == f"envoyproxy/envoy:v{version}"


def mounts(service):
    workdir = service["working_dir"]
    for v in service["volumes"]:
        # The long syntax: unlike "src:dst", it never creates a missing source
        # as an empty directory.
        assert isinstance(v, dict) and v["type"] == "bind", v
        assert v["read_only"] is True, v
        source = (ROOT / v["source"]).resolve()
        relative = os.path.relpath(v["target"], workdir)
        yield source, relative


def test_every_mounted_file_exists_at_the_path_envoy_yaml_uses(service):
    seen = set()
    for source, relative in mounts(service):
        assert source.exists(), f"{source} is mounted but missing (run `make build`?)"
        assert not relative.startswith(".."), relative
        # Same relative path inside as outside: envoy.yaml's relative
        # filenames resolve from the working directory in both.
        assert source == (ROOT / relative).resolve(), (source, relative)
        seen.add(relative)
    assert "envoy.yaml" in seen
    referenced = re.findall(r"filename: (\S+)", (ROOT / "envoy.yaml").read_text())
    assert referenced, "envoy.yaml names no files?"
    for name in referenced:
        assert any(name == m or name.startswith(m + "/") for m in seen), \
            f"envoy.yaml uses {name}, which the compose file does not mount"


def test_published_ports_are_the_ones_envoy_yaml_uses(service):
    text = (ROOT / "envoy.yaml").read_text()
    # Less the demo photo origin's, which only Envoy itself calls.
    ports = set(re.findall(r"port_value: (\d+)", text)) - {"10001"}
    published = {p.split(":")[-1] for p in service["ports"]}
    assert published == ports
    for p in service["ports"]:
        assert p.startswith("127.0.0.1:"), f"{p}: publish on the host's loopback only"


def compose_unescape(s):
    """Compose interpolates ${VAR} and $VAR in the file; `$$` is a literal `$`."""
    assert not re.search(r"\$(?!\$)", s.replace("$$", "")), f"unexpected interpolation in {s!r}"
    return s.replace("$$", "$")


def test_the_service_command_gives_envoy_a_config_that_validates(service):
    command = [compose_unescape(c) for c in service["command"]]
    assert command[:2] == ["/bin/sh", "-c"]
    with tempfile.TemporaryDirectory(prefix="monogram-compose-") as tmp:
        tmp = Path(tmp)
        workdir = tmp / "container"
        for source, relative in mounts(service):
            (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
            (workdir / relative).symlink_to(source)
        # `envoy` on the PATH: records its arguments, then runs the tested
        # Envoy in validate mode with them.
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "envoy"
        shim.write_text(f'#!/bin/sh\nprintf "%s\\0" "$@" > "{tmp}/args"\n'
                        f'exec "{Path(ENVOY).resolve()}" --mode validate "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
        env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
        run = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "OK" in run.stdout + run.stderr
        args = (tmp / "args").read_text().split("\0")[:-1]
    config = args[args.index("--config-yaml") + 1]
    original = (ROOT / "envoy.yaml").read_text()
    # The only difference from envoy.yaml: the two bind addresses (and the
    # final newline, which $(...) drops).
    assert config == original.rstrip("\n").replace("address: 127.0.0.1, port_value: 10000",
                                      "address: 0.0.0.0, port_value: 10000") \
                             .replace("address: 127.0.0.1, port_value: 9901",
                                      "address: 0.0.0.0, port_value: 9901")
    assert config != original
    parsed = yaml.safe_load(config)
    assert parsed["admin"]["address"]["socket_address"]["address"] == "0.0.0.0"
    listeners = {l["name"]: l["address"]["socket_address"] for l in parsed["static_resources"]["listeners"]}
    assert (listeners["main"]["address"], listeners["main"]["port_value"]) == ("0.0.0.0", 10000)
    # The demo photo origin stays inside the container: only Envoy calls it.
    origin = listeners["demo_photo_origin"]
    assert (origin["address"], origin["port_value"]) == ("127.0.0.1", 10001)


# --- on a Docker engine ---------------------------------------------------------

PROJECT = "monogram-e2e"  # the tests' compose project, apart from a user's `make demo`


def venv_envoy_binary():
    """The Envoy binary of MONOGRAM_ENVOY's venv (the Python shim execs it)."""
    venv = Path(ENVOY).resolve().parent.parent
    found = glob.glob(str(venv / "lib/python3*/site-packages/envoy/_bin/envoy"))
    assert found, f"no site-packages/envoy/_bin/envoy under {venv}"
    return found[0]


def ensure_image(engine, tag):
    """`tag` in the engine: as it is, else pulled, else the stand-in built
    from deploy/envoy-image. One line at the end of the run says which."""
    if engine.has_image(tag):
        label = engine.docker("image", "inspect", "--format",
                              '{{index .Config.Labels "org.monogram.stand-in"}}', tag).stdout.strip()
        what = "the stand-in from deploy/envoy-image" if label not in ("", "<no value>") else "not a stand-in"
        docker_harness.REPORT.append(f"{tag}: already in the engine ({what}), not rebuilt")
        return
    pull = engine.docker("pull", "-q", tag, check=False, timeout=300)
    if pull.returncode == 0:
        docker_harness.REPORT.append(f"{tag}: pulled the official image")
        return
    why = (pull.stderr.strip().splitlines() or ["?"])[-1]
    start = time.monotonic()
    run = subprocess.run([str(ROOT / "deploy/envoy-image/build.sh"), venv_envoy_binary(), tag],
                         env=engine.env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout + run.stderr
    docker_harness.REPORT.append(
        f"{tag}: not in the engine and not pullable ({why}); built the stand-in from "
        f"deploy/envoy-image in {time.monotonic() - start:.0f} s")


def port_taken(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def compose_command():
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if subprocess.run(["docker-compose", "version"], capture_output=True).returncode == 0:
        return ["docker-compose"]
    return None


def fetch(url):
    for _ in range(600):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url}: no answer in 120 s")


@pytest.mark.docker
def test_make_demo_serves_the_readme_answer_and_leaves_no_container(service, docker_engine):
    compose = compose_command()
    if compose is None:
        docker_harness.REPORT.append("Compose demo skipped: neither `docker compose` nor docker-compose")
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    busy = [p for p in (10000, 9901) if port_taken(p)]
    if busy:
        docker_harness.REPORT.append(f"Compose demo skipped: 127.0.0.1:{busy} in use by another process")
        pytest.skip(f"127.0.0.1:{busy} in use: the compose file publishes 10000 and 9901")
    ensure_image(docker_engine, service["image"])
    env = {k: v for k, v in docker_engine.env.items() if not k.startswith("MAKE")}
    env["COMPOSE_PROJECT_NAME"] = PROJECT
    log = open(Path(tempfile.mkdtemp(prefix="monogram-demo-")) / "make-demo.log", "w+")
    demo = subprocess.Popen(["make", "--no-print-directory", "demo"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def containers():
        return docker_engine.docker("ps", "-aq", "--filter",
                                    f"label=com.docker.compose.project={PROJECT}").stdout.split()
    try:
        status, body = fetch("http://127.0.0.1:10000/avatar/Ada%20Lovelace")
        # The README's quick start against the container: its own port.
        got, expected = quick_start(10000)
        assert got == expected
        assert status == 200 and body == native_render("/avatar/Ada%20Lovelace")
        status, page = fetch("http://127.0.0.1:10000/")
        assert status == 200 and page == (ROOT / "demo/index.html").read_bytes()

        def rendered():
            _, text = fetch("http://127.0.0.1:9901/stats/prometheus")
            m = re.search(rb'^monogram_requests\{outcome="rendered"\} (\d+)$', text, re.M)
            return m and int(m.group(1)) >= 1
        wait_for(rendered, "the render counted in the container's admin metrics")
        # Envoy runs as the image's user envoy (uid 101), not as root.
        (container,) = containers()
        pid = docker_engine.docker("inspect", "--format", "{{.State.Pid}}", container).stdout.strip()
        status_file = Path(f"/proc/{pid}/status")
        if status_file.exists():  # the engine runs on this machine
            uid = re.search(r"^Uid:\s+(\d+)", status_file.read_text(), re.M).group(1)
            assert uid == "101"
    finally:
        down = subprocess.run([*(compose or ["docker-compose"]), "down"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        try:
            demo.wait(timeout=60)  # `up` returns once its container is gone
        except subprocess.TimeoutExpired:
            stop_session(demo)
        log.seek(0)
        output = log.read()
        log.close()
    assert down.returncode == 0, down.stdout + down.stderr
    assert containers() == [], "compose down left a container"
    assert f"{' '.join(compose)} up" in output, output[:2000]
