"""The release artifacts of `make dist` (dist/, named after Cargo.toml's
version) and CHANGELOG.md, which starts with that version."""
import hashlib
import json
import os
import re
import tarfile
from pathlib import Path

from envoy_harness import ROOT

WASM = Path(os.environ.get("MONOGRAM_WASM", ROOT / "target/wasm32-wasip1/release/monogram.wasm")).resolve()
VERSION = re.search(r'^version = "(.*)"$', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_dist_holds_the_module_its_image_and_their_sums():
    dist = ROOT / "dist"
    names = {f"monogram-{VERSION}.wasm", f"monogram-{VERSION}.oci.tar"}
    assert {p.name for p in dist.iterdir()} == names | {"SHA256SUMS"}, "run make dist"
    sums = dict(reversed(line.split("  ")) for line in (dist / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == names
    for name in names:
        assert sums[name] == sha256((dist / name).read_bytes()), name
    assert (dist / f"monogram-{VERSION}.wasm").read_bytes() == WASM.read_bytes()
    with tarfile.open(dist / f"monogram-{VERSION}.oci.tar") as tar:
        index = json.load(tar.extractfile("index.json"))
        (entry,) = index["manifests"]
        assert entry["annotations"]["org.opencontainers.image.ref.name"] == VERSION
        manifest = json.load(tar.extractfile("blobs/sha256/" + entry["digest"].split(":")[1]))
        digest = manifest["layers"][1]["digest"].split(":")[1]
        assert digest == sha256(WASM.read_bytes())
        assert tar.extractfile("blobs/sha256/" + digest).read() == WASM.read_bytes()


def test_the_changelog_starts_with_this_version_and_its_render_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    first = re.search(r"^## (\S+)", text, re.M).group(1)
    assert first == VERSION, f"CHANGELOG.md starts with {first}; Cargo.toml says {VERSION}"
    section = text.split(f"## {first}", 1)[1].split("\n## ", 1)[0]
    sources = "".join(p.read_text() for p in sorted((ROOT / "src").rglob("*.rs")))
    render = re.search(r'RENDER_VERSION: &str = "([^"]+)"', sources).group(1)
    assert f"`{render}`" in section, f"CHANGELOG.md's {first} does not name RENDER_VERSION {render}"
