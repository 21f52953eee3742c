"""Benchmark pulsekit.observe against Prometheus on the same sandbox run.

1. Cost: CPU share of one core used by the embedded scraper at a 1 s interval over every sandbox
   target, beside Debian's prometheus scraping the same targets at 1 s.
2. Agreement: per-service request rate and p95 latency from the scraper against PromQL's rate() and
   histogram_quantile() over the same window at the same instant (goal: within 5 %).

Run: .venv/bin/python benchmarks/bench_observe.py [--seconds 60] [--window 30s] [--rps 30]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

import psutil

from pulsekit._util import parse_duration
from pulsekit.observe import Prometheus, Scraper
from pulsekit.sandbox import Sandbox

TRAFFIC = (
    "import sys, time\n"
    "from pulsekit.observe import Trickle\n"
    "with Trickle(sys.argv[1], rps=float(sys.argv[2]), duration=sys.argv[3]):\n"
    "    time.sleep(float(sys.argv[3].rstrip('s')))\n"
)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0, help="measured scraping time")
    parser.add_argument("--window", default="30s", help="rate window for the agreement check")
    parser.add_argument("--rps", type=float, default=30.0, help="synthetic traffic (child process)")
    parser.add_argument("--checks", type=int, default=5, help="agreement instants, 2 s apart")
    args = parser.parse_args()
    window = parse_duration(args.window)
    with Sandbox(prometheus=True) as shop:
        traffic = subprocess.Popen(
            [sys.executable, "-c", TRAFFIC, shop.url, str(args.rps), f"{args.seconds + 60:.0f}s"]
        )
        try:
            prom = Prometheus(str(shop.prometheus_url))
            prom_proc = psutil.Process(shop._prometheus.pid)
            scraper = Scraper(shop.metrics_targets, every="1s")
            wall0, cpu0, prom0 = time.monotonic(), cpu_seconds(), prom_proc.cpu_times()
            scraper.start()
            time.sleep(args.seconds)  # the main thread idles: process CPU is the scraper's
            wall = time.monotonic() - wall0
            cpu = cpu_seconds() - cpu0
            prom1 = prom_proc.cpu_times()
            prom_cpu = (prom1.user + prom1.system) - (prom0.user + prom0.system)
            samples = len(scraper.df)
            rows = []
            for _ in range(args.checks):
                scraper.wait_for(rounds=2)
                ours = scraper.golden(window=window)
                at = ours.at
                w = f"{window:g}s"
                rate = prom.query(f"sum by (job) (rate(shop_http_requests_total[{w}]))", at=at)
                p95 = prom.query(
                    "histogram_quantile(0.95, sum by (job, le) "
                    f"(rate(shop_http_request_duration_seconds_bucket[{w}])))",
                    at=at,
                )
                for job, value in zip(rate["job"], rate["value"], strict=True):
                    if job in ours.df.index and value > 0:
                        rows.append(("rate", job, ours.df.loc[job, "traffic_rps"], value))
                for job, value in zip(p95["job"], p95["value"], strict=True):
                    if job in ours.df.index and value == value and value > 0:
                        rows.append(("p95", job, ours.df.loc[job, "p95_ms"] / 1000, value))
            scraper.stop()
        finally:
            traffic.kill()
            traffic.wait(timeout=10)
    print(f"## observe benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print(
        f"targets: {len(shop.metrics_targets)}, interval 1 s, {wall:.0f} s measured, "
        f"{samples} samples kept, traffic {args.rps:g} req/s"
    )
    print()
    print("| scraper | CPU share of one core |")
    print("|---|---|")
    print(f"| pulsekit Scraper (Python thread) | {cpu / wall:.1%} |")
    print(f"| Debian prometheus 2.42 (same targets, also storing) | {prom_cpu / wall:.1%} |")
    print()
    print("| signal | checks | median abs diff vs PromQL | max abs diff | within 5 % |")
    print("|---|---|---|---|---|")
    for kind in ("rate", "p95"):
        diffs = [abs(o - p) / p for k, _, o, p in rows if k == kind and o == o]
        if not diffs:
            print(f"| {kind} | 0 | - | - | - |")
            continue
        within = sum(d <= 0.05 for d in diffs)
        print(
            f"| {kind} (window {window:g}s) | {len(diffs)} | {statistics.median(diffs):.2%} | "
            f"{max(diffs):.2%} | {within}/{len(diffs)} |"
        )


if __name__ == "__main__":
    main()
