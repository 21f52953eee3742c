"""HTTP/1.1 message framing for the HTTP toxics (status_code, header, modify_body)."""

from __future__ import annotations

from typing import Any

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_MAX_HEAD = 64 * 1024


class HttpMessage:
    """One complete HTTP/1.x message: start line, headers (ordered) and a de-chunked body."""

    __slots__ = ("body", "headers", "start")

    def __init__(self, start: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.start = start
        self.headers = headers
        self.body = body

    def set_header(self, name: str, value: str) -> None:
        key = name.lower().encode("latin-1")
        self.headers = [(k, v) for k, v in self.headers if k.lower() != key]
        self.headers.append((name.encode("latin-1"), value.encode("latin-1")))

    def drop_header(self, name: bytes) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name]

    def serialize(self) -> bytes:
        self.drop_header(b"transfer-encoding")
        if self.body or not self.start.startswith(b"HTTP/") or _has_body(self.start):
            self.set_header("Content-Length", str(len(self.body)))
        head = self.start + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in self.headers)
        return head + b"\r\n" + self.body


def _has_body(start: bytes) -> bool:
    parts = start.split(b" ", 2)
    try:
        code = int(parts[1])
    except (IndexError, ValueError):
        return True
    return not (100 <= code < 200 or code in (204, 304))


class Framer:
    """Cuts a byte stream into complete HTTP messages; falls back to raw bytes when it cannot."""

    __slots__ = ("buf", "raw", "request")

    def __init__(self, *, request: bool) -> None:
        self.request = request
        self.buf = b""
        self.raw = False

    def feed(self, data: bytes) -> list[HttpMessage | bytes]:
        if self.raw:
            return [data]
        self.buf += data
        out: list[HttpMessage | bytes] = []
        while self.buf:
            msg = self._next()
            if msg is None:
                break
            out.append(msg)
        if self.raw and self.buf:
            out.append(self.buf)
            self.buf = b""
        return out

    def flush(self) -> bytes:
        data, self.buf = self.buf, b""
        return data

    def _giveup(self) -> None:
        self.raw = True

    def _next(self) -> HttpMessage | None:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > _MAX_HEAD:
                self._giveup()
            return None
        lines = self.buf[:end].split(b"\r\n")
        start = lines[0]
        if not (start.startswith(b"HTTP/") if not self.request else b" HTTP/" in start):
            self._giveup()
            return None
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                self._giveup()
                return None
            headers.append((name.strip(), value.strip()))
        lookup = {k.lower(): v for k, v in headers}
        pos = end + 4
        if b"chunked" in lookup.get(b"transfer-encoding", b"").lower():
            body, pos2 = _dechunk(self.buf, pos)
            if body is None:
                return None
            self.buf = self.buf[pos2:]
            return HttpMessage(start, headers, body)
        if b"content-length" in lookup:
            try:
                length = int(lookup[b"content-length"])
            except ValueError:
                self._giveup()
                return None
            if len(self.buf) < pos + length:
                return None
            body = self.buf[pos : pos + length]
            self.buf = self.buf[pos + length :]
            return HttpMessage(start, headers, body)
        if self.request or not _has_body(start):
            self.buf = self.buf[pos:]
            return HttpMessage(start, headers, b"")
        self._giveup()  # a body delimited by the connection close: stream it through
        return None


def _dechunk(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None, pos
        try:
            size = int(buf[pos:eol].split(b";")[0], 16)
        except ValueError:
            return None, pos
        pos = eol + 2
        if size == 0:
            end = buf.find(b"\r\n\r\n", pos - 2)
            if end < 0:
                return None, pos
            return b"".join(parts), end + 4
        if len(buf) < pos + size + 2:
            return None, pos
        parts.append(buf[pos : pos + size])
        pos += size + 2


def transform(kind: str, attrs: dict[str, Any], msg: HttpMessage) -> HttpMessage:
    """Apply one HTTP toxic to a message (in place) and return it."""
    if kind == "status_code" and msg.start.startswith(b"HTTP/"):
        code = int(attrs["status_code"])
        version = msg.start.split(b" ", 1)[0]
        msg.start = version + f" {code} {_REASONS.get(code, 'Error')}".encode()
        if attrs.get("modify_response_body"):
            _replace_body(msg, attrs["response_body"], attrs)
        elif not _has_body(msg.start):
            msg.body = b""
    elif kind == "modify_body":
        _replace_body(msg, attrs["body"], attrs)
    elif kind == "header":
        for name, value in attrs["headers"].items():
            msg.set_header(name, value)
    return msg


def _replace_body(msg: HttpMessage, body: str, attrs: dict[str, Any]) -> None:
    msg.body = body.encode()
    if attrs.get("content_type"):
        msg.set_header("Content-Type", attrs["content_type"])
    if attrs.get("content_encoding"):
        msg.set_header("Content-Encoding", attrs["content_encoding"])
    else:
        msg.drop_header(b"content-encoding")
