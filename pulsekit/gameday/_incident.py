"""Time to detect and time to mitigate a bad deploy, read from the run's journal.

As the incidents package (and so the postmortem draft) counts them: the impact starts when the faulty
build serves (the deploy's ``fault.applied``, once the replica restarted); it is detected by the first
page-severity SLO alert after that (``slo.alert``); it is mitigated when the good build serves again
(the deploy's ``fault.reverted``: the rollback step, or the ledger's rollback at the end).
TTD = detected - impact start; TTM = mitigated - detected; impact = mitigated - impact start.
``detected`` and ``mitigated`` are journalled too, so the draft's timeline and metrics agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pulsekit.gameday.journal import Event, Journal, read_events

MIN_AFTER_FIRST_JUDGED_S = 2.0  # an alert firing from the SLO's first judged second: not caused


def _t(event: dict[str, Any], t0: float) -> float:
    return round(datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp() - t0, 1)


def time_incident(
    slo_from: float | None, scraper: Any, t0: float, journal: Journal
) -> dict[str, Any] | None:
    """``{live_t, detected_t, mitigated_t, ttd_s, ttm_s, impact_s, ...}`` (seconds after T0), or
    None when no deploy changed a build."""
    events = read_events(journal.path)
    bad = next(
        (
            e
            for e in events
            if e["type"] == Event.FAULT_APPLIED and e["data"].get("kind") == "deploy"
        ),
        None,
    )
    if bad is None:
        return None
    live = _t(bad, t0)
    back = next(
        (
            e
            for e in events
            if e["type"] == Event.FAULT_REVERTED
            and e["data"].get("fault_id") == bad["data"]["fault_id"]
        ),
        None,
    )
    mitigated = None if back is None else _t(back, t0)
    pages = sorted(
        (
            (_t(e, t0), e)
            for e in events
            if e["type"] == Event.SLO_ALERT and e["data"].get("severity") == "page"
        ),
        key=lambda pair: pair[0],
    )
    pages = [
        (t, e)
        for t, e in pages
        if live <= t <= (mitigated if mitigated is not None else float("inf"))
        and (slo_from is None or t - slo_from >= MIN_AFTER_FIRST_JUDGED_S)
    ]  # a page after the rollback detected nothing in time
    detected, page = pages[0] if pages else (None, None)
    target = bad["data"]["target"]
    # the faulty build served until the rollback began to replace it (a redeploy takes seconds)
    replaced = None
    if back is not None and mitigated is not None:
        replaced = float(back["data"].get("began_at", t0 + mitigated)) - t0
    out: dict[str, Any] = {
        "target": target,
        "version": bad["data"].get("version"),
        "live_t": live,
        "detected_t": detected,
        "detected_by": None if page is None else f"SLO alert {page['data']['rule']} (page)",
        "mitigated_t": mitigated,
        "mitigated_by": None if back is None else back["data"].get("reverted_by"),
        "ttd_s": None if detected is None else round(detected - live, 1),
        "ttm_s": None if detected is None or mitigated is None else round(mitigated - detected, 1),
        "impact_s": None if mitigated is None else round(mitigated - live, 1),
        "in_rotation_ratio": _in_rotation(scraper, target, t0, live, replaced),
    }
    if page is not None:
        journal.write(
            Event.DETECTED,
            f"detected: {out['detected_by']}, {out['ttd_s']:g} s after the faulty build served",
            at=t0 + detected,  # type: ignore[operator]
            ttd_s=out["ttd_s"],
            rule=page["data"]["rule"],
        )
    if mitigated is not None:
        journal.write(
            Event.MITIGATED,
            f"mitigated: {target} serves the good build again ({out['mitigated_by']})",
            at=t0 + mitigated,
            ttm_s=out["ttm_s"],
            impact_s=out["impact_s"],
        )
    return out


def _in_rotation(
    scraper: Any, target: str, t0: float, start: float, end: float | None
) -> float | None:
    """Share of the gateway's scrapes from ``start`` to ``end`` with ``target`` in rotation
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
