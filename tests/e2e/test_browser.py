"""The demo page in a real browser: headless Debian chromium, driven by
playwright-core (tests/browser), through the real Envoy."""
import json
import os
import re
import shutil
import subprocess
import tempfile
from urllib.parse import urlsplit, parse_qs

from envoy_harness import ROOT

SCREENSHOT = ROOT / "target" / "demo-screenshot.png"


def expected_size(src):
    """The edge an avatar URL asks for: `size` in the query, or in the path
    form /avatar/{size}/{name}.png; the ui-avatars door's default is 64."""
    url = urlsplit(src)
    query = parse_qs(url.query)
    in_path = re.match(r"/avatar/(\d+)/", url.path)
    default = "64" if url.path.startswith("/api/") else "128"
    size = int(in_path.group(1) if in_path else query.get("size", [default])[0])
    return min(max(size, 16), 512)


def test_demo_page_loads_every_avatar_at_its_size(envoy):
    SCREENSHOT.parent.mkdir(exist_ok=True)
    profile = tempfile.mkdtemp(prefix="monogram-chromium-")  # a new, empty profile
    try:
        run = subprocess.run(
            ["node", str(ROOT / "tests/browser/demo.mjs"), f"{envoy.base}/", str(SCREENSHOT), profile],
            capture_output=True, text=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["failures"] == []
    assert result["consoleErrors"] == []
    images = result["images"]
    assert len(images) >= 20, images
    # One avatar through each front door.
    srcs = [img["src"] for img in images]
    assert any(src.startswith("/api/?") for src in srcs), srcs
    assert any(re.match(r"/avatar/\d+/[^/?]+\.png$", src) for src in srcs), srcs
    # A photo and fallbacks through the photo route (its stand-in origin in envoy.yaml).
    assert sum(src.startswith("/photos/") for src in srcs) >= 2, srcs
    for img in images:
        size = expected_size(img["src"])
        assert img["complete"], img
        assert (img["naturalWidth"], img["naturalHeight"]) == (size, size), img
    assert SCREENSHOT.stat().st_size > 10_000
