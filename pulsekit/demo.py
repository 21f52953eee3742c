"""``make demo``: the reference question, end to end on this machine.

*What happens if more than 1000 people use a vendor's back-office dashboard and we remove a replica
from the database?* The demo starts the sandbox, puts 1000 vendor users on the dashboard with Locust,
SIGKILLs ``db-replica-1`` halfway, watches the golden signals and a latency SLO, writes a GameDay
journal, and renders a postmortem draft and a chart from it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulsekit._util import atomic_write

VICTIM = "db-replica-1"
DASHBOARD = "/api/vendors/{id}/dashboard"


@dataclass(frozen=True)
class Plan:
    """The demo's knobs (the defaults answer the reference question)."""

    users: int = 1000
    spawn_rate: float = 100.0
    think_time: tuple[float, float] = (4.0, 8.0)
    duration_s: float = 45.0
    kill_at_s: float = 25.0
    out_dir: Path = Path("runs/demo")


class Journal:
    """An append-only GameDay journal in pulsekit's JSON-lines shape (see docs/incidents.md)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")

    def write(self, type_: str, description: str, *, at: float | None = None, **data: Any) -> None:
        when = datetime.fromtimestamp(at if at is not None else time.time(), UTC)
        line = {
            "time": when.isoformat().replace("+00:00", "Z"),
            "type": type_,
            "source": "demo",
            "description": description,
            "data": data,
        }
        with self.path.open("a") as fh:
            fh.write(json.dumps(line) + "\n")


def _window(timeline: Any, start: float, end: float) -> dict[str, float]:
    rows = timeline[(timeline.index >= start) & (timeline.index < end)]
    requests = float(rows["requests"].sum())
    return {
        "rps": requests / max(1, len(rows)),
        "p95_ms": float(rows["p95_ms"].median()) if len(rows) else float("nan"),
        "p99_ms": float(rows["p99_ms"].median()) if len(rows) else float("nan"),
        "errors": float(rows["failures"].sum()) / max(1.0, requests),
    }


def main(out: Callable[[str], None] = print, plan: Plan | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from pulsekit.incidents import render_postmortem
    from pulsekit.load import run
    from pulsekit.observe import SLO, latency, scrape
    from pulsekit.sandbox import Sandbox

    plan = plan or Plan()
    journal = Journal(plan.out_dir / "journal.jsonl")
    out("starting the sandbox: gateway, 3 api replicas, db primary + 2 read replicas, payments ...")
    with (
        Sandbox(replicas=3, db_replicas=2) as shop,
        scrape(shop.metrics_targets, every="1s") as scraper,
    ):
        journal.write(
            "run.started",
            "GameDay: lose a database replica under 1000 dashboard users",
            title="Database replica loss under back-office load",
            services=["db", "api"],
        )
        killed: dict[str, float] = {}

        def kill() -> None:
            killed["at"] = time.time()
            shop.kill(VICTIM)
            journal.write("fault.applied", f"SIGKILL {VICTIM}", target=VICTIM)

        out(
            f"{plan.users} vendor users on the back-office dashboard for {plan.duration_s:.0f} s; "
            f"SIGKILL {VICTIM} at t={plan.kill_at_s:.0f} s"
        )
        result = run(
            shop,
            users=plan.users,
            spawn_rate=plan.spawn_rate,
            mix="vendor",
            think_time=plan.think_time,
            duration=plan.duration_s,
            seed=7,
            schedule=[(plan.kill_at_s, kill)],
            thresholds=["http_req_duration: p(95)<500", "http_req_failed: rate<0.01"],
        )
        shop.restart(VICTIM)
        journal.write("fault.reverted", f"{VICTIM} restarted and healthy", target=VICTIM)
        slo = SLO(
            objective=0.99, window="30d", sli=latency("gateway", threshold="250ms", route=DASHBOARD)
        )
        warm = result.started_at + plan.users / plan.spawn_rate + 3  # judge the SLO after the ramp
        report = slo.compressed("10m").evaluate(scraper, start=datetime.fromtimestamp(warm, UTC))

    ramp = plan.users / plan.spawn_rate + 3
    before = _window(result.timeline, ramp, plan.kill_at_s)
    after = _window(result.timeline, plan.kill_at_s + 2, plan.duration_s)
    for check in result.thresholds:
        if not check.passed:
            journal.write("threshold.failed", f"threshold {check}", threshold=str(check))
    alerts = [{str(k): v for k, v in a.items()} for a in report.alerts.to_dict("records")]
    for alert in alerts:
        journal.write(
            "slo.breach",
            f"{alert['severity']} burn-rate alert {alert['rule']} fired",
            at=alert["start"].timestamp(),
            slo_target=slo.objective,
        )
    journal.write(
        "measurement",
        "requests so far",
        requests_total=result.requests,
        requests_failed=result.failures,
    )
    journal.write("run.ended", f"load run {result.status}", status="completed")

    out("")
    out("                      before the kill    after the kill")
    out(f"requests/s            {before['rps']:>15.0f} {after['rps']:>17.0f}")
    out(f"p95 latency (ms)      {before['p95_ms']:>15.0f} {after['p95_ms']:>17.0f}")
    out(f"p99 latency (ms)      {before['p99_ms']:>15.0f} {after['p99_ms']:>17.0f}")
    out(f"errors                {before['errors']:>15.2%} {after['errors']:>17.2%}")
    pages = [
        a["start"].timestamp() - killed["at"]
        for a in alerts
        if a["severity"] == "page" and "at" in killed and a["start"].timestamp() >= killed["at"] - 1
    ]
    out("")
    out(
        f"answer: losing {VICTIM} under {plan.users} dashboard users moved p95 from "
        f"{before['p95_ms']:.0f} ms to {after['p95_ms']:.0f} ms with {after['errors']:.2%} errors; "
        + (
            f"the latency SLO paged {max(0.0, min(pages)):.0f} s after the kill."
            if pages
            else "the latency SLO did not page."
        )
    )
    out("")
    out(result.summary())
    out("")
    out(report.summary())

    chart = plan.out_dir / "load.png"
    ax = result.plot(windows=[(plan.kill_at_s, plan.duration_s, f"{VICTIM} killed")])
    figure: Any = ax.figure
    figure.savefig(chart, dpi=100)
    draft = render_postmortem(
        journal.path, template="gameday", out=plan.out_dir / "postmortem.md", force=True
    )
    atomic_write(plan.out_dir / "result.json", json.dumps(result.to_dict(), indent=2, default=str))
    out("")
    out(f"journal:    {journal.path}")
    out(f"chart:      {chart}")
    out(f"postmortem: {plan.out_dir / 'postmortem.md'} ({draft.summary().splitlines()[0]})")
    out("every process stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
