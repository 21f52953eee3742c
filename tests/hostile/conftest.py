"""Fixtures of the hostile suite: the fault-proxy fixtures, a held-answer upstream, a CLI runner.

Every test here was written against the code as the reliability probe found it and fails there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.conftest import api, fault_proxy, upstream  # noqa: F401  (fixtures)
from tests.vitals.conftest import chromium  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]


def pulsekit(
    *args: str, timeout: float = 120, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the ``pulsekit`` command (this interpreter, this checkout) and capture its output."""
    env = {**os.environ, **kwargs.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.run(
        [sys.executable, "-m", "pulsekit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        **kwargs,  # type: ignore[arg-type]
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """Assert the command failed with one ``Error: ...`` line and no traceback; return it."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def wait_for(check: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> object:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


class HeldUpstream:
    """A TCP upstream that answers every request with a small HTTP response and counts them."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.answered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            try:
                while b"\r\n\r\n" not in (data := conn.recv(65536)):
                    if not data:
                        return
                body = b"x" * 50_000 if b"/big" in data else b"hello"
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                    % len(body)
                    + body
                )
                self.answered += 1
                conn.shutdown(socket.SHUT_WR)
                conn.recv(1)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()


@pytest.fixture()
def held_upstream() -> Iterator[HeldUpstream]:
    """A counting upstream on an ephemeral loopback port."""
    server = HeldUpstream()
    yield server
    server.close()
