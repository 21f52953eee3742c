"""Load from several hosts, for real: Linux network namespaces on one machine.

A "staging" sandbox in one namespace (behind a ``pulsekit faults serve`` proxy on that host's
own address), two ``pulsekit load worker`` processes in two other namespaces, the controller
(the Locust master) in the root namespace. Traffic only goes to the namespaces' own 10.213.X.Y
addresses; every run is bounded; the namespaces and the bridge are removed afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from pulsekit._util import free_port
from pulsekit.load import run
from pulsekit.load._aggregate import decode, spread
from pulsekit.testing._netns import Host, NetnsHosts, Staging, start_staging
from tests.conftest import require_netns


@pytest.fixture(scope="module")
def hosts() -> Iterator[NetnsHosts]:
    require_netns()
    with NetnsHosts(["staging", "load-a", "load-b"]) as made:
        yield made


@pytest.fixture(scope="module")
def staging(hosts: NetnsHosts) -> Staging:
    return start_staging(hosts["staging"])


def start_worker(host: Host, master: str) -> subprocess.Popen[Any]:
    argv = [sys.executable, "-m", "pulsekit", "load", "worker", "--master", master]
    return host.popen([*argv, "--name", host.name, "--wait", "60s"], stdout=subprocess.DEVNULL)


def remote_run(hosts: NetnsHosts, staging: Staging, **kwargs: Any) -> Any:
    """Start a worker in load-a and load-b, then run the master in the root namespace."""
    port = free_port(hosts.controller)
    master = f"{hosts.controller}:{port}"
    procs = [start_worker(hosts[name], master) for name in ("load-a", "load-b")]
    result = run(
        f"{staging.url}/api/products/1",
        expect_workers=["load-a", "load-b"],
        master_bind=master,
        allow=[staging.host.address],
        progress=False,
        **kwargs,
    )
    for proc in procs:
        proc.wait(timeout=60)  # a worker serves one run, then exits
    return result, procs


def test_two_hosts_add_up_and_merge_exactly(hosts: NetnsHosts, staging: Staging) -> None:
    """Each worker's requests add up to the total; the merged p99 is the union's p99."""
    result, procs = remote_run(hosts, staging, rate=40, duration="3s")
    assert result.status == "completed" and result.lost_workers == ()
    joined = {w["name"]: w["address"] for w in result.joined_workers}
    assert joined == {"load-a": hosts["load-a"].address, "load-b": hosts["load-b"].address}
    counts = {name: stats["requests"] for name, stats in result.worker_stats.items()}
    assert set(counts) == {"load-a", "load-b"}
    assert counts["load-a"] + counts["load-b"] == result.requests
    assert result.requests + result.dropped == result.arrivals == 120  # 40/s split in two
    assert abs(counts["load-a"] - counts["load-b"]) <= 2
    assert result.failures == 0, result.errors
    union = decode(result.worker_stats["load-a"]["histogram"])
    union.add(decode(result.worker_stats["load-b"]["histogram"]))
    assert union.get_total_count() == result.requests
    assert spread(union)["p99"] == result.latency_ms["p99"]
    assert [proc.returncode for proc in procs] == [0, 0]
    assert f"load-a ({hosts['load-a'].address}) {counts['load-a']}" in result.summary()


def test_a_worker_killed_mid_run_is_reported_and_the_run_continues(
    hosts: NetnsHosts, staging: Staging
) -> None:
    """load-b is killed 1 s in: the result names it; load-a still sends its whole share."""
    killed: list[int] = []

    def kill_load_b() -> None:
        proc = hosts["load-b"].procs[-1]
        os.killpg(proc.pid, signal.SIGKILL)
        killed.append(proc.pid)

    result, _ = remote_run(hosts, staging, rate=30, duration="6s", schedule=[("1s", kill_load_b)])
    assert killed
    assert result.status == "completed"
    assert result.lost_workers == ("load-b",)
    assert any("worker load-b (10.213." in w and "was lost" in w for w in result.warnings)
    assert result.worker_stats["load-a"]["requests"] == 90  # 15/s for 6 s, all of it
    assert result.worker_stats.get("load-b", {}).get("requests", 0) < 90  # its share stopped
