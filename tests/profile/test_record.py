"""py-spy attached to real processes: a busy child, the command line, a missing process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from pulsekit.cli import cli
from pulsekit.errors import ConfigError, ProfileError
from pulsekit.profile import record

pytestmark = pytest.mark.integration

BUSY = textwrap.dedent(
    """
    import sys, time
    def spin_in_a_named_function():
        x = 0
        for i in range(20000):
            x += i * i
        return x
    deadline = time.monotonic() + 60
    print("ready", flush=True)
    while time.monotonic() < deadline:
        spin_in_a_named_function()
    """
)


@pytest.fixture
def busy() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def test_record_finds_the_hot_function(busy: subprocess.Popen[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A second of sampling a CPU-bound child puts its loop function on top, and keeps the file."""
    out = tmp_path / "busy.speedscope.json"
    prof = record(busy.pid, duration="1s", out=out)
    assert prof.samples > 10
    assert prof.top(1, by="total").iloc[0]["function"] == "spin_in_a_named_function"
    assert prof.share("spin_in_a_named_function") > 50.0
    assert out.exists() and json.loads(out.read_text())["profiles"]
    assert "spin_in_a_named_function" in prof.summary()


def test_cli_profiles_a_pid_to_json(busy: subprocess.Popen[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`pulsekit profile PID --duration 1s --out f.svg --json` prints one JSON document."""
    svg = tmp_path / "flame.svg"
    result = CliRunner().invoke(
        cli, ["profile", str(busy.pid), "--duration", "1s", "--out", str(svg), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["pid"] == busy.pid and doc["samples"] > 10 and doc["svg"] == str(svg)
    assert svg.read_text().count("<svg") == 1


def test_a_gone_pid_and_bad_arguments_fail_clearly() -> None:
    """A pid that is not running, a zero duration and a silly rate each say what to fix."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=10)
    with pytest.raises(ProfileError, match="not running"):
        record(proc.pid, duration="1s")
    with pytest.raises(ConfigError, match="duration"):
        record(1, duration=0)
    with pytest.raises(ConfigError, match="rate"):
        record(1, rate=5000)


def test_cli_service_name_needs_a_running_sandbox(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A service name with no sandbox of that name running gives a one-line error, exit 1."""
    monkeypatch.setenv("PULSEKIT_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["profile", "api-1", "--name", "nothere"])
    assert result.exit_code == 1
    assert "no sandbox named 'nothere'" in result.output
