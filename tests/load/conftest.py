"""Fixtures for load tests: a small local target server (it can stall on demand) and helpers."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Target:
    """A running ``pulsekit.load._target`` server on 127.0.0.1."""

    url: str
    proc: subprocess.Popen[str]

    def stall(self, seconds: float) -> None:
        """Make every request wait ``seconds`` from now, as a frozen server would."""
        req = urllib.request.Request(f"{self.url}/_stall?s={seconds}", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()

    def served(self) -> int:
        """How many requests the server has handled so far."""
        with urllib.request.urlopen(f"{self.url}/_count", timeout=10) as resp:
            return int(resp.read())


def start_target(*args: str) -> Target:
    """Start a target server and wait (with a deadline) until it prints its port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulsekit.load._target", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the server prints its port once listening (or exits)
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"target server did not start: {line!r}")
    return Target(f"http://127.0.0.1:{int(line.split()[1])}", proc)


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    """One target server shared by the load tests."""
    server = start_target()
    yield server
    server.proc.kill()
    server.proc.wait(timeout=10)


@pytest.fixture
def fresh_target() -> Iterator[Target]:
    """A target server of the test's own (for stalls and request counts)."""
    server = start_target()
    yield server
    server.proc.kill()
    server.proc.wait(timeout=10)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
