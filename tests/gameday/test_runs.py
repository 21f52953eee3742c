"""Real GameDay runs on the sandbox: every exit path (normal end, stop condition, exception, SIGINT,
SIGTERM) rolls back every step, leaves a complete journal with its end event, and no process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from pulsekit import gameday
from pulsekit.errors import GameDayError
from pulsekit.gameday import read_events

pytestmark = pytest.mark.integration


def spec(**changes: Any) -> dict[str, Any]:
    """A short run on a small sandbox (one api, one read replica), 10 vendor users."""
    out: dict[str, Any] = {
        "title": "test run",
        "sandbox": {"replicas": 1, "db_replicas": 1},
        "load": {"users": 10, "spawn_rate": 10, "mix": "vendor", "think_time": [0.2, 0.5]},
        "duration": "8s",
        "windows": {"baseline": ["1s", "3s"], "fault": ["4s", "8s"]},
        "hypothesis": {"fault": ["http_reqs: count>0"]},
        "steps": [{"at": "3s", "action": "kill", "target": "db-replica-1"}],
        "stop_when": ["http_req_failed: rate>0.9 over 3s"],
    }
    out.update(changes)
    return out


def descendants(pid: int | None = None) -> set[tuple[int, float]]:
    """(pid, create time) of every live descendant (pid reuse cannot fool the comparison)."""
    found = set()
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                found.add((child.pid, child.create_time()))
        except psutil.NoSuchProcess:
            pass
    return found


def alive(procs: set[tuple[int, float]]) -> set[tuple[int, float]]:
    left = set()
    for pid, created in procs:
        try:
            p = psutil.Process(pid)
            if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                left.add((pid, created))
        except psutil.NoSuchProcess:
            pass
    return left


def wait_gone(procs: set[tuple[int, float]], timeout: float = 20.0) -> set[tuple[int, float]]:
    deadline = time.monotonic() + timeout
    while alive(procs) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(procs)


def assert_rolled_back(events: list[dict[str, Any]], end: str) -> None:
    """Every fault applied was reverted, and the journal ends with ``end``."""
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[1] == "hypothesis.declared"
    assert types[-1] == end, types
    applied = {e["data"]["fault_id"] for e in events if e["type"] == "fault.applied"}
    reverted = {e["data"]["fault_id"] for e in events if e["type"] == "fault.reverted"}
    assert applied and applied == reverted, (applied, reverted)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_a_normal_run_from_the_cli_writes_json_report_postmortem(tmp_path: Path) -> None:
    """`pulsekit gameday run` ends the run, restarts the killed replica, exits 0 with the --json contract."""
    folder = tmp_path / "gd"
    folder.mkdir()
    price = {"instance_hour": 0.0416, "per_million_requests": 1.0}
    (folder / "gameday.yaml").write_text(yaml.safe_dump(spec(price=price)))
    out, result_file = tmp_path / "out", tmp_path / "result.json"
    cmd = [sys.executable, "-m", "pulsekit", "gameday", "run", str(folder), "--out", str(out)]
    cmd += ["--json", str(result_file), "--param", "load.users=12"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(result_file.read_text())
    assert data["status"] == "completed" and data["hypothesis_held"] is True
    assert data["abort_reason"] is None
    fault = data["windows"]["fault"]
    assert set(fault) >= {"start_s", "end_s", "requests", "rps", "p50_ms", "p95_ms", "p99_ms"}
    assert fault["start_s"] == 4 and fault["end_s"] == 8 and fault["requests"] > 0
    assert fault["p50_ms"] <= fault["p95_ms"] <= fault["p99_ms"]
    assert fault["thresholds"] == [
        {"expr": "http_reqs: count>0", "passed": True, "observed": fault["requests"]}
    ]
    five_services = 5 * 4 / 3600 * 0.0416  # gateway, api-1, db-primary, db-replica-1, payments
    assert fault["cost_usd"] == pytest.approx(five_services + fault["requests"] / 1e6, rel=1e-3)
    events = read_events(Path(data["journal"]))
    assert_rolled_back(events, "run.ended")
    kill = next(e for e in events if e["type"] == "step.applied")
    assert kill["data"]["scheduled_t"] == 3 and kill["t"] >= 3
    report = Path(data["report"]).read_text()
    assert "| fault | 4–8 s |" in report and "![latency and errors](load.png)" in report
    assert "window fault (4 s," in report and "$0.000" in report
    assert (out / "load.png").stat().st_size > 0
    draft = Path(data["postmortem"]).read_text()
    assert "fault [4s, 8s): http_reqs: count>0" in draft
    assert "T+" in done.stdout and "report:" in done.stdout


def test_a_tripped_stop_condition_aborts_and_rolls_back(tmp_path: Path) -> None:
    """A stop condition that holds halts the fault proxy, skips later steps, stops the load, thaws
    the frozen replica and exits 99."""
    before = descendants()
    steps = [
        {"at": "1s", "action": "freeze", "target": "db-replica-1"},
        {"at": "1s", "action": "latency", "target": "api->db-primary", "ms": 50},
        {"at": "7s", "action": "kill", "target": "api-1"},
    ]
    result = gameday.run(
        spec(steps=steps, stop_when=["http_reqs: count>0 over 2s"]),
        out=tmp_path,
        progress=False,
    )
    assert result.status == "aborted" and result.exit_code == 99
    assert not result.hypothesis_held
    assert "http_reqs: count>0 over 2s" in (result.abort_reason or "")
    assert result.load.duration_s < 7
    events = read_events(result.journal)
    assert_rolled_back(events, "run.aborted")
    assert [e["type"] for e in events].count("guard.tripped") == 1
    reverted = {
        e["data"]["kind"]: e["data"]["reverted_by"] for e in events if e["type"] == "fault.reverted"
    }
    assert reverted == {"latency": "halt", "freeze": "api"}
    assert "kill" not in [e["data"].get("action") for e in events if e["type"] == "step.applied"]
    assert result.windows["fault"].requests == 0  # the run never reached that window
    assert "stop condition" in result.summary() and "<b>test run</b>" in result._repr_html_()
    assert list(result.to_frame().index) == ["baseline", "fault"]
    assert wait_gone(descendants() - before) == set()


def test_an_exception_in_a_step_rolls_back_the_others_and_raises(tmp_path: Path) -> None:
    """A step that fails (killing a replica already dead) still restarts the first kill; exit path 1."""
    before = descendants()
    steps = [
        {"at": "1s", "action": "kill", "target": "db-replica-1"},
        {"at": "2s", "action": "kill", "target": "db-replica-1"},
    ]
    with pytest.raises(GameDayError, match="every step was rolled back") as info:
        gameday.run(spec(steps=steps), out=tmp_path, progress=False)
    assert "not running" in str(info.value.__cause__)
    events = read_events(tmp_path / "journal.jsonl")
    assert_rolled_back(events, "run.aborted")
    assert events[-1]["data"]["status"] == "error"
    assert wait_gone(descendants() - before) == set()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_interrupts_rolls_back_and_exits_130(tmp_path: Path, sig: signal.Signals) -> None:
    """Ctrl-C or SIGTERM mid-run thaws the frozen replica, ends the journal with run.interrupted,
    exits 130 and leaves no process of the run behind."""
    path = tmp_path / "gameday.yaml"
    steps = [{"at": "1s", "action": "freeze", "target": "db-replica-1"}]
    path.write_text(yaml.safe_dump(spec(duration="20s", windows={}, hypothesis={}, steps=steps)))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pulsekit", "gameday", "run", str(path), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        journal = out / "journal.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and '"step.applied"' in journal.read_text():
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()
        procs = descendants(proc.pid)
        assert len(procs) >= 5  # sandbox services, the freeze watchdog, Locust
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr[-2000:]
    events = read_events(journal)
    assert_rolled_back(events, "run.interrupted")
    assert events[-1]["data"]["signal"] == sig.name
    assert wait_gone(procs) == set()
