"""Benchmark pulsekit.load against bare Locust on the same local target, in the same run.

    .venv/bin/python benchmarks/bench_load.py [--repeat 3] [--seconds 8]

1. closed-model throughput per worker: pulsekit users=20 vs ``locust --headless`` FastHttpUser;
2. open model at 1,000 rps (one process): achieved rate and send lag;
3. a 2 s server stall during a 100 rps run: pulsekit's corrected p99 beside Locust's own p99;
4. workers=2 vs workers=1 (closed model, same target).
Every target and load stays on 127.0.0.1; every run is bounded.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from pulsekit.load import run

FAST = """
from locust import FastHttpUser, constant, task


class Bench(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get("/")
"""
PACED = """
from locust import FastHttpUser, constant_throughput, task


class Paced(FastHttpUser):
    # 10 requests/s per user, closed loop: what Locust offers for a rate
    wait_time = constant_throughput(10)

    @task
    def index(self):
        self.client.get("/")
"""


class Target:
    """The pulsekit.load._target server on 127.0.0.1."""

    def __init__(self) -> None:
        cmd = [sys.executable, "-m", "pulsekit.load._target"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline().split()[1])}"

    def get(self, path: str, method: str = "GET") -> str:
        req = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return str(resp.read().decode())

    def window_rps(
        self, skip_s: float = 1.5, window_s: float = 3.0
    ) -> tuple[dict[str, float], threading.Thread]:
        """Start a thread that measures served rps over a window once load is flowing."""
        out: dict[str, float] = {}

        def go() -> None:
            start = int(self.get("/_count"))
            deadline = time.monotonic() + 60
            while int(self.get("/_count")) < start + 20 and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(skip_s)
            c1, t1 = int(self.get("/_count")), time.monotonic()
            time.sleep(window_s)
            c2, t2 = int(self.get("/_count")), time.monotonic()
            out["rps"] = (c2 - c1) / (t2 - t1)

        thread = threading.Thread(target=go, daemon=True)
        thread.start()
        return out, thread

    def stall_later(self, after_s: float, seconds: float) -> threading.Thread:
        """Stall for ``seconds`` once load has flowed for ``after_s`` seconds."""

        def go() -> None:
            start = int(self.get("/_count"))
            deadline = time.monotonic() + 60
            while int(self.get("/_count")) < start + 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(after_s)
            self.get(f"/_stall?s={seconds}", method="POST")

        thread = threading.Thread(target=go, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def bare_locust(url: str, lf: Path, user: str, users: int, seconds: float, tmp: Path) -> dict:
    """Run ``locust --headless``; read its own CSV summary (Aggregated row) and JSON stats."""
    prefix = tmp / f"bare{time.monotonic_ns()}"
    cmd = [sys.executable, "-m", "locust", "-f", str(lf), user, "--headless", "-u", str(users)]
    cmd += ["-r", str(users), "-t", f"{seconds:g}s", "-H", url, "--csv", str(prefix)]
    cmd += ["--only-summary", "--loglevel", "ERROR", "--json"]
    cpu = _cpu()
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=seconds + 60)
    cpu = _cpu() - cpu
    with open(f"{prefix}_stats.csv") as fh:
        row = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    stats = json.loads(out.stdout)
    span = max(e["last_request_timestamp"] for e in stats) - min(e["start_time"] for e in stats)
    n = int(row["Request Count"])
    return {"requests": n, "p99": float(row["99%"]), "rps": n / span, "per_cpu": n / cpu}


def ours(url: str, **kwargs: object) -> dict:
    """One pulsekit run, with its rps while running and requests per generator CPU-second."""
    cpu = _cpu()
    res = run(url, progress=False, **kwargs)  # type: ignore[arg-type]
    cpu = _cpu() - cpu
    return {"res": res, "rps": res.requests / res.duration_s, "per_cpu": res.requests / cpu}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    ns = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pulsekit-bench-"))
    lf = tmp / "bench_fast.py"
    lf.write_text(FAST)
    paced = tmp / "bench_paced.py"
    paced.write_text(PACED)
    target = Target()
    rows: list[tuple[str, str, str, str]] = []
    try:
        secs = ns.seconds
        # 1. closed-model throughput, one process each (interleaved, medians)
        bare, mine = [], []
        for _ in range(ns.repeat):
            served, thread = target.window_rps()
            bare.append(bare_locust(target.url, lf, "Bench", 20, secs, tmp))
            thread.join()
            bare[-1]["served"] = served["rps"]
            served, thread = target.window_rps()
            mine.append(ours(target.url, users=20, duration=secs, locustfile=lf))
            thread.join()
            mine[-1]["served"] = served["rps"]
        for key, label in (
            ("served", "rps served by the target (3 s window)"),
            ("per_cpu", "requests per generator CPU-second"),
        ):
            b = statistics.median(r[key] for r in bare)
            o = statistics.median(r[key] for r in mine)
            rows.append(
                (f"closed model, 20 users: {label}", f"{b:,.0f}", f"{o:,.0f}", f"{o / b:.2f}")
            )

        # 2. open model at 1,000 rps in one process
        opened = [
            ours(target.url, rate=1000, duration=secs, locustfile=lf) for _ in range(ns.repeat)
        ]
        busy = [r["res"].timeline["arrivals"] for r in opened]
        inner = [a[a > 0].iloc[1:-1] for a in busy]  # full seconds of the plan only
        mean = statistics.median(float(i.mean()) for i in inner)
        worst = min(int(i.min()) for i in inner)
        lag = statistics.median(r["res"].send_lag_ms.get("p99", float("nan")) for r in opened)
        per_cpu = statistics.median(r["per_cpu"] for r in opened)
        rows.append(
            (
                "open model, target 1,000 rps (1 process)",
                "n/a (no arrival-rate model)",
                f"{mean:,.0f} arrivals/s (worst second {worst:,}), send lag p99 {lag:,.0f} ms, "
                f"{per_cpu:,.0f} req/CPU-s",
                f"{mean / 1000 - 1:+.1%} vs target",
            )
        )

        # 3. a 2 s stall during a 100 rps run
        stall_s = 20.0  # as in the field notes: 10 stalled users among ~1,800 requests
        thread = target.stall_later(4.0, 2.0)
        bare_paced = bare_locust(target.url, paced, "Paced", 10, stall_s, tmp)
        thread.join()
        time.sleep(2.5)
        thread = target.stall_later(4.0, 2.0)
        res = run(target.url, rate=100, duration=stall_s, locustfile=lf, progress=False)
        thread.join()
        rows.append(
            (
                "2 s stall at 100 rps: p99 ms",
                f"{bare_paced['p99']:,.0f} (10 users x constant_throughput(10), "
                f"{bare_paced['requests']}/{int(stall_s * 100)} sent)",
                f"{res.latency_ms['p99']:,.0f} corrected (raw service {res.service_ms['p99']:,.0f},"
                f" Locust's own in this run {res.locust_p99_ms or 0:,.0f})",
                f"{res.latency_ms['p99'] / max(bare_paced['p99'], 1):.0f}x",
            )
        )

        # 4. workers=2 vs workers=1, closed model
        one, two = [], []
        for _ in range(max(1, ns.repeat - 1)):
            one.append(ours(target.url, users=20, duration=secs, locustfile=lf, workers=1))
            two.append(ours(target.url, users=20, duration=secs, locustfile=lf, workers=2))
        r1 = statistics.median(r["rps"] for r in one)
        r2 = statistics.median(r["rps"] for r in two)
        rows.append(
            (
                "closed rps: pulsekit workers=1 | workers=2",
                f"{r1:,.0f}",
                f"{r2:,.0f}",
                f"{r2 / r1:.2f}",
            )
        )
    finally:
        target.close()

    head = ("scenario", "Locust (bare)", "pulsekit", "ratio")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(4)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print(f"\n{ns.repeat} runs of {ns.seconds:g} s each (medians); target: pulsekit.load._target")


if __name__ == "__main__":
    main()
