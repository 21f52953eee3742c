"""The command line under hostile use: one-line errors, range checks, Ctrl-C exits 130."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.costs.conftest import DATA
from tests.hostile.conftest import one_line_error, pulsekit


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


def _big_csv(path: Path, copies: int) -> Path:
    lines = (DATA / "focus_1_0_slice.csv").read_text().splitlines(keepends=True)
    with path.open("w") as fh:
        fh.write(lines[0])
        for _ in range(copies):
            fh.writelines(lines[1:])
    return path


def test_ctrl_c_during_a_cost_conversion_exits_130_and_leaves_no_temp_file(
    tmp_path: Path,
) -> None:
    """SIGINT while a billing export is converted: exit 130, no temp file, no half cache."""
    for attempt, copies in enumerate((200, 800, 3200)):  # bigger if a fast machine beat the poll
        big = _big_csv(tmp_path / f"big{attempt}.csv", copies)
        cache = tmp_path / f"cache{attempt}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "pulsekit", "costs", "report", str(big), "--cache-dir",
             str(cache)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            converting = _poll_tmp(cache, proc)
            if converting:
                proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        big.unlink()
        if converting and list(cache.glob("*.parquet")) == []:
            break
    else:
        pytest.fail("the conversion always finished before it could be interrupted")
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert list(cache.iterdir()) == []


def _poll_tmp(cache: Path, proc: subprocess.Popen[str]) -> bool:
    """True once the conversion's temp file exists; False if the command ended first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if cache.exists() and list(cache.glob(".*.tmp")):
            return True
        time.sleep(0.005)
    return False
