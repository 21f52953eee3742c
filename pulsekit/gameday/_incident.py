"""Time to detect and time to mitigate a bad deploy, from the run's steps and SLO pages.

The deploy step is the impact's start; the first page-severity SLO alert that starts after it is
the detection; the step's revert (the rollback: a later ``deploy`` of the good build, or the
ledger's rollback at the end) is the mitigation. Both are journalled as the incidents package's
``detected`` and ``mitigated`` milestones, so the postmortem draft shows the same figures.
"""

from __future__ import annotations

from typing import Any

from pulsekit.gameday.journal import Event, Journal

MIN_AFTER_FIRST_JUDGED_S = 2.0  # an alert firing from the SLO's first judged second: not caused


def time_incident(
    ledger: Any, alerts: Any, slo_from: float | None, scraper: Any, t0: float, journal: Journal
) -> dict[str, Any] | None:
    """``{deployed_t, detected_t, mitigated_t, ttd_s, ttm_s, ...}`` (seconds after T0), or None
    when no deploy changed a build."""
    bad = next(
        (a for a in ledger.applied if a.step.action == "deploy" and a.fault is not None), None
    )
    if bad is None:
        return None
    deployed = round(bad.applied_t, 1)
    pages = sorted(
        (
            a
            for a in alerts
            if a.severity == "page"
            and a.start_t >= deployed
            and (slo_from is None or a.start_t - slo_from >= MIN_AFTER_FIRST_JUDGED_S)
        ),
        key=lambda a: a.start_t,
    )
    page = pages[0] if pages else None
    mitigated = None if bad.reverted_t is None else round(bad.reverted_t, 1)
    out: dict[str, Any] = {
        "step": bad.step.name,
        "target": bad.step.target,
        "version": dict(bad.step.params).get("version"),
        "deployed_t": deployed,
        "detected_t": None if page is None else page.start_t,
        "detected_by": None if page is None else f"SLO alert {page.rule} ({page.severity})",
        "mitigated_t": mitigated,
        "mitigated_by": bad.reverted_by,
        "ttd_s": None if page is None else round(page.start_t - deployed, 1),
        "ttm_s": None if mitigated is None else round(mitigated - deployed, 1),
        "in_rotation_ratio": _in_rotation(scraper, bad.step.target, t0, deployed, mitigated),
    }
    if page is not None:
        journal.write(
            Event.DETECTED,
            f"detected: {out['detected_by']}, {out['ttd_s']:g} s after the deploy",
            at=t0 + page.start_t,
            ttd_s=out["ttd_s"],
            rule=page.rule,
        )
    if mitigated is not None:
        journal.write(
            Event.MITIGATED,
            f"mitigated: {bad.step.target} rolled back ({bad.reverted_by}), "
            f"{out['ttm_s']:g} s after the deploy",
            at=t0 + mitigated,
            ttm_s=out["ttm_s"],
        )
    return out


def _in_rotation(
    scraper: Any, target: str, t0: float, start: float, end: float | None
) -> float | None:
    """Share of the gateway's scrapes between deploy and rollback with ``target`` in rotation
    (``shop_gateway_upstream_up == 1``): did the health checks take the bad build out?"""
    if scraper is None:
        return None
    frame = scraper.df
    rows = frame[
        (frame["target"] == "gateway")
        & (frame["metric"] == "shop_gateway_upstream_up")
        & (frame["labels"].str.contains(f'upstream="{target}"', regex=False))
    ]
    times = rows["time"].map(lambda t: t.timestamp() - t0)
    rows = rows[(times >= start) & (times <= (end if end is not None else float("inf")))]
    if rows.empty:
        return None
    return round(float((rows["value"] == 1).mean()), 3)
