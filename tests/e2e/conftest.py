import http.client
import io
import subprocess
import os

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
    exe = os.environ.get("MONOGRAM_RENDER", str(ROOT / "target/release/examples/render"))
    out = subprocess.run([exe, path, "/dev/stdout"], check=True, capture_output=True)
    return out.stdout
