"""Benchmark the GameDay screen: the runner's CPU with and without ``--screen``, and how long a step
takes to appear on the page.

    .venv/bin/python benchmarks/bench_screen.py [--users 100] [--seconds 30] [--repeat 2]

1. CPU: the same short flagship spec (users and duration from the flags; three steps) run in fresh
   processes, alternately without and with ``screen=True``; with the screen a headless Chromium keeps
   the page open (polling twice a second, redrawing every chart). CPU of the runner process only,
   from the moment the load starts until it returns. Goal: with - without < 2% of one core.
2. Delay: in the screen runs, a MutationObserver in the page stamps (wall clock) the first time each
   step shows as running; the delay is that minus the ``step.applied`` event's time. Goal: < 1 s.
Everything on 127.0.0.1; every run is bounded.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "gamedays" / "01_db_replica_loss"

CHILD = r"""
import json, sys, time
import pulsekit.load as load_pkg
from pulsekit import gameday

screen, users, seconds, out = sys.argv[1] == "screen", int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
third = int(seconds // 4)
params = {
    "load.users": users,
    "load.spawn_rate": max(1, users // 5),
    "duration": f"{seconds:g}s",
    "windows": {"baseline": [2, third], "fault": [third + 1, int(seconds)]},
    "steps": [
        {"at": f"{third}s", "action": "latency", "target": "api->db-primary", "ms": 20, "duration": "4s"},
        {"at": f"{2 * third}s", "action": "kill", "target": "db-replica-1"},
        {"at": f"{3 * third}s", "action": "restart", "target": "db-replica-1"},
    ],
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
gameday.run(spec, out=out, progress=False, report=False, screen=screen)
print(json.dumps(measured))
"""

OBSERVER = """() => {
  window.__seen = {};
  new MutationObserver(() => {
    for (const li of document.querySelectorAll('#steps li[data-step]')) {
      const s = li.dataset.state;
      if ((s === 'running' || s === 'done') && !(li.dataset.step in window.__seen))
        window.__seen[li.dataset.step] = Date.now();
    }
  }).observe(document.getElementById('steps'), {childList: true, subtree: true, attributes: true});
}"""


def one_run(screen: bool, users: int, seconds: float, browser: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        mode = "screen" if screen else "plain"
        cmd = [sys.executable, "-c", CHILD, mode, str(users), str(seconds), tmp, str(FLAGSHIP)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        page = None
        seen: dict[str, float] = {}
        try:
            if screen:
                assert proc.stderr is not None
                line = proc.stderr.readline()
                match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
                if not match:
                    raise SystemExit(f"no screen URL: {line}")
                page = browser.new_page()
                page.goto(match.group(1))
                page.evaluate(OBSERVER)
                while proc.poll() is None:
                    seen = page.evaluate("() => window.__seen") or seen
                    time.sleep(0.5)
            stdout, stderr = proc.communicate(timeout=seconds + 300)
        finally:
            if page is not None:
                page.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise SystemExit(f"{mode} run failed:\n{stderr[-3000:]}")
        row = json.loads(stdout.strip().splitlines()[-1])
        delays = []
        for line in (Path(tmp) / "journal.jsonl").read_text().splitlines():
            event = json.loads(line)
            if event["type"] == "step.applied" and event["data"]["step"] in seen:
                at = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
                delays.append(seen[event["data"]["step"]] / 1000 - at)
        row["delays"] = delays
        return row


def main() -> None:
    from playwright.sync_api import sync_playwright

    from pulsekit.vitals._browser import LAUNCH_ARGS, find_chromium

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    rows: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=find_chromium(),
            headless=True,
            chromium_sandbox=False,
            args=list(LAUNCH_ARGS),
        )
        for _ in range(args.repeat):
            for screen in (False, True):
                rows[screen].append(one_run(screen, args.users, args.seconds, browser))
        browser.close()
    print(f"## runner CPU during the load ({args.users} vendor users, {args.seconds:g} s)\n")
    print("| run | parent CPU s | wall s | % of one core | requests |")
    print("|---|---:|---:|---:|---:|")
    share = {}
    for screen, runs in rows.items():
        name = "with --screen (page open)" if screen else "without --screen"
        for row in runs:
            pct = 100 * row["cpu"] / row["wall"]
            print(
                f"| {name} | {row['cpu']:.2f} | {row['wall']:.1f} | {pct:.1f}% | {row['requests']} |"
            )
        share[screen] = statistics.mean(100 * r["cpu"] / r["wall"] for r in runs)
    print(
        f"\nscreen overhead (mean of {args.repeat} pairs): {share[True] - share[False]:.1f}% of one core (goal < 2%)\n"
    )
    delays = [d for r in rows[True] for d in r["delays"]]
    print("## delay from a step (journal time) to the page showing it\n")
    if delays:
        print(
            f"{len(delays)} steps: median {statistics.median(delays):.2f} s, max {max(delays):.2f} s (goal < 1 s)"
        )
    else:
        print("no step was seen on the page")


if __name__ == "__main__":
    main()
