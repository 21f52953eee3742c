"""GameDay 01 against a "staging" host, with its load from two other hosts (issue 18 §3).

Linux network namespaces on one machine: a sandbox behind a ``pulsekit faults serve`` proxy on the
staging namespace's own address, ``pulsekit load worker`` in two more namespaces, the runner (the
Locust master) in the root namespace. The flagship spec runs unchanged through a target file; its
rehearsal values keep it short. Traffic only goes to the namespaces' 10.213.X.Y addresses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from pulsekit import gameday
from pulsekit._util import free_port
from pulsekit.load._aggregate import decode, spread
from pulsekit.testing._netns import Host, NetnsHosts, start_staging
from tests.conftest import require_netns

GAMEDAY_01 = Path(__file__).resolve().parents[2] / "gamedays" / "01_db_replica_loss"


def _worker(host: Host, master: str) -> subprocess.Popen[Any]:
    argv = [sys.executable, "-m", "pulsekit", "load", "worker", "--master", master]
    return host.popen([*argv, "--name", host.name, "--wait", "90s"], stdout=subprocess.DEVNULL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def test_gameday_01_runs_on_a_staging_host_with_load_from_two_hosts(tmp_path: Path) -> None:
    require_netns()
    with NetnsHosts(["staging", "load-a", "load-b"]) as hosts:
        staging = start_staging(hosts["staging"], replicas=2, db_replicas=2, prometheus=True)
        replica_pid = int(staging.state["services"]["db-replica-1"]["pid"])
        target = tmp_path / "staging.yaml"
        target.write_text(
            yaml.safe_dump(
                {
                    "url": staging.url,
                    "toxiproxy": staging.toxiproxy,
                    "prometheus": staging.prometheus,
                    "allow": [staging.host.address],
                    "command_timeout": "20s",
                    "services": {"db-replica-1": {"kill": f"kill -9 {replica_pid}"}},
                }
            )
        )
        master = f"{hosts.controller}:{free_port(hosts.controller)}"
        workers = [_worker(hosts[name], master) for name in ("load-a", "load-b")]
        result = gameday.run(
            GAMEDAY_01,
            target=target,
            rehearsal=True,
            out=tmp_path / "run",
            progress=False,
            params={
                "load.expect_workers": ["load-a", "load-b"],
                "load.master_bind": master,
                "load.worker_wait": "60s",
                "price.instances": 8,  # the sandbox counts its own; a staging system is told
            },
        )
        for proc in workers:
            proc.wait(timeout=60)  # a worker serves one run, then exits

    assert result.status == "completed", (result.abort_reason, result.problems)
    assert [w.returncode for w in workers] == [0, 0]
    # the kill step ran its command on the staging host: that replica is gone
    assert not _alive(replica_pid)
    events = [json.loads(line) for line in result.journal.read_text().splitlines()]
    commands = [e for e in events if e.get("type") == "service.command"]
    assert commands and commands[0]["data"]["exit_code"] == 0, commands
    # every window of the hypothesis was judged, from the load of the two hosts
    assert set(result.windows) == {"baseline", "fault"}
    assert all(w.requests > 0 and w.thresholds for w in result.windows.values())
    load = result.load
    counts = {name: stats["requests"] for name, stats in load.worker_stats.items()}
    assert set(counts) == {"load-a", "load-b"} and all(counts.values())
    assert sum(counts.values()) == load.requests
    union = decode(load.worker_stats["load-a"]["histogram"])
    union.add(decode(load.worker_stats["load-b"]["histogram"]))
    assert spread(union)["p99"] == load.latency_ms["p99"]
    assert result.slo_report is not None and len(result.slo_report.df) > 0  # PromQL, staging's
    draft = result.postmortem.read_text() if result.postmortem else ""
    assert "fault [10s, 16s): http_req_duration: p(95)<1000, http_req_failed: rate<0.01" in draft
