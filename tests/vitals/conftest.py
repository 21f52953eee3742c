"""Fixtures for the vitals tests: a local HTTP server with a reference page and bad-input routes."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psutil
import pytest

from pulsekit.vitals._testpage import ReferencePage

PAGE = ReferencePage()
TALL = ReferencePage(later_px=2000)  # #later needs a scroll to reach


@dataclass
class PageServer:
    """Base URL of the server and the event that releases hanging requests."""

    url: str
    release: threading.Event


def _handler(release: threading.Event) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, ctype: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # the browser may have given up waiting (the timeout tests)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/":
                self._send(200, "text/html; charset=utf-8", PAGE.html())
            elif path == "/tall":
                self._send(200, "text/html; charset=utf-8", TALL.html())
            elif path == "/plain":
                self._send(200, "text/html", "<!doctype html><h1>Plain page</h1>")
            elif path == "/busy":
                script = "setInterval(() => fetch('/api.json?' + Math.random()), 150);"
                self._send(200, "text/html", f"<h1>Never quiet</h1><script>{script}</script>")
            elif path == "/api.json":
                self._send(200, "application/json", '{"ok": true}')
            elif path == "/broken":
                self._send(500, "text/html", "<h1>Internal Server Error</h1>")
            elif path == "/hang":
                release.wait(60)
                self._send(200, "text/html", "<h1>too late</h1>")
            else:
                self._send(404, "text/html", "<h1>not found</h1>")

    return Handler


@pytest.fixture(scope="session")
def chromium(require_binary: Callable[..., str]) -> str:
    """Path of the system Chromium, or skip (fail under PULSEKIT_REQUIRE_ALL=1)."""
    return require_binary(
        "chromium", env_var="PULSEKIT_CHROMIUM", install="sudo apt-get install chromium"
    )


@pytest.fixture(scope="session")
def pages() -> Iterator[PageServer]:
    """A threaded HTTP server on 127.0.0.1 serving the reference page and bad-input routes."""
    release = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(release))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PageServer(f"http://127.0.0.1:{server.server_address[1]}", release)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def browser_processes() -> list[psutil.Process]:
    """Chromium processes among this test process's descendants."""
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name().lower():
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_no_browser(timeout: float = 20.0) -> list[psutil.Process]:
    """Poll until no Chromium descendant is left (or the deadline passed); return what is left."""
    deadline = time.monotonic() + timeout
    left = [p for p in browser_processes() if _alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in browser_processes() if _alive(p)]
    return left
