"""Vitals under hostile use: timeouts bounded before a browser starts, Ctrl-C exits 130."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading

import psutil
import pytest

from pulsekit.errors import ConfigError
from pulsekit.vitals.collector import collect
from tests.hostile.conftest import one_line_error, pulsekit, wait_for


@pytest.mark.parametrize("timeout", ["0s", "0", "25d", "99999h"])
def test_timeouts_outside_the_browser_timer_range_are_refused(timeout: str) -> None:
    """0 (no timeout at all to Playwright) and past 2^31-1 ms (timer overflow) are config errors."""
    with pytest.raises(ConfigError, match="timeout"):
        collect("http://127.0.0.1:9/", runs=1, profile="none", timeout=timeout)
    line = one_line_error(
        pulsekit("vitals", "http://127.0.0.1:9/", "--runs", "1", "--timeout", timeout)
    )
    assert "timeout" in line


def test_ctrl_c_while_measuring_exits_130_and_closes_the_browser(chromium: str) -> None:
    """SIGINT while Chromium waits on a page that never answers: exit 130, no browser left."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])  # never answered
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulsekit", "vitals", url, "--runs", "1", "--profile", "none",
         "--timeout", "5m"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: held, 120, "the browser to connect")
        browsers = [
            p for p in psutil.Process(proc.pid).children(recursive=True) if "chrom" in p.name()
        ]
        assert browsers
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        listener.close()
        for conn in held:
            conn.close()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    wait_for(lambda: not any(_alive(p) for p in browsers), 30, "the browser to close")


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
