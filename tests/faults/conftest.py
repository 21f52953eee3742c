"""Fixtures for the fault proxy tests: a small upstream HTTP/TCP server and a FaultProxy per module."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pulsekit.faults import FaultProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes: without this, Nagle + delayed ACK add 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        if self.path.startswith("/bytes/"):
            body = b"x" * int(self.path.rsplit("/", 1)[1])
        else:
            body = b"hello"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Seen-Header", self.headers.get("X-Injected", ""))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture(scope="session")
def upstream() -> Iterator[int]:
    """Port of a threaded HTTP/1.1 server on 127.0.0.1 (GET /bytes/N, GET /, POST echo)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def tcp_echo() -> Iterator[int]:
    """Port of a raw TCP echo server on 127.0.0.1."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # resets are part of the tests
            while data := conn.recv(65536):
                conn.sendall(data)

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


@pytest.fixture(scope="module")
def fault_proxy() -> Iterator[FaultProxy]:
    """A FaultProxy on an ephemeral API port, shared by one test module."""
    with FaultProxy(port=0, default_ttl="5m", max_ttl="1h") as proxy:
        yield proxy


@pytest.fixture()
def api(fault_proxy: FaultProxy) -> Iterator[Callable[..., tuple[int, Any]]]:
    """``api(method, path, body=None, headers=None) -> (status, parsed body)``; resets after the test."""

    def call(
        method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = (
            None
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        request = urllib.request.Request(fault_proxy.url + path, data=data, method=method)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw) if raw.strip() else None
        except ValueError:
            return status, raw.decode()

    yield call
    call("POST", "/pulsekit/release")
    _, proxies = call("GET", "/proxies")
    for name in proxies or {}:
        call("DELETE", "/proxies/" + urllib.parse.quote(name))


@pytest.fixture()
def link(api: Callable[..., tuple[int, Any]], upstream: int) -> tuple[str, int]:
    """A proxy named "web" in front of the HTTP upstream: (name, listen port)."""
    status, body = api("POST", "/proxies", {"name": "web", "upstream": f"127.0.0.1:{upstream}"})
    assert status == 201
    return "web", int(body["listen"].rsplit(":", 1)[1])
