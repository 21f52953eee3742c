"""The command line under hostile use: one-line errors, range checks, Ctrl-C exits 130."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.costs.conftest import DATA
from tests.hostile.conftest import one_line_error, pulsekit, wait_for


def test_faults_serve_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    """`faults serve` on a taken port says so in one line, with the fix."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        line = one_line_error(pulsekit("faults", "serve", "--port", str(port), timeout=60))
    assert str(port) in line and "--port" in line


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b'{"not": "array"}', "JSON array"),
        (b'[{"name": "x", "upstream": "10.0.0.1:80"}]', "10.0.0.1"),
        (b'[{"name": "x{y}", "upstream": "127.0.0.1:80"}]', "name"),
        (b'[{"name": "x", "upstream": "127.0.0.1:80", "listen": "127.0.0.1:99999"}]', "99999"),
        (b"[" * 100_000, "JSON"),
    ],
)
def test_faults_serve_with_a_bad_config_is_one_line(
    tmp_path: Path, content: bytes, expect: str
) -> None:
    """A --config that is not a valid populate array fails in one line naming the problem."""
    config = tmp_path / "config.json"
    config.write_bytes(content)
    line = one_line_error(pulsekit("faults", "serve", "--port", "0", "--config", str(config)))
    assert "--config" in line and expect in line


def test_faults_serve_refuses_ports_outside_the_tcp_range() -> None:
    """`--port 70000` is a usage error (exit 2), not a server on port 70000 - 65536."""
    result = pulsekit("faults", "serve", "--port", "70000", timeout=60)
    assert result.returncode == 2
    assert "70000" in result.stderr and "Traceback" not in result.stderr


def test_ctrl_c_during_a_cost_conversion_exits_130_and_leaves_no_temp_file(
    tmp_path: Path,
) -> None:
    """SIGINT while a billing export is converted: exit 130, no temp file, no half cache."""
    lines = (DATA / "focus_1_0_slice.csv").read_text().splitlines(keepends=True)
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write(lines[0])
        for _ in range(100):
            fh.writelines(lines[1:])
    cache = tmp_path / "cache"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulsekit", "costs", "report", str(big), "--cache-dir", str(cache)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: cache.exists() and list(cache.glob(".*.tmp")), 120, "the conversion")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert list(cache.iterdir()) == []
