"""Sandbox processes: none outlive their controller, none hide behind a corrupt state file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.hostile.conftest import pulsekit, wait_for

SMALL = ("--replicas", "1", "--db-replicas", "0")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _kill_all(pids: list[int]) -> None:
    """Stop the processes this test started, if the code under test left any."""
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()


@pytest.fixture()
def started() -> Iterator[list[int]]:
    """PIDs started (indirectly) by the test; whatever is still alive at the end is killed."""
    pids: list[int] = []
    yield pids
    _kill_all(pids)


THREAD_SCRIPT = """
import threading, time
from pulsekit import Sandbox
box = {}
thread = threading.Thread(
    target=lambda: box.update(s=Sandbox(replicas=1, db_replicas=0).start()), daemon=True
)
thread.start()
thread.join()
print(*[s.pid for s in box["s"].services.values()], flush=True)
time.sleep(120)
"""


def test_a_sandbox_started_from_a_thread_dies_with_its_controller(started: list[int]) -> None:
    """SIGKILL of a process whose Sandbox was started from a worker thread leaves no orphan."""
    proc = subprocess.Popen(
        [sys.executable, "-c", THREAD_SCRIPT], stdout=subprocess.PIPE, text=True
    )
    started.append(proc.pid)
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=60), "the sandbox did not start within 60 s"
        pids = [int(p) for p in proc.stdout.readline().split()]
        started.extend(pids)
        assert len(pids) >= 4 and all(_alive(p) for p in pids)
        proc.kill()
        proc.wait(10)
        wait_for(lambda: not any(_alive(p) for p in pids), 30, "the services to die")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_an_unnamed_sandbox_keeps_logs_private_and_removes_its_temp_folder() -> None:
    """Logs are 0600 while it runs; a clean stop removes the whole temporary folder."""
    from pulsekit import Sandbox

    box: dict[str, Sandbox] = {}
    worker = threading.Thread(target=lambda: box.update(s=Sandbox(replicas=1, db_replicas=0)))
    worker.start()
    worker.join()
    with box["s"] as shop:
        run_dir = shop.run_dir
        logs = list((run_dir / "logs").glob("*.log"))
        assert logs
        assert {stat.S_IMODE(p.stat().st_mode) for p in logs} == {0o600}
    assert not run_dir.exists()


def test_a_corrupt_state_file_is_an_error_naming_the_file_and_live_processes(
    tmp_path: Path, started: list[int]
) -> None:
    """status fails naming the unreadable file and the PIDs it still finds; down stops them."""
    env = {"PULSEKIT_STATE_DIR": str(tmp_path / "state")}
    up = pulsekit("sandbox", "up", "--detach", "--json", "--name", "cor", *SMALL, env=env)
    assert up.returncode == 0, up.stderr
    pids = [s["pid"] for s in json.loads(up.stdout)["services"].values()]
    started.extend(pids)
    state = tmp_path / "state" / "sandboxes" / "cor" / "state.json"
    os.truncate(state, 100)
    status = pulsekit("sandbox", "status", "--name", "cor", env=env)
    assert status.returncode == 1, status.stdout
    assert str(state) in status.stderr and "Traceback" not in status.stderr
    assert all(str(pid) in status.stderr for pid in pids), status.stderr
    down = pulsekit("sandbox", "down", "--name", "cor", env=env)
    stopped = re.search(r"stopped (\d+) processes", down.stdout)
    # at least every service (a PostgreSQL node also has backends and an exporter to stop)
    assert down.returncode == 0 and stopped and int(stopped.group(1)) >= len(pids), down
    wait_for(lambda: not any(_alive(p) for p in pids), 30, "the services to stop")
    again = pulsekit("sandbox", "status", "--name", "cor", env=env)
    assert again.returncode == 0 and "not running" in again.stdout


def test_down_never_signals_a_process_that_reused_a_pid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[int]
) -> None:
    """A state file whose Prometheus PID now belongs to another process leaves that process alone."""
    from pulsekit.sandbox import _state

    monkeypatch.setenv("PULSEKIT_STATE_DIR", str(tmp_path / "state"))
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    started.append(bystander.pid)
    try:
        real_start = psutil.Process(bystander.pid).create_time()
        _state.save(
            "reused",
            {
                "services": {},
                "prometheus_pid": bystander.pid,
                "prometheus_started": real_start - 60,
            },
        )
        _state.down("reused")
        assert bystander.poll() is None, "down signalled a process that only reused the PID"
    finally:
        bystander.kill()
        bystander.wait(10)
