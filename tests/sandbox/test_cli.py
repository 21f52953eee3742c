"""``pulsekit sandbox``: detached runs found again, stale state cleaned, Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.sandbox.helpers import eventually, get

pytestmark = pytest.mark.integration


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulsekit", "sandbox", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PULSEKIT_STATE_DIR": str(tmp_path / "state")}


def _alive(pids: list[int]) -> list[int]:
    return [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]


def test_detached_sandbox_is_found_by_status_and_stopped_by_down(env: dict[str, str]) -> None:
    """`up --detach --json` returns with the sandbox running; `status` finds it; `down` stops it all."""
    started = _cli("up", "--detach", "--json", "--replicas", "1", "--db-replicas", "1", env=env)
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    pids = [s["pid"] for s in state["services"].values()]
    try:
        assert get(state["url"] + "/api/products/3")[0] == 200
        status = json.loads(_cli("status", "--json", env=env).stdout)
        assert status["running"] and status["url"] == state["url"]
        again = _cli("up", "--detach", env=env)
        assert again.returncode != 0 and "already running" in again.stderr
        down = json.loads(_cli("down", "--json", env=env).stdout)
        assert down["stopped"] == len(pids)
        eventually(lambda: not _alive(pids), timeout=10)
        assert json.loads(_cli("status", "--json", env=env).stdout)["running"] is False
    finally:
        for pid in _alive(pids):
            os.kill(pid, signal.SIGKILL)


def test_stale_state_is_detected_and_cleaned(env: dict[str, str]) -> None:
    """When a detached sandbox's processes died, `status` says so and removes the state file."""
    started = _cli("up", "--detach", "--json", "--replicas", "1", "--db-replicas", "0", env=env)
    state = json.loads(started.stdout)
    pids = [s["pid"] for s in state["services"].values()]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    eventually(lambda: not _alive(pids), timeout=10)
    status = json.loads(_cli("status", "--json", env=env).stdout)
    assert status["running"] is False and status["stale_cleaned"] is True
    helpers = [h["pid"] for h in state.get("helpers", {}).values()]  # PostgreSQL exporters
    eventually(lambda: not _alive(helpers), timeout=10)
    assert not (Path(state["run_dir"]) / "state.json").exists()
    assert (
        _cli(
            "up", "--detach", "--json", "--replicas", "1", "--db-replicas", "0", env=env
        ).returncode
        == 0
    )
    assert json.loads(_cli("down", "--json", env=env).stdout)["was_running"] is True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_foreground_sandbox_leaves_nothing_behind(env: dict[str, str], sig: signal.Signals) -> None:
    """Ctrl-C or SIGTERM stops every service; even a SIGKILLed controller leaves no orphans."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pulsekit",
            "sandbox",
            "up",
            "--json",
            "--replicas",
            "1",
            "--db-replicas",
            "1",
            "--name",
            f"fg-{sig.name.lower()}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        state = json.loads(proc.stdout.readline())
        pids = [s["pid"] for s in state["services"].values()]
        assert len(_alive(pids)) == len(pids)
        proc.send_signal(sig)
        proc.wait(timeout=20)
        eventually(lambda: not _alive(pids), timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bad_input_exits_non_zero_with_a_clear_message(env: dict[str, str]) -> None:
    """Bad counts print the error without a traceback and exit non-zero."""
    result = _cli("up", "--replicas", "0", env=env)
    assert result.returncode != 0
    assert "replicas=0 is too small" in result.stderr and "Traceback" not in result.stderr
