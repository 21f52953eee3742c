"""GameDays against a "staging" system: a real Sandbox behind a separate plain Toxiproxy
(`pulsekit faults serve --plain`: no TTL, no halt endpoint), service commands that are real shell
commands acting on the sandbox, and a real Prometheus scraping it. Loopback only."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulsekit import gameday
from pulsekit.faults._http import call
from pulsekit.gameday import read_events
from tests.sandbox.helpers import eventually

pytestmark = pytest.mark.integration


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    return eventually(check, timeout, 0.1, what=what)


@contextlib.contextmanager
def plain_toxiproxy() -> Iterator[str]:
    """`pulsekit faults serve --plain` in its own process, as a plain Toxiproxy would run."""
    cmd = [sys.executable, "-m", "pulsekit", "faults", "serve", "--plain", "--port", "0"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "Toxiproxy API on " in line, line
        yield line.split("Toxiproxy API on ", 1)[1].split()[0]
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def log_events(path: Path, *events: str, timeout: float = 20) -> list[dict[str, Any]]:
    """The dead-man's log once it holds each of ``events`` (it writes a line after the act)."""

    def read() -> list[dict[str, Any]]:
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    wait_for(lambda: set(events) <= {d["event"] for d in read()}, timeout, f"{events} in {path}")
    return read()


def toxics(proxy_url: str) -> list[str]:
    proxies = call(proxy_url, "GET", "/proxies").body
    return [f"{name}/{t['name']}" for name, p in proxies.items() for t in p["toxics"]]


@pytest.fixture(scope="module")
def staging() -> Iterator[dict[str, Any]]:
    """The sandbox (2 api replicas), a plain Toxiproxy in front of its gateway, a Prometheus."""
    from pulsekit.observe import PrometheusServer
    from pulsekit.sandbox import Sandbox

    with (
        Sandbox(replicas=2, db_replicas=1) as shop,
        plain_toxiproxy() as toxiproxy,
        PrometheusServer(shop.metrics_targets, scrape_interval="1s") as prom,
    ):
        gateway = shop.url.split("://", 1)[1].rstrip("/")
        body = {"name": "gateway", "listen": "127.0.0.1:0", "upstream": gateway}
        listen = call(toxiproxy, "POST", "/proxies", body).body["listen"]
        assert not listen.endswith(":0"), listen
        api2 = shop.services["api-2"].pid
        yield {
            "shop": shop,
            "toxiproxy": toxiproxy,
            "prometheus": prom.url,
            "target": {
                "url": f"http://{listen}",
                "toxiproxy": toxiproxy,
                "prometheus": prom.url,
                "command_timeout": "10s",
                "services": {
                    "api-2": {"freeze": f"kill -STOP {api2}", "thaw": f"kill -CONT {api2}"}
                },
            },
            "api2": api2,
        }


def spec(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": "staging run",
        "load": {"users": 6, "spawn_rate": 6, "mix": "vendor", "think_time": [0.2, 0.4]},
        "duration": "10s",
        "windows": {"baseline": ["1s", "3s"], "fault": ["4s", "8s"]},
        "hypothesis": {
            "baseline": ["http_reqs: count>0"],  # speed depends on the shared machine
            "fault": ["http_req_duration: p(50)>250"],
        },
        "steps": [
            {"at": "3s", "action": "latency", "target": "gateway", "ms": 300, "duration": "5s"},
            {"at": "4s", "action": "freeze", "target": "api-2", "duration": "2s"},
        ],
        "slo": {"service": "gateway", "objective": 0.99, "latency": "250ms"},
        # judged on the target's Prometheus each second; 1000x cannot happen at a 99% objective
        "stop_when": ["slo: burn_rate>1000 over 3s", "http_req_failed: rate>0.9 over 3s"],
    }
    out.update(changes)
    return out


def process_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]


