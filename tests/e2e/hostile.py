"""Low-level clients for hostile requests: raw HTTP/1 bytes on a socket, and
an HTTP/2 prior-knowledge (h2c) client that sends header bytes unvalidated."""
import socket

import h2.config
import h2.connection
import h2.events


class Raw:
    """A response read off the wire: status, lower-cased headers, body."""

    def __init__(self, status, headers, body, reset=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.reset = reset

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"Raw({self.status}, {self.headers}, {self.body[:80]!r}, reset={self.reset})"


def http1(port, data, timeout=10):
    """Sends `data` as is on a fresh connection and reads one response. Stops
    at the end of the body rather than waiting for the close, which Envoy
    delays (delayed_close_timeout) until the client has gone."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while b"\r\n\r\n" not in out:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        head, _, body = out.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1]) if lines[0].startswith(b"HTTP/") else None
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        bodyless = data.startswith(b"HEAD ") or status in (204, 304)
        chunked = not bodyless and headers.get("transfer-encoding") == "chunked"
        if chunked:
            # Nginx frames the filter's GET answers in chunks.
            while not body.endswith(b"0\r\n\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
            body = dechunk(body)
        else:
            want = 0 if bodyless else int(headers.get("content-length", -1))
            while want < 0 or len(body) < want:
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
    return Raw(status, headers, body)


def dechunk(data):
    """The payload of a chunked body (no trailers)."""
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2:]
    return out


def request_line(target, method=b"GET", version=b"HTTP/1.1", headers=b""):
    return (method + b" " + target + b" " + version + b"\r\nHost: monogram.test\r\n"
            + headers + b"Connection: close\r\n\r\n")


def h2c(port, path, method=b"GET", headers=(), timeout=10):
    """One request on a fresh HTTP/2 prior-knowledge connection."""
    config = h2.config.H2Configuration(
        client_side=True, header_encoding=None, validate_outbound_headers=False,
        normalize_outbound_headers=False, validate_inbound_headers=False)
    conn = h2.connection.H2Connection(config=config)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        conn.initiate_connection()
        s.sendall(conn.data_to_send())
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [(b":method", method), (b":scheme", b"http"),
                                (b":authority", b"monogram.test"), (b":path", path),
                                *headers], end_stream=True)
        s.sendall(conn.data_to_send())
        status, hdrs, body, reset, done = None, {}, b"", None, False
        while not done:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                reset = "connection reset"
                break
            if not data:
                reset = reset or (None if done else "connection closed")
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    for k, v in ev.headers:
                        if k == b":status":
                            status = int(v)
                        else:
                            hdrs[k.decode("latin-1")] = v.decode("latin-1")
                elif isinstance(ev, h2.events.DataReceived):
                    body += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    done = True
                elif isinstance(ev, h2.events.StreamReset):
                    reset, done = ev.error_code, True
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    reset, done = ev.error_code, True
            s.sendall(conn.data_to_send())
        conn.close_connection()
        try:
            s.sendall(conn.data_to_send())
        except OSError:
            pass
    return Raw(status, hdrs, body, reset)
