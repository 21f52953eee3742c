"""Incident records: the price of durability and of a tolerant journal reader, against plain anchors.

    .venv/bin/python benchmarks/bench_incidents.py [--notes 500] [--lines 20000] [--runs 5]

* timeline appends: ``Incident.note`` (one fsynced JSON line per entry, plus the atomic record
  rewrite only for record changes) against a plain ``file.write`` of JSON lines without fsync;
* journal reading: ``read_journal`` on a pulsekit JSON-lines journal (validation, time parsing,
  milestone inference) against ``json.loads`` per line;
* postmortem: ``render_postmortem`` of a 500-entry incident with its chart, against rendering the
  same Jinja2 template without the chart.

Medians of ``--runs`` runs, in the same process, on the same disk (/tmp).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notes", type=int, default=500)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from pulsekit.incidents import Incident, read_journal, render_postmortem

    root = Path(tempfile.mkdtemp(prefix="pulsekit-bench-incidents-"))
    t0 = datetime.now(UTC) - timedelta(days=1)
    rows: list[tuple[str, float, float]] = []
    try:
        counter = iter(range(10**9))

        def pulsekit_notes() -> None:
            inc = Incident("bench", dir=root / f"inc-{next(counter)}")
            for i in range(args.notes):
                inc.note(f"note {i}", owner="li")

        def plain_notes() -> None:
            path = root / f"plain-{next(counter)}.jsonl"
            with open(path, "a") as fh:
                for i in range(args.notes):
                    fh.write(
                        json.dumps({"time": t0.isoformat(), "description": f"note {i}"}) + "\n"
                    )

        ours, anchor = _median(pulsekit_notes, args.runs), _median(plain_notes, args.runs)
        rows.append((f"{args.notes} timeline notes (fsync each) vs plain writes", ours, anchor))

        journal = root / "journal.jsonl"
        with open(journal, "w") as fh:
            for i in range(args.lines):
                kind = ("probe", "measurement", "fault.applied", "fault.reverted")[i % 4]
                when = (t0 + timedelta(seconds=i)).isoformat()
                data = {"requests_total": i, "requests_failed": i // 100, "target": "api-2"}
                row = {"time": when, "type": kind, "description": f"e{i}", "data": data}
                fh.write(json.dumps(row) + "\n")

        def plain_read() -> None:
            with open(journal) as fh:
                [json.loads(line) for line in fh]

        ours = _median(lambda: read_journal(journal), args.runs)
        anchor = _median(plain_read, args.runs)
        rows.append((f"read a {args.lines}-line journal vs json.loads per line", ours, anchor))

        big = Incident("bench render", dir=root / "render-src", reported_at=t0)
        for i in range(500):
            big.note(f"entry {i}", at=t0 + timedelta(seconds=i))
        out = root / "pm"

        def with_chart() -> None:
            render_postmortem(big, out=out / "pm.md", force=True)

        def without_chart() -> None:
            render_postmortem(big)

        ours, anchor = _median(with_chart, args.runs), _median(without_chart, args.runs)
        rows.append(("render a 500-entry postmortem + chart vs text only", ours, anchor))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"{'case':62s} {'pulsekit s':>11s} {'anchor s':>9s} {'ratio':>6s}")
    for name, ours, anchor in rows:
        print(f"{name:62s} {ours:11.4f} {anchor:9.4f} {ours / anchor:6.1f}")


if __name__ == "__main__":
    main()
