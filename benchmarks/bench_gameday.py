"""Benchmark the GameDay engine: its CPU beside the load alone, and the time to the first request.

    .venv/bin/python benchmarks/bench_gameday.py [--users 300] [--seconds 30]

1. Runner overhead: the flagship spec (users and duration from the flags) run twice in fresh
   processes, each on its own sandbox: (a) ``pulsekit.load.run`` alone, (b) ``pulsekit.gameday.run``
   (live judge, scraper, journal, the kill step). CPU of the parent process only (the Locust child and
   the sandbox services are other processes), from the moment the load starts until it returns.
   Goal: (b) - (a) under 5% of one core.
2. Time from ``pulsekit gameday run`` (a new process) to the load's first request (the Locust child's
   start time, ``load_started_at`` in ``--json``), with the sandbox started in between. Goal: < 5 s.
Every process stays on 127.0.0.1; every run is bounded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "gamedays" / "01_db_replica_loss"

CHILD = r"""
import json, sys, time
import pulsekit.load as load_pkg
from pulsekit import gameday

mode, users, seconds, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
params = {
    "load.users": users,
    "load.spawn_rate": max(1, users // 5),
    "duration": f"{seconds:g}s",
    "windows": {"baseline": [5, int(seconds // 2)], "fault": [int(seconds // 2) + 2, int(seconds)]},
    "steps.0.at": f"{seconds // 2:g}s",
}
spec = gameday.load_spec(sys.argv[5], **params)
measured = {}
real_run = load_pkg.run


def timed_run(*args, **kwargs):
    cpu0, wall0 = time.process_time(), time.monotonic()
    result = real_run(*args, **kwargs)
    measured.update(cpu=time.process_time() - cpu0, wall=time.monotonic() - wall0,
                    requests=result.requests)
    return result


load_pkg.run = timed_run
if mode == "load":
    from pulsekit.sandbox import Sandbox

    box = spec.sandbox
    with Sandbox(replicas=box.replicas, db_replicas=box.db_replicas) as shop:
        load = spec.load
        load_pkg.run(shop.url, users=load.users, spawn_rate=load.spawn_rate, mix=load.mix,
                     think_time=load.think_time, duration=spec.duration_s, seed=load.seed,
                     progress=False)
else:
    gameday.run(spec, out=out, progress=False, report=False)
print(json.dumps(measured))
"""


def overhead(users: int, seconds: float) -> dict[str, dict[str, float]]:
    rows = {}
    for mode in ("load", "gameday"):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-c", CHILD, mode, str(users), str(seconds), tmp, str(FLAGSHIP)]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 300)
            if done.returncode != 0:
                raise SystemExit(f"{mode} run failed:\n{done.stderr[-3000:]}")
            rows[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def first_request() -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        out, result_file = Path(tmp) / "out", Path(tmp) / "result.json"
        params = ["load.users=50", "duration=10s", "windows={}", "hypothesis={}", "steps.0.at=5s"]
        cmd = [sys.executable, "-m", "pulsekit", "gameday", "run", str(FLAGSHIP), "--out", str(out)]
        cmd += ["--json", str(result_file), "--no-progress"]
        for p in params:
            cmd += ["--param", p]
        start = time.time()
        subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        data = json.loads(result_file.read_text())
        events = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
        from datetime import datetime

        run_started = datetime.fromisoformat(events[0]["time"].replace("Z", "+00:00")).timestamp()
        return data["load_started_at"] - start, {
            "to run.started (sandbox up)": run_started - start,
            "run.started to first request": data["load_started_at"] - run_started,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    rows = overhead(args.users, args.seconds)
    print(f"## runner CPU during the load ({args.users} vendor users, {args.seconds:g} s)\n")
    print("| run | parent CPU s | wall s | % of one core | requests |")
    print("|---|---:|---:|---:|---:|")
    for mode, row in rows.items():
        share = 100 * row["cpu"] / row["wall"]
        name = "load alone" if mode == "load" else "gameday (judge, scraper, journal, step)"
        print(
            f"| {name} | {row['cpu']:.2f} | {row['wall']:.1f} | {share:.1f}% | {row['requests']:.0f} |"
        )
    extra = 100 * (
        rows["gameday"]["cpu"] / rows["gameday"]["wall"]
        - rows["load"]["cpu"] / rows["load"]["wall"]
    )
    print(f"\nengine overhead: {extra:.1f}% of one core (goal < 5%)\n")
    total, parts = first_request()
    print("## time from `pulsekit gameday run` to the first request\n")
    print(f"| {' | '.join(parts)} | total |")
    print("|" + "---:|" * (len(parts) + 1))
    print("| " + " | ".join(f"{v:.2f} s" for v in parts.values()) + f" | {total:.2f} s |")
    print("\ngoal: < 5 s")


if __name__ == "__main__":
    main()
