"""Steady, bounded load on a local Envoy for the operations tests
(test_reconfigure.py, test_trap.py): a few client threads, each on its own
keep-alive connection, and one that opens a fresh connection per request,
cycling through a list of paths until stopped or until each has sent its
quota. Every request becomes a Record; a failed connection (reset, closed
mid-answer, refused) is a Record with `error` set, and the thread reconnects.

`stamp` is read just before each request is sent and just after its answer
is read, so a test can tell which of its own events (a configuration change,
a trap) a request's whole life fell between, without relying on timing.
"""
import http.client
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Record:
    thread: int
    path: str
    before: object          # stamp() just before sending
    after: object = None    # stamp() just after the answer was read
    status: int = 0
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    error: str = ""         # set when the connection failed instead of answering
    sent_etag: str = ""     # If-None-Match sent, if any
    t0: float = 0.0         # time.monotonic() at send and at answer: printed, never asserted
    t1: float = 0.0


class SteadyLoad:
    def __init__(self, port, paths, keepalive=3, fresh=1, quota=3000, stamp=lambda: None,
                 revalidate=False):
        """`revalidate`: every other request on a keep-alive connection sends
        If-None-Match with the last ETag that thread got for that path."""
        self.port = port
        self.paths = list(paths)
        self.quota = quota
        self.stamp = stamp
        self.revalidate = revalidate
        self.records = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i, i >= keepalive), daemon=True)
                        for i in range(keepalive + fresh)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in self.threads), "a load thread did not stop"

    def _connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def _run(self, index, fresh):
        conn = None
        etags = {}
        for n in range(self.quota):
            if self.stopping.is_set():
                break
            path = self.paths[(n + index * 7) % len(self.paths)]
            headers = {"Connection": "close"} if fresh else {}
            etag = etags.get(path) if self.revalidate and not fresh and n % 2 else None
            if etag:
                headers["If-None-Match"] = etag
            rec = Record(thread=index, path=path, before=self.stamp(), sent_etag=etag or "")
            rec.t0 = time.monotonic()
            try:
                if conn is None:
                    conn = self._connect()
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                rec.body = r.read()
                rec.status = r.status
                rec.headers = {k.lower(): v for k, v in r.getheaders()}
                if rec.status == 200 and "etag" in rec.headers:
                    etags[path] = rec.headers["etag"]
                if fresh or r.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                rec.error = f"{type(e).__name__}: {e}"
                if conn is not None:
                    conn.close()
                conn = None
            rec.t1 = time.monotonic()
            rec.after = self.stamp()
            self.records.append(rec)
        if conn is not None:
            conn.close()

    def count(self, predicate):
        return sum(1 for r in list(self.records) if predicate(r))


def wait_until(condition, what, tries=2000, pause=0.005):
    """Polls `condition` up to `tries` times; the bound is a count, and
    failing it fails the test with `what`."""
    for _ in range(tries):
        if condition():
            return
        time.sleep(pause)
    raise AssertionError(f"gave up waiting for {what} after {tries} tries")
