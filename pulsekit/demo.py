"""``make demo``: the reference question, answered by the flagship GameDay on this machine.

*What happens if more than 1000 people use a vendor's back-office dashboard and we remove a replica
from the database?* The demo runs ``gamedays/01_db_replica_loss/gameday.yaml`` through the GameDay
engine (sandbox, 1000 vendor users, SIGKILL of ``db-replica-1`` mid-run, stop condition, rollback,
report, postmortem) and prints the answer with each window's figures as the engine measured them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

FLAGSHIP = Path(__file__).resolve().parents[1] / "gamedays" / "01_db_replica_loss"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def main(
    out: Callable[[str], None] = print,
    *,
    params: dict[str, Any] | None = None,
    out_dir: str | Path | None = None,
) -> int:
    """Run the flagship GameDay (``params`` shorten it, e.g. for tests) and print the answer."""
    from pulsekit import gameday

    spec = gameday.load_spec(FLAGSHIP, **(params or {}))
    victim = spec.steps[0].target
    out(f"GameDay: {spec.title}")
    out(
        f"{spec.load.users} vendor users on the back-office dashboard for {spec.duration_s:g} s; "
        f"{spec.steps[0].action} {victim} at T+{spec.steps[0].at_s:g} s; "
        f"hypothesis: {'; '.join(spec.hypothesis_text())}"
    )
    result = gameday.run(FLAGSHIP, out=out_dir, params=params)
    before, after = result.windows["baseline"], result.windows["fault"]
    out("")
    out(f"{'':22}{'before the kill':>18}{'after the kill':>18}")
    out(
        f"{'window (s after T0)':22}{f'{before.start_s:g}-{before.end_s:g}':>18}{f'{after.start_s:g}-{after.end_s:g}':>18}"
    )
    out(f"{'requests/s':22}{before.rps:>18.0f}{after.rps:>18.0f}")
    out(f"{'p95 latency (ms)':22}{_ms(before.p95_ms):>18}{_ms(after.p95_ms):>18}")
    out(f"{'p99 latency (ms)':22}{_ms(before.p99_ms):>18}{_ms(after.p99_ms):>18}")
    out(f"{'errors':22}{_pct(before.error_rate):>18}{_pct(after.error_rate):>18}")
    caused = result.caused_alerts("page")
    earlier = [a for a in result.alerts if a.severity == "page" and a not in caused]
    if caused:
        paged = f"the latency SLO paged {caused[0].delay_after_fault_s:.0f} s after the kill."
    elif earlier:
        paged = (
            f"the latency SLO was already paging before the kill (from T+{earlier[0].start_t:g} s)."
        )
    else:
        paged = "the latency SLO did not page."
    if result.page is not None:
        verdict = "held" if result.page.passed else "NOT held"
        paged = paged[:-1] + f" (hypothesis: pages within {result.page.within_s:g} s: {verdict})."
    out("")
    out(
        f"answer: losing {victim} under {spec.load.users} dashboard users moved p95 from "
        f"{_ms(before.p95_ms)} ms (window {before.start_s:g}-{before.end_s:g} s) to "
        f"{_ms(after.p95_ms)} ms (window {after.start_s:g}-{after.end_s:g} s) with "
        f"{_pct(after.error_rate)} errors; {paged}"
    )
    out("(p95/p99 from the load's HdrHistograms merged over each whole window)")
    out("")
    out(result.summary())
    out("")
    out(f"report:     {result.report}")
    out(f"postmortem: {result.postmortem}")
    out(f"journal:    {result.journal}")
    out("every step rolled back, every process stopped.")
    return 130 if result.status == "interrupted" else 0


if __name__ == "__main__":
    raise SystemExit(main())
