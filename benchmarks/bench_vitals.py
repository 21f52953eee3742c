"""Accuracy and speed of pulsekit.vitals on a page with known vitals, beside Lighthouse 12 if present.

Run: .venv/bin/python benchmarks/bench_vitals.py [--runs 5] [--lighthouse PATH] [--lh-runs 2]

The page (pulsekit.vitals._testpage.ReferencePage) paints its LCP element at 1200 ms after navigation
start and shifts by a designed amount (CLS = impact fraction x distance fraction). It is served by a local
HTTP server this script starts. Lighthouse is used when found at --lighthouse, $LIGHTHOUSE or
/tmp/lh/node_modules/.bin/lighthouse (npm install -E lighthouse@12.2.3); Chromium from PULSEKIT_CHROMIUM,
PATH or /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from pulsekit.vitals import Session, collect
from pulsekit.vitals._browser import LAUNCH_ARGS, find_chromium
from pulsekit.vitals._testpage import ReferencePage

PAGE = ReferencePage()
TALL = ReferencePage(later_px=2000)  # #later is below the fold: reaching it needs a scroll
PLAIN = "<!doctype html><html><body><h1>Plain page</h1><p>Nothing late here.</p></body></html>"


def serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/ref"):
                body = PAGE.html().encode()
            elif self.path.startswith("/tall"):
                body = TALL.html().encode()
            else:
                body = PLAIN.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def lighthouse_run(lh: str, url: str) -> tuple[float, dict[str, float]]:
    """One Lighthouse run, unthrottled, 1350x940 screen (comparable to profile='none'), no clicks."""
    chrome = find_chromium()
    flags = " ".join(["--headless=new", "--no-sandbox", *LAUNCH_ARGS])
    cmd = [
        lh,
        url,
        "--only-categories=performance",
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        "--preset=desktop",  # 1350x940 screen, desktop form factor
        "--throttling-method=provided",  # no throttling, like profile="none"
        f"--chrome-flags={flags}",
    ]
    started = time.monotonic()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=180, env={**os.environ, "CHROME_PATH": chrome}
    )
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-800:])
    audits = json.loads(proc.stdout)["audits"]
    names = {
        "LCP": "largest-contentful-paint",
        "CLS": "cumulative-layout-shift",
        "FCP": "first-contentful-paint",
        "TBT": "total-blocking-time",
    }
    return wall, {m: float(audits[a]["numericValue"]) for m, a in names.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lh-runs", type=int, default=2)
    parser.add_argument("--lighthouse", default=os.environ.get("LIGHTHOUSE"))
    args = parser.parse_args()
    server, base = serve()
    ref, plain = base + "/ref", base + "/plain"
    expected_cls = PAGE.expected_cls(1350, 940)

    # cold: a fresh process running the CLI once (Python + Playwright + Chromium start-up included)
    cold = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pulsekit.cli",
                "vitals",
                plain,
                "--runs",
                "1",
                "--profile",
                "none",
                "--json",
            ],
            check=True,
            capture_output=True,
        )
        cold.append(time.monotonic() - started)
    started = time.monotonic()
    collect(plain, runs=1, profile="none")
    in_process_cold = time.monotonic() - started

    with Session() as browser:
        warm = [r.wall_s for r in browser.collect(plain, runs=args.runs, profile="none").runs]
        result = browser.collect(ref, runs=args.runs, profile="none", interactions=["#buy"])
        mobile = browser.collect(ref, runs=args.runs, profile="mobile", interactions=["#buy"])
        scrolled = browser.collect(
            base + "/tall", runs=args.runs, profile="mobile", interactions=["#later"]
        )
    lcps = [r.lcp or 0.0 for r in result.runs]
    clss = [r.cls or 0.0 for r in result.runs]
    lcp_err = max(abs(v - PAGE.lcp_at_ms) / PAGE.lcp_at_ms for v in lcps)
    cls_err = max(abs(v - expected_cls) for v in clss)

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared, noisy)")
    print(f"\n## accuracy (profile none, {args.runs} runs, 1350x940)")
    print("| metric | designed | measured median | worst error | target | ok |")
    print("|---|---|---|---|---|---|")
    print(
        f"| LCP | {PAGE.lcp_at_ms} ms | {statistics.median(lcps):.0f} ms | {lcp_err * 100:.1f} % "
        f"| ±10 % | {'yes' if lcp_err <= 0.10 else 'NO'} |"
    )
    print(
        f"| CLS | {expected_cls:.4f} | {statistics.median(clss):.4f} | {cls_err:.4f} "
        f"| ±0.01 | {'yes' if cls_err <= 0.01 else 'NO'} |"
    )
    inps = [r.inp or 0.0 for r in result.runs]
    print(
        f"| INP | ≥ {PAGE.click_ms} ms (busy click) | {statistics.median(inps):.0f} ms | - | - | - |"
    )
    mobile_cls = PAGE.expected_cls(412, 823)
    print(
        f"\n## mobile profile (Slow 4G + 4x CPU, 412x823 mobile viewport, touch: taps), {args.runs} runs"
    )
    print("| metric | designed | measured median | reported in | target | ok |")
    print("|---|---|---|---|---|---|")
    m_cls = [r.cls for r in mobile.runs if r.cls is not None]
    m_err = max((abs(v - mobile_cls) for v in m_cls), default=float("inf"))
    print(
        f"| CLS (late banner) | {mobile_cls:.4f} | {statistics.median(m_cls or [0]):.4f} "
        f"| {len(m_cls)}/{len(mobile.runs)} runs | ±0.01 | {'yes' if m_err <= 0.01 else 'NO'} |"
    )
    for label, res in (("tap on #buy", mobile), ("tap on #later, after a scroll", scrolled)):
        values = [r.inp for r in res.runs if r.inp is not None]
        ok = len(values) == len(res.runs) and min(values) >= PAGE.click_ms
        print(
            f"| INP ({label}) | ≥ {PAGE.click_ms} ms | {statistics.median(values or [0]):.0f} ms "
            f"| {len(values)}/{len(res.runs)} runs | reported, ≥ {PAGE.click_ms} ms "
            f"| {'yes' if ok else 'NO'} |"
        )
    print("\n## speed")
    print("| measurement | median | min | max | target |")
    print("|---|---|---|---|---|")
    print(
        f"| cold, new process (`pulsekit vitals URL --runs 1`) | {statistics.median(cold):.2f} s "
        f"| {min(cold):.2f} s | {max(cold):.2f} s | ≤ 5 s |"
    )
    print(f"| cold, in process (`collect(url, runs=1)`) | {in_process_cold:.2f} s | | | ≤ 5 s |")
    print(
        f"| warm run in an open browser (plain page, {len(warm)} runs) | {statistics.median(warm):.2f} s "
        f"| {min(warm):.2f} s | {max(warm):.2f} s | ≤ 1.5 s |"
    )
    walls = [r.wall_s for r in result.runs]
    print(
        f"| warm run, reference page (LCP at 1.2 s + 1 s quiet) | {statistics.median(walls):.2f} s | {min(walls):.2f} s | {max(walls):.2f} s | |"
    )

    lh = args.lighthouse or "/tmp/lh/node_modules/.bin/lighthouse"
    if not Path(lh).exists():
        print(f"\nLighthouse not found at {lh}: side-by-side skipped")
        return
    print(
        f"\n## beside Lighthouse ({lh}, provided throttling, desktop screen, {args.lh_runs} runs)"
    )
    try:
        runs = [lighthouse_run(lh, ref) for _ in range(args.lh_runs)]
    except Exception as exc:  # report, do not hide
        print(f"Lighthouse failed: {exc}")
        return
    lh_wall = statistics.median(w for w, _ in runs)
    print("| metric | designed | pulsekit median (with a click) | Lighthouse median (no click) |")
    print("|---|---|---|---|")
    for m in ("LCP", "CLS", "FCP", "TBT"):
        ours = statistics.median((r.value(m) or 0.0) for r in result.runs)
        theirs = statistics.median(v[m] for _, v in runs)
        design = {"LCP": f"{PAGE.lcp_at_ms}", "CLS": f"{expected_cls:.4f}"}.get(m, "-")
        fmt = "{:.4f}" if m == "CLS" else "{:.0f}"
        print(f"| {m} | {design} | {fmt.format(ours)} | {fmt.format(theirs)} |")
    print(
        f"\ntime per page: Lighthouse {lh_wall:.1f} s (new process each) vs pulsekit cold "
        f"{statistics.median(cold):.2f} s (ratio {lh_wall / statistics.median(cold):.1f}x) and warm "
        f"{statistics.median(walls):.2f} s on this page (ratio {lh_wall / statistics.median(walls):.1f}x)"
    )
    server.shutdown()


if __name__ == "__main__":
    main()
