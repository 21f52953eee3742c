"""Fixtures for observe tests: small prometheus_client exporters in subprocesses, synthetic samples."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

EXPORTER = Path(__file__).with_name("exporter.py")


def _start_exporter(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(EXPORTER), *args], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the exporter prints its port first; EOF if it died
    if not line.strip().isdigit():
        proc.kill()
        proc.wait(timeout=10)
        raise RuntimeError(f"exporter did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line)}/metrics"


@pytest.fixture
def exporter() -> Iterator[Callable[..., str]]:
    """Start exporters (``exporter("--db")``) that are killed after the test; returns their URL."""
    procs: list[subprocess.Popen[str]] = []

    def _start(*args: str) -> str:
        proc, url = _start_exporter(*args)
        procs.append(proc)
        return url

    yield _start
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def api_exporter() -> Iterator[str]:
    """One read-only exporter (40 req/s, one 500 in ten, 40 ms each, db gauges) for the session."""
    proc, url = _start_exporter("--db")
    yield url
    proc.kill()
    proc.wait(timeout=10)


class _Garbage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"this is not { prometheus text\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def garbage_url() -> Iterator[str]:
    """A loopback server answering 200 with malformed exposition text."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/metrics"
    server.shutdown()
    server.server_close()


def wait_until(predicate: Callable[[], bool], *, timeout: float = 30.0, what: str = "") -> None:
    """Poll ``predicate`` until true or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what or predicate}")
        time.sleep(0.1)


def synthetic(
    seconds: int,
    *,
    rps: float = 10.0,
    bad: Callable[[int], float] = lambda t: 0.0,
    target: str = "gateway",
    start: float = 1_800_000_000.0,
) -> pd.DataFrame:
    """Tidy samples of ``shop_http_requests_total`` every second with a per-second bad share."""
    rows = []
    ok_total = err_total = 0.0
    for t in range(seconds + 1):
        if t:
            err = rps * bad(t)
            err_total += err
            ok_total += rps - err
        rows.append((start + t, target, "shop_http_requests_total", 'status="200"', ok_total))
        rows.append((start + t, target, "shop_http_requests_total", 'status="500"', err_total))
    frame = pd.DataFrame(rows, columns=["time", "target", "metric", "labels", "value"])
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
    return frame