def test_a_gameday_runs_against_a_staging_target_file(
    staging: dict[str, Any], tmp_path: Path
) -> None:
    """The same GameDay, pointed at a target file: latency through the plain Toxiproxy, a frozen
    api by shell commands (journalled), the SLO from Prometheus, verdicts, nothing left behind."""
    target_file = tmp_path / "staging.yaml"
    target_file.write_text(yaml.safe_dump(staging["target"]))
    result = gameday.run(spec(), out=tmp_path / "out", progress=False, target=target_file)
    assert result.status == "completed", result.abort_reason
    base, fault = result.windows["baseline"], result.windows["fault"]
    assert base.requests > 0 and fault.requests > 0
    assert result.hypothesis_held, result.summary()
    assert fault.p50_ms is not None and fault.p50_ms > 250, fault  # the 300 ms toxic
    events = read_events(result.journal)
    started = events[0]["data"]
    assert started["target"] == staging["target"]["url"]
    assert started["target_file"] == str(target_file) and started["deadman_pid"]
    commands = [e["data"] for e in events if e["type"] == "service.command"]
    assert [(c["action"], c["exit_code"], c["ok"]) for c in commands] == [
        ("freeze", 0, True),
        ("thaw", 0, True),
    ]
    assert commands[0]["command"] == f"kill -STOP {staging['api2']}"
    assert process_state(staging["api2"]) != "T"
    assert toxics(staging["toxiproxy"]) == []
    deadman = [
        json.loads(line) for line in (result.out_dir / "deadman.jsonl").read_text().splitlines()
    ]
    assert deadman[-1]["event"] == "deadman.ended" and deadman[-1]["reason"] == "close"
    # the runner removed its toxic itself at the step's end: the dead-man had nothing left
    assert not [d for d in deadman if d["event"] == "toxic.removed"]
    assert result.problems == (), result.problems
    assert result.slo_report is not None and len(result.slo_report.df) > 0  # PromQL via Prometheus
    assert set(result.golden) == {"baseline", "fault"}


def test_an_slo_service_the_prometheus_does_not_scrape_is_refused(
    staging: dict[str, Any], tmp_path: Path
) -> None:
    """A typo in slo.service would leave a burn-rate stop without data: refused before the run."""
    from pulsekit.errors import TargetError

    bad = spec(slo={"service": "gatewy", "objective": 0.99, "latency": "250ms"})
    with pytest.raises(
        TargetError, match=r"slo.service 'gatewy' is no job .* its jobs are: .*gateway"
    ):
        gameday.run(bad, out=tmp_path, progress=False, target=staging["target"])
    assert not (tmp_path / "journal.jsonl").exists()


def test_a_sigkilled_runner_still_ends_with_the_toxics_removed_and_the_service_thawed(
    staging: dict[str, Any], tmp_path: Path
) -> None:
    """SIGKILL of the runner: its dead-man (own session) notices, removes the run's toxic and runs
    the thaw command of the service the run froze."""
    folder = tmp_path / "gd"
    folder.mkdir()
    long = spec(
        duration="60s",
        windows={"fault": ["2s", "60s"]},
        hypothesis={},
        steps=[
            {"at": "1s", "action": "latency", "target": "gateway", "ms": 100},
            {"at": "1s", "action": "freeze", "target": "api-2"},
        ],
    )
    del long["slo"], long["stop_when"]
    (folder / "gameday.yaml").write_text(yaml.safe_dump(long))
    (folder / "staging.yaml").write_text(yaml.safe_dump(staging["target"]))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pulsekit", "gameday", "run", str(folder), "--out", str(out)]
    cmd += ["--target", str(folder / "staging.yaml"), "--no-progress"]
    runner = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        journal = out / "journal.jsonl"
        wait_for(
            lambda: (
                journal.exists()
                and [e["type"] for e in read_events(journal)].count("step.applied") == 2
            ),
            90,
            "both steps applied",
        )
        assert toxics(staging["toxiproxy"]) == ["gateway/latency_downstream"]
        assert process_state(staging["api2"]) == "T"
        deadman_pid = read_events(journal)[0]["data"]["deadman_pid"]
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
        wait_for(lambda: toxics(staging["toxiproxy"]) == [], 20, "the toxic removed")
        wait_for(lambda: process_state(staging["api2"]) != "T", 30, "api-2 thawed")
        log = log_events(out / "deadman.jsonl", "toxic.removed", "service.undone")
        removed = [d for d in log if d["event"] == "toxic.removed"]
        assert [(d["proxy"], d["toxic"], d["by"]) for d in removed] == [
            ("gateway", "latency_downstream", "runner-lost")
        ]
        (undone,) = [d for d in log if d["event"] == "service.undone"]
        assert undone["by"] == "runner-lost"
        assert undone["command"] == f"kill -CONT {staging['api2']}"
        wait_for(
            lambda: not Path(f"/proc/{deadman_pid}").exists() or process_state(deadman_pid) == "Z",
            20,
            "dead-man exits",
        )
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
        subprocess.run(["kill", "-CONT", str(staging["api2"])], check=False)


