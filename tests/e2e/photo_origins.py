"""Tiny local photo origins for tests/e2e/test_photo.py, one per process:

    python3 photo_origins.py MODE PORT LOG

MODE `error` answers 500 to everything; `hang` accepts and reads the request
and never answers (the route's timeout ends it); `gravatar` answers as
Gravatar does with `d=404`: 404 for an unknown hash, the photo for KNOWN_HASH;
`presigned` is a private S3 bucket reached by pre-signed URLs: it answers
only a query that is exactly the one in the file LOG.query (the pre-signed
query the test made; else 400, which no host falls back on), with the photo
for PRESIGNED_KEY and S3's 403 AccessDenied for any other key (S3's answer
for a missing key when listing is not allowed).
Each request's method and target are appended to LOG, one line each, so a
test can see what the origin was asked. Started with setsid, stopped by PID.
"""
import hashlib
import sys
import threading
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The one address this Gravatar stand-in knows, by its hash as Gravatar keys it.
KNOWN_HASH = hashlib.md5(b"photo@example.com").hexdigest()
PHOTO = b"\xff\xd8\xff\xe0 a gravatar photo \xff\xd9"
# The one object of the `presigned` bucket, by its path.
PRESIGNED_KEY = "/photos/ada.jpg"


def handler(mode, log):
    class Origin(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self):
            with open(log, "a") as f:
                f.write(f"{self.command} {self.path}\n")
            if mode == "hang":
                threading.Event().wait()
            if mode == "error":
                self.send(500, "text/plain", b"origin exploded\n")
            elif mode == "gravatar" and self.path.split("?")[0] == f"/avatar/{KNOWN_HASH}":
                self.send(200, "image/jpeg", PHOTO, {"cache-control": "max-age=300", "etag": '"g1"'})
            elif mode == "presigned":
                self.presigned()
            else:
                self.send(404, "text/html; charset=utf-8", b"404 Not Found")

        def presigned(self):
            path, _, query = self.path.partition("?")
            expected = Path(log + ".query")
            if not expected.exists() or query != expected.read_text():
                self.send(400, "text/plain", b"not the pre-signed query\n")
            elif path == PRESIGNED_KEY:
                self.send(200, "image/jpeg", PHOTO, {"cache-control": "private, max-age=60"})
            else:
                self.send(403, "application/xml", b"<Error><Code>AccessDenied</Code></Error>",
                          {"x-amz-request-id": "0"})

        def send(self, status, content_type, body, headers=None):
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            self.answer()

        def do_HEAD(self):
            self.answer()

    return Origin


def main():
    mode, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    server = ThreadingHTTPServer(("127.0.0.1", port), handler(mode, log))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
