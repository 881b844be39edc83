"""Istio's two Wasm image layouts through a real registry (Debian's
docker-registry, distribution 2.8, on 127.0.0.1 with its own port and
storage): the README's commands push each image, another client pulls it
back, the module comes out byte for byte, and Envoy serves avatars loading
the pulled file.

- oci layout (`make dist`, pushed by skopeo): read back over the registry's
  HTTP API the way Istio's image fetcher reads it (the manifest, then the
  layer of the Wasm media type).
- compat layout (`make oci`, built and pushed by docker): pulled back by
  skopeo, plugin.wasm taken from its one layer."""
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

import docker_harness
from conftest import native_render, readme_snippet, request
from envoy_harness import Envoy, ROOT, render_config

pytestmark = pytest.mark.docker

WASM = Path(os.environ.get("MONOGRAM_WASM", ROOT / "target/wasm32-wasip1/release/monogram.wasm")).resolve()
VERSION = re.search(r'^version = "(.*)"$', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm"
WASM_CONFIG = "application/vnd.module.wasm.config.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def registry():
    if not os.access(docker_harness.REGISTRY, os.X_OK):
        reason = f"no {docker_harness.REGISTRY} (apt-get install docker-registry)"
        docker_harness.REPORT.append(f"Registry tests skipped: {reason}")
        pytest.skip(reason)
    r = docker_harness.Registry()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def client_env(registry):
    """The registry's certificate trusted; no make variables of the run."""
    return {k: v for k, v in registry.env.items() if not k.startswith("MAKE")}


def run_readme_commands(name, repository, env):
    """The README's snippet as written, with our registry for the example one."""
    text = readme_snippet(name)
    example = f"ghcr.io/your-org/monogram:{VERSION}"
    assert example in text, f"README snippet {name}: the image is {example} (Cargo.toml's version)"
    run = subprocess.run(["bash", "-euxc", text.replace("ghcr.io/your-org", repository)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr


def serve_avatar_with(module):
    """Envoy with envoy.yaml loading `module`: the avatar of the quick start."""
    config = lambda port, admin: render_config(port, admin).replace(str(WASM), str(module))  # noqa: E731
    assert str(WASM) in render_config(1, 2)
    e = Envoy(config_text=config)
    try:
        r = request(e, "/avatar/Ada%20Lovelace")
        assert r.status == 200 and r.header("content-type") == "image/png"
        assert r.body == native_render("/avatar/Ada%20Lovelace")
    finally:
        e.stop()


def test_oci_layout_pushed_by_skopeo_is_what_istio_reads(registry, client_env, tmp_path):
    run_readme_commands("istio-oci", f"{registry.host}/oci", client_env)
    kind, raw = registry.get(f"oci/monogram/manifests/{VERSION}",
                             accept=f"{OCI_MANIFEST}, {DOCKER_MANIFEST}")
    manifest = json.loads(raw)
    assert kind == OCI_MANIFEST and manifest["mediaType"] == OCI_MANIFEST
    # Istio's fetcher takes an OCI manifest with exactly two layers, one of
    # them the module, as the oci variant.
    assert [layer["mediaType"] for layer in manifest["layers"]] == [WASM_CONFIG, WASM_LAYER]
    assert manifest["config"]["mediaType"] == WASM_CONFIG
    layer = manifest["layers"][1]
    _, module = registry.get(f"oci/monogram/blobs/{layer['digest']}")
    assert layer["digest"] == "sha256:" + sha256(module)
    assert sha256(module) == sha256(WASM.read_bytes())
    _, runtime = registry.get(f"oci/monogram/blobs/{manifest['layers'][0]['digest']}")
    assert json.loads(runtime) == {"type": "envoy_proxy", "abiVersions": ["proxy_abi_version_0_2_1"],
                                   "config": {"root_ids": ["monogram"]}}
    pulled = tmp_path / "plugin.wasm"
    pulled.write_bytes(module)
    serve_avatar_with(pulled)


def test_compat_image_pushed_by_docker_pulled_by_skopeo(registry, client_env, docker_engine, tmp_path):
    env = {**client_env, **{k: v for k, v in docker_engine.env.items() if k == "DOCKER_HOST"}}
    image = f"{registry.host}/compat/monogram:{VERSION}"
    run_readme_commands("istio-compat", f"{registry.host}/compat", env)
    out = tmp_path / "pulled"
    run = subprocess.run(["skopeo", "copy", f"docker://{image}", f"dir:{out}"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mediaType"] == DOCKER_MANIFEST
    # Istio's compat variant: one gzipped tar layer holding plugin.wasm.
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == DOCKER_LAYER
    blob = (out / layer["digest"].split(":", 1)[1]).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
        assert names == ["plugin.wasm"], names
        module = tar.extractfile("plugin.wasm").read()
    assert sha256(module) == sha256(WASM.read_bytes())
    pulled = tmp_path / "plugin.wasm"
    pulled.write_bytes(module)
    serve_avatar_with(pulled)
    docker_engine.docker("rmi", image, check=False)