def test_the_halt_lever_works_on_a_plain_toxiproxy(staging: dict[str, Any], tmp_path: Path) -> None:
    """`pulsekit faults halt --proxy URL` on a plain Toxiproxy: the dead-man removes the run's
    toxics and the run ends aborted, as with the sandbox's fault proxy."""
    long = spec(
        duration="40s",
        windows={"fault": ["2s", "40s"]},
        hypothesis={},
        steps=[{"at": "1s", "action": "latency", "target": "gateway", "ms": 100}],
    )
    del long["slo"], long["stop_when"]
    handle = gameday.start(long, out=tmp_path / "out", target=staging["target"], report=False)
    try:
        journal = tmp_path / "out" / "journal.jsonl"
        wait_for(
            lambda: (
                journal.exists() and any(e["type"] == "step.applied" for e in read_events(journal))
            ),
            60,
            "the latency step applied",
        )
        cmd = [sys.executable, "-m", "pulsekit", "faults", "halt", "--proxy", staging["toxiproxy"]]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "halted 1 GameDay run(s)" in done.stdout
        result = handle.result(timeout=60)
    finally:
        if not handle.done:
            handle.halt()
            handle.result(timeout=60)
    assert result.status == "aborted" and "pulsekit faults halt" in (result.abort_reason or "")
    assert result.load.duration_s < 30
    assert toxics(staging["toxiproxy"]) == []
    halts = [e for e in read_events(result.journal) if e["type"] == "halt.requested"]
    assert [h["data"]["via"] for h in halts] == ["cli"]


def test_a_failing_service_command_halts_the_run_with_its_message(
    staging: dict[str, Any], tmp_path: Path
) -> None:
    """The command runs off the load's loop; its failure halts the run (aborted, exit 99), the
    reason carrying the command's last line, and the journal its output."""
    target = {
        **staging["target"],
        "services": {
            "api-2": {"freeze": "echo cannot reach the cluster >&2; exit 4", "thaw": "true"}
        },
    }
    run = spec(
        duration="8s",
        windows={"fault": ["2s", "8s"]},
        hypothesis={"fault": ["http_reqs: count>0"]},
        steps=[{"at": "1s", "action": "freeze", "target": "api-2"}],
    )
    del run["slo"], run["stop_when"]
    result = gameday.run(run, out=tmp_path, progress=False, target=target, report=False)
    assert result.status == "aborted" and result.exit_code == 99
    assert "step freeze api-2 failed" in (result.abort_reason or "")
    assert "exit 4" in (result.abort_reason or "")
    assert "cannot reach the cluster" in (result.abort_reason or "")
    events = read_events(result.journal)
    command, undo = [e["data"] for e in events if e["type"] == "service.command"]
    assert command["exit_code"] == 4 and command["stderr"] == "cannot reach the cluster\n"
    assert (undo["action"], undo["exit_code"]) == ("thaw", 0)  # whatever it did, undone
    assert [e["data"]["via"] for e in events if e["type"] == "halt.requested"] == ["step"]
    assert process_state(staging["api2"]) != "T"


