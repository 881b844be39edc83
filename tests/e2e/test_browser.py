"""The demo page in a real browser: headless Debian chromium, driven by
playwright-core (tests/browser), through the real Envoy."""
import json
import os
import shutil
import subprocess
import tempfile
from urllib.parse import urlsplit, parse_qs

from envoy_harness import ROOT

SCREENSHOT = ROOT / "target" / "demo-screenshot.png"


def expected_size(src):
    query = parse_qs(urlsplit(src).query)
    size = int(query.get("size", ["128"])[0])
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
    for img in images:
        size = expected_size(img["src"])
        assert img["complete"], img
        assert (img["naturalWidth"], img["naturalHeight"]) == (size, size), img
    assert SCREENSHOT.stat().st_size > 10_000
