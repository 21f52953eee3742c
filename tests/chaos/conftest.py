"""Fixtures for the Chaos Toolkit tests: a link on the module's fault proxy to a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def upstream_link(proxy: Any) -> Iterator[tuple[str, int]]:
    """A proxy "svc" on ``proxy`` in front of a local HTTP server: (link name, server port)."""
    from pulsekit.faults._http import call

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    upstream = f"127.0.0.1:{server.server_address[1]}"
    call(proxy.url, "POST", "/proxies", {"name": "svc", "upstream": upstream})
    yield "svc", server.server_address[1]
    call(proxy.url, "DELETE", "/proxies/svc")
    server.shutdown()
    server.server_close()
