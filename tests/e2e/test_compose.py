"""docker-compose.yaml: no Docker engine runs here, so instead of `docker compose
up` this checks what the container would get: the image matches the tested
Envoy, every mounted file exists and lands where envoy.yaml looks for it, and
the service's own command, run in a directory laid out like the container's,
hands Envoy a configuration that validates."""
import os
import re
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from envoy_harness import ROOT

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
