import http.client
import io
import os
import re
import subprocess

import pytest
from PIL import Image

from envoy_harness import Envoy, ROOT


@pytest.fixture(scope="session")
def envoy():
    e = Envoy()
    try:
        yield e
    finally:
        e.stop()


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def image(self):
        return Image.open(io.BytesIO(self.body))


def request(envoy, path, method="GET", headers=None):
    """One request on a fresh connection (so requests spread over the workers)."""
    conn = http.client.HTTPConnection("127.0.0.1", envoy.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, body)
    finally:
        conn.close()


def native_render(path):
    """The same avatar from the native renderer (examples/render.rs)."""
    exe = os.environ.get("MONOGRAM_RENDER", str(ROOT / "target/tools/release/examples/render"))
    out = subprocess.run([exe, path, "/dev/stdout"], check=True, capture_output=True)
    return out.stdout


def readme_snippet(name):
    """The fenced code block after `<!-- snippet: name -->` in README.md: the
    tests run the README's snippets as written."""
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- snippet: " + re.escape(name) + r" -->\n```\w*\n(.*?)```", text, re.S)
    assert m, f"README.md has no snippet '{name}'"
    return m.group(1)