def test_the_dead_man_removes_a_toxic_at_its_ttl(tmp_path: Path) -> None:
    """With the runner alive, a toxic past its TTL is removed by the dead-man (the plain
    Toxiproxy would keep it forever)."""
    from pulsekit.gameday.deadman import DeadMan

    with plain_toxiproxy() as toxiproxy:
        body = {"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"}
        call(toxiproxy, "POST", "/proxies", body)
        toxic = {"name": "lat", "type": "latency", "attributes": {"latency": 10}}
        call(toxiproxy, "POST", "/proxies/db/toxics", toxic)
        call(toxiproxy, "POST", "/proxies/db", {"enabled": False})
        deadman = DeadMan(toxiproxy, tmp_path, max_life=60, on_halt=lambda: None)
        try:
            deadman.add("t1", "db", "lat", time.time() + 1.0)
            deadman.add("d1", "db", None, time.time() + 1.0)
            wait_for(lambda: toxics(toxiproxy) == [], 15, "the toxic removed at its TTL")
            wait_for(
                lambda: call(toxiproxy, "GET", "/proxies/db").body["enabled"], 15, "re-enabled"
            )
            assert deadman.process.poll() is None  # still guarding: the runner is alive
        finally:
            deadman.close()
        log = [json.loads(x) for x in (tmp_path / "deadman.jsonl").read_text().splitlines()]
        assert sorted(d["by"] for d in log if d["event"] == "toxic.removed") == ["ttl", "ttl"]
        assert log[-1] == {**log[-1], "event": "deadman.ended", "reason": "close"}
        assert deadman.process.returncode == 0


def test_a_runner_dying_right_after_announcing_a_toxic_leaves_it_guarded(tmp_path: Path) -> None:
    """The race the benchmark found: the runner announces a toxic and dies at once; the dead-man
    reads what the runner wrote before acting on its death, and removes the toxic."""
    from pulsekit.faults import FaultProxy

    runner = (
        "import os, signal, sys, time\n"
        "from pathlib import Path\n"
        "from pulsekit.gameday.deadman import DeadMan\n"
        "d = DeadMan(sys.argv[1], Path(sys.argv[2]), max_life=60, on_halt=lambda: None)\n"
        "d.add('x1', 'db', 'lat', time.time() + 600)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    with FaultProxy(port=0, plain=True) as proxy:
        body = {"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"}
        call(proxy.url, "POST", "/proxies", body)
        toxic = {"name": "lat", "type": "latency", "attributes": {"latency": 10}}
        call(proxy.url, "POST", "/proxies/db/toxics", toxic)
        done = subprocess.run([sys.executable, "-c", runner, proxy.url, str(tmp_path)], timeout=60)
        assert done.returncode == -signal.SIGKILL
        wait_for(lambda: toxics(proxy.url) == [], 20, "the announced toxic removed")
    log = log_events(tmp_path / "deadman.jsonl", "toxic.removed")
    assert [(d["toxic"], d["by"]) for d in log if d["event"] == "toxic.removed"] == [
        ("lat", "runner-lost")
    ]


def test_plain_mode_ignores_ttls_and_has_no_halt_endpoint() -> None:
    """--plain: a toxic outlives its TTL header (the normal server removes it), /pulsekit/* is 404."""
    from pulsekit.errors import FaultError
    from pulsekit.faults import FaultProxy, Faults

    with (
        FaultProxy(port=0, plain=True) as plain,
        FaultProxy(port=0) as normal,
    ):
        for server in (plain, normal):
            call(
                server.url,
                "POST",
                "/proxies",
                {"name": "l", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"},
            )
            Faults(server.url).latency("l", ms=5, ttl=1)
        wait_for(lambda: toxics(normal.url) == [], 15, "the normal server's TTL")
        assert toxics(plain.url) == ["l/latency_downstream"]
        with pytest.raises(FaultError) as caught:
            Faults(plain.url).halt()
        assert getattr(caught.value, "status", None) == 404
