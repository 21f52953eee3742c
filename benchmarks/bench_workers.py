"""Benchmark load from several hosts: one local process vs two workers in other network namespaces.

    sudo .venv/bin/python benchmarks/bench_workers.py [--repeat 3] [--seconds 5] [--rate 200]

A "staging" sandbox in one namespace behind a ``pulsekit faults serve`` proxy on its own address,
the controller in the root namespace. Per repeat, the same open-model run (``--rate`` for
``--seconds`` on ``/api/products/1``) is made (a) by the controller alone (workers=0) and (b) by two
``pulsekit load worker`` processes in two other namespaces (expect_workers=2). Reported: the
achieved rate, p99 latency and send lag p99 over the whole run (merged histograms), and the
overhead: wall time of ``run()`` minus the measured load duration (start, join, drain, stop;
for (b) the workers are launched right before ``run()``, so it includes their start and join).
Needs root (``ip netns``); every process and namespace is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from pulsekit._util import free_port
from pulsekit.load import run
from pulsekit.testing._netns import NetnsHosts, start_staging, unavailable


def one(hosts: NetnsHosts, url: str, allow: str, remote: bool, seconds: float, rate: float) -> Any:
    kwargs: dict[str, Any] = {}
    procs = []
    if remote:
        master = f"{hosts.controller}:{free_port(hosts.controller)}"
        for name in ("load-a", "load-b"):
            argv = [sys.executable, "-m", "pulsekit", "load", "worker", "--master", master]
            procs.append(
                hosts[name].popen(
                    [*argv, "--name", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        kwargs = {"expect_workers": 2, "master_bind": master}
    t = time.monotonic()
    result = run(url, rate=rate, duration=seconds, allow=[allow], progress=False, **kwargs)
    wall = time.monotonic() - t
    for proc in procs:
        proc.wait(timeout=60)
    return {
        "sent": f"{result.requests}/{round(rate * seconds)}",
        "run_s": result.duration_s,
        "p99": result.latency_ms.get("p99", float("nan")),
        "lag_p99": result.send_lag_ms.get("p99", float("nan")),
        "overhead": wall - result.duration_s,
        "failures": result.failures,
        "split": {k: v["requests"] for k, v in result.worker_stats.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=200.0)
    ns = parser.parse_args()
    why = unavailable()
    if why:
        sys.exit(f"cannot run: {why}")
    print(f"load average at start: {os.getloadavg()}")
    rows: dict[str, list[dict[str, Any]]] = {"single": [], "two hosts": []}
    with NetnsHosts(["staging", "load-a", "load-b"]) as hosts:
        staging = start_staging(hosts["staging"])
        url = f"{staging.url}/api/products/1"
        for i in range(ns.repeat):
            for label, remote in (("single", False), ("two hosts", True)):
                r = one(hosts, url, staging.host.address, remote, ns.seconds, ns.rate)
                rows[label].append(r)
                print(
                    f"{i + 1} {label:9} sent {r['sent']}  run {r['run_s']:.2f} s  "
                    f"p99 {r['p99']:7.1f} ms  "
                    f"lag p99 {r['lag_p99']:6.1f} ms  overhead {r['overhead']:5.2f} s  "
                    f"failures {r['failures']}  {r['split']}",
                    flush=True,
                )
    print(f"load average at end: {os.getloadavg()}")
    print("| setup | sent/planned | run s | p99 ms | send lag p99 ms | overhead s | (medians) |")
    print("|---|---|---:|---:|---:|---:|---|")
    for label, rs in rows.items():
        keys = ("run_s", "p99", "lag_p99", "overhead")
        med = {k: statistics.median(r[k] for r in rs) for k in keys}
        sent = ", ".join(r["sent"] for r in rs)
        print(
            f"| {label} | {sent} | {med['run_s']:.2f} | {med['p99']:.1f} | "
            f"{med['lag_p99']:.1f} | {med['overhead']:.2f} | |"
        )


if __name__ == "__main__":
    main()
