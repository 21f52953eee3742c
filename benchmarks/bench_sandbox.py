"""Sandbox capacity: a dashboard + catalog mix at fixed arrival rates, through the gateway and links,
against the same mix spread straight over the api replicas (the anchor: the cost of the extra hops).

    .venv/bin/python benchmarks/bench_sandbox.py [--rates 150,300,450] [--seconds 8] [--repeat 3]
    .venv/bin/python benchmarks/bench_sandbox.py --tiers postgres,embedded   # both database tiers

Latency is measured from each request's scheduled start (open model), so queueing is not hidden.
``--tiers`` measures each database tier in the same run (``bench_sandbox_db.py``): time to healthy,
the mix at 300 rps, a replica SIGKILLed under that load, and write-to-replica visibility.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import aiohttp

from pulsekit.sandbox import Sandbox

DASHBOARD_SHARE = 0.3


async def open_loop(
    bases: list[str], rate: float, seconds: float, seed: int = 1
) -> dict[str, float]:
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
                async with session.get(bases[hash(path) % len(bases)] + path) as resp:
                    await resp.read()
                    if resp.status >= 400:
                        errors += 1
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
            latencies.append(time.perf_counter() - intended)

        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
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
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "errors": errors / max(1, len(latencies)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="150,300,450")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tiers", default="", help="e.g. postgres,embedded: compare the db tiers")
    args = parser.parse_args()
    if args.tiers:
        from bench_sandbox_db import compare_tiers

        compare_tiers(args.tiers.split(","), seconds=args.seconds)
        return
    rates = [float(r) for r in args.rates.split(",")]
    rows = []
    starts = []
    for _ in range(3):
        t0 = time.perf_counter()
        with Sandbox():
            starts.append(time.perf_counter() - t0)
    with Sandbox() as shop:
        apis = [s.url for s in shop.services.values() if s.role == "api"]
        targets = {"gateway + links": [shop.url], "api replicas direct (anchor)": apis}
        asyncio.run(open_loop([shop.url], 100, 2))  # warm up connections and caches
        for rate in rates:
            for label, base in targets.items():
                runs = [
                    asyncio.run(open_loop(base, rate, args.seconds, seed=r))
                    for r in range(args.repeat)
                ]
                rows.append(
                    (
                        rate,
                        label,
                        *(
                            statistics.median(r[k] for r in runs)
                            for k in ("rps", "p50", "p95", "errors")
                        ),
                    )
                )
    print(
        f"\nSandbox capacity, {args.repeat} runs of {args.seconds:.0f} s each (medians), "
        f"{int(DASHBOARD_SHARE * 100)}% dashboard / {100 - int(DASHBOARD_SHARE * 100)}% catalog search\n"
    )
    print(f"Start-up, every service healthy (median of 3): {statistics.median(starts):.2f} s\n")
    print("| target rate | path | achieved rps | p50 ms | p95 ms | errors |")
    print("|---:|---|---:|---:|---:|---:|")
    for rate, label, rps, p50, p95, err in rows:
        print(f"| {rate:.0f} | {label} | {rps:.0f} | {p50:.1f} | {p95:.1f} | {err:.2%} |")


if __name__ == "__main__":
    main()
