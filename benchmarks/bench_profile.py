"""Profiler overhead on an api replica at 200 rps (py-spy off / 100 Hz / 1000 Hz, same run), and the
knee finder on the sandbox with and without the planted N+1.

    .venv/bin/python benchmarks/bench_profile.py [--rate 200] [--seconds 8] [--rounds 3] [--knee]

Windows alternate (off, 100 Hz, 1000 Hz, off, ...) so drift on a shared machine spreads over every
condition. Latency counts from each request's scheduled start (open model); percentiles are taken over
every request of a condition (all its windows merged), never averaged per window.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import tempfile
import time

import aiohttp

from pulsekit.load._signals import cpu_seconds
from pulsekit.profile._pyspy import find_pyspy
from pulsekit.sandbox import Sandbox

DASHBOARD_SHARE = 0.3


async def open_loop(base: str, rate: float, seconds: float, seed: int) -> tuple[list[float], int]:
    rng = random.Random(seed)
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=10)
    ) as session:

        async def one(path: str, intended: float) -> None:
            nonlocal errors
            try:
                async with session.get(base + path) as resp:
                    await resp.read()
                    errors += resp.status >= 400
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
            latencies.append((time.perf_counter() - intended) * 1000.0)

        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            intended = start + i / rate
            delay = intended - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if rng.random() < DASHBOARD_SHARE:
                path = f"/api/vendors/{rng.randint(1, 300)}/dashboard"
            else:
                path = f"/api/search?q={rng.choice(['Lamp', 'Mug', 'Tent', 'Desk', 'Eco'])}"
            tasks.append(asyncio.create_task(one(path, intended)))
        await asyncio.gather(*tasks)
    return latencies, errors


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))]


def window(
    base: str, pid: int, rate: float, seconds: float, hz: int, seed: int
) -> dict[str, float]:
    """One window of load on the replica, with py-spy at ``hz`` (0: off) attached for all of it."""
    spy = None
    if hz:
        out = tempfile.mktemp(suffix=".speedscope.json")
        spy = subprocess.Popen(
            [
                find_pyspy(),
                "record",
                "--pid",
                str(pid),
                "-d",
                str(int(seconds) + 2),
                "-r",
                str(hz),
                "-f",
                "speedscope",
                "-o",
                out,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)  # attach before the window opens
    cpu0, t0 = cpu_seconds(pid) or 0.0, time.monotonic()
    latencies, errors = asyncio.run(open_loop(base, rate, seconds, seed))
    elapsed = time.monotonic() - t0
    cpu = ((cpu_seconds(pid) or 0.0) - cpu0) / elapsed
    spy_cpu = 0.0
    if spy is not None:
        _, _, usage = os.wait4(spy.pid, 0)
        spy.returncode = 0
        spy_cpu = (usage.ru_utime + usage.ru_stime) / (int(seconds) + 2)
        os.unlink(out)
    return {"lat": latencies, "errors": errors, "elapsed": elapsed, "cpu": cpu, "spy_cpu": spy_cpu}


def overhead(rate: float, seconds: float, rounds: int) -> None:
    conditions = {"off": 0, "py-spy 100 Hz": 100, "py-spy 1000 Hz": 1000}
    with Sandbox(replicas=1, db_replicas=2) as shop:
        api = shop.services["api-1"]
        window(api.url, api.pid, rate, 2, 0, 0)  # warm-up
        seen: dict[str, list[dict[str, float]]] = {c: [] for c in conditions}
        for r in range(rounds):
            for name, hz in conditions.items():
                seen[name].append(window(api.url, api.pid, rate, seconds, hz, seed=r))
    print(
        f"\napi-1 alone (1 replica, 2 db replicas), {rate:g} req/s open model, 30% dashboard / 70% "
        f"search, {rounds} windows of {seconds:g} s per condition, interleaved\n"
    )
    print(
        "| condition | requests | throughput rps | p50 ms | p95 ms | p99 ms | errors | api-1 CPU | py-spy CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, runs in seen.items():
        lat = [v for run in runs for v in run["lat"]]
        elapsed = sum(run["elapsed"] for run in runs)
        print(
            f"| {name} | {len(lat)} | {len(lat) / elapsed:.1f} | {pct(lat, 50):.1f} | {pct(lat, 95):.1f} "
            f"| {pct(lat, 99):.1f} | {sum(run['errors'] for run in runs)} "
            f"| {sum(run['cpu'] for run in runs) / len(runs):.0%} "
            f"| {sum(run['spy_cpu'] for run in runs) / len(runs):.0%} |"
        )


def knees() -> None:
    from pulsekit.load import find_knee

    for n_plus_one in (False, True):
        with Sandbox(n_plus_one=n_plus_one) as shop:
            knee = find_knee(
                shop,
                normal_rate=30,
                start=10,
                factor=1.5,
                refine=2,
                step_duration="5s",
                max_time="4m",
            )
        print(f"\n### Sandbox(n_plus_one={n_plus_one}), vendor mix, 5 s steps\n")
        print(knee.summary())
        cols = ["rate", "achieved_rps", "p95_ms", "error_rate", "passed"]
        sig = [
            c
            for c in knee.steps.columns
            if c.startswith(
                (
                    "cpu:api-1",
                    "cpu:db-replica-1",
                    "pool_waiting:db-replica-1",
                    "in_flight:gateway",
                    "host_cpu",
                )
            )
        ]
        print(knee.steps[cols + sig].round(3).to_string(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--knee", action="store_true", help="also run find_knee on the sandbox")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores")
    overhead(args.rate, args.seconds, args.rounds)
    if args.knee:
        knees()
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
