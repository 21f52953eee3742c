"""How long a GameDay's toxic outlives a SIGKILLed runner on a plain Toxiproxy (the dead-man's
reaction time), and how long the staging preflight takes.

    .venv/bin/python benchmarks/bench_deadman.py --rounds 10

Each round: a "runner" process starts a dead-man, applies a latency toxic on a plain Toxiproxy
(``FaultProxy(plain=True)``, no TTL), registers it, and is SIGKILLed; the clock runs from the kill to
the toxic gone from ``GET /proxies`` (polled every 10 ms). Loopback only, bounded rounds.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pulsekit.faults import FaultProxy
from pulsekit.faults._http import call

RUNNER = """
import sys, time
from pathlib import Path
from pulsekit.faults import Faults
from pulsekit.gameday.deadman import DeadMan
url, out = sys.argv[1], Path(sys.argv[2])
deadman = DeadMan(url, out, max_life=120, on_halt=lambda: None)
fault = Faults(url).latency("db", ms=100, ttl=600)
deadman.add(fault.record.id, "db", "latency_downstream", time.time() + 600)
print("applied", flush=True)
time.sleep(120)
"""


def toxics(url: str) -> int:
    return sum(len(p["toxics"]) for p in call(url, "GET", "/proxies").body.values())


def one_round(url: str, folder: Path) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, url, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert runner.stdout is not None and runner.stdout.readline().strip() == "applied"
        assert toxics(url) == 1
        killed = time.monotonic()
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
        deadline = killed + 30
        while toxics(url) and time.monotonic() < deadline:
            time.sleep(0.01)
        if toxics(url):
            log = (folder / "deadman.jsonl").read_text()
            raise SystemExit(f"the toxic outlived the runner by 30 s: the dead-man failed\n{log}")
        return time.monotonic() - killed
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)


def preflight_seconds(url: str, rounds: int) -> float:
    from pulsekit.gameday.target import parse_target, preflight

    target = parse_target({"url": url, "toxiproxy": url}, where="bench")
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        preflight(target, {"db"})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, 50))
    with FaultProxy(port=0, plain=True) as proxy, tempfile.TemporaryDirectory() as tmp:
        body = {"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"}
        call(proxy.url, "POST", "/proxies", body)
        delays = [one_round(proxy.url, Path(tmp) / str(i)) for i in range(rounds)]
        pre = preflight_seconds(proxy.url, rounds)
    print("| rounds | median kill -> toxic gone | max | preflight (median) |")
    print("|---:|---:|---:|---:|")
    print(
        f"| {rounds} | {statistics.median(delays) * 1000:.0f} ms | {max(delays) * 1000:.0f} ms "
        f"| {pre * 1000:.1f} ms |"
    )


if __name__ == "__main__":
    main()
