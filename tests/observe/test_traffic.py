"""Trickle: light background traffic that runs until it is stopped."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pulsekit.observe import Trickle
from pulsekit.observe.traffic import UNTIL_STOPPED_MAX_S


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _wait(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_runs_until_stopped_by_default(url: str) -> None:
    """Without a duration a Trickle keeps sending until stop(), bounded by a 4-hour cap."""
    traffic = Trickle(url, rps=50)
    assert traffic.duration == UNTIL_STOPPED_MAX_S
    traffic.start()
    try:
        assert _wait(lambda: traffic.stats.ok >= 5)
        assert traffic.running
    finally:
        traffic.stop()
    assert not traffic.running
    sent = traffic.stats.sent
    assert traffic.stats.errors == 0 and sent >= 5


def test_a_duration_still_bounds_it(url: str) -> None:
    """An explicit duration ends the thread by itself."""
    traffic = Trickle(url, rps=50, duration="0.3s").start()
    assert _wait(lambda: not traffic.running)
    traffic.stop()
