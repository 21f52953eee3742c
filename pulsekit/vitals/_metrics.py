"""Raw performance entries -> metric values, following the web-vitals library's rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_CLS_GAP_MS = 1000.0  # a shift joins the current session window if < 1 s after the previous one
_CLS_CAP_MS = 5000.0  # ... and < 5 s after the window's first shift
_INP_KEEP = 10  # web-vitals keeps the 10 longest interactions
_BLOCKING_MS = 50.0
_RECENT_INPUT_MS = 500.0  # Chromium's hadRecentInput window


def ttfb(nav: Mapping[str, Any] | None) -> float | None:
    """``responseStart - activationStart`` of the navigation entry, never negative."""
    if not nav or nav.get("responseStart") is None:
        return None
    return max(float(nav["responseStart"]) - float(nav.get("activationStart") or 0.0), 0.0)


def fcp(
    paints: Sequence[Mapping[str, Any]], activation: float, hidden_at: float | None
) -> float | None:
    """First contentful paint, if it happened before the page was first hidden."""
    for p in paints:
        if p.get("name") == "first-contentful-paint":
            t = float(p["t"])
            if hidden_at is None or t < hidden_at:
                return max(t - activation, 0.0)
    return None


def lcp(
    entries: Sequence[Mapping[str, Any]],
    activation: float,
    final_at: float | None,
) -> tuple[float | None, str | None]:
    """(value, element) of the last LCP candidate rendered before the first input or hide."""
    best: Mapping[str, Any] | None = None
    for e in entries:
        if final_at is None or float(e["t"]) < final_at:
            best = e
    if best is None:
        return None, None
    return max(float(best["t"]) - activation, 0.0), best.get("el")


def after_input(shift: Mapping[str, Any], inputs: Sequence[float] | None) -> bool:
    """Whether a shift follows real input, so CLS leaves it out.

    ``inputs`` are the times of trusted pointerdown/keydown/... events. Chromium's mobile emulation
    also sets ``hadRecentInput`` on shifts in the first ~500 ms after navigation when nothing was
    input (Lighthouse counts those too); with ``inputs`` known, only a flagged shift that has an
    input in the 500 ms before it is left out. ``inputs=None`` trusts the flag alone.
    """
    if not shift.get("input"):
        return False
    if inputs is None:
        return True
    t = float(shift["t"])
    return any(t - _RECENT_INPUT_MS <= float(i) <= t for i in inputs)


def cls(shifts: Sequence[Mapping[str, Any]], inputs: Sequence[float] | None = None) -> float:
    """Largest session-window sum of layout shifts not caused by recent input (0 when none)."""
    worst = current = 0.0
    first = last = None
    for s in sorted(shifts, key=lambda s: float(s["t"])):
        if after_input(s, inputs):
            continue
        t = float(s["t"])
        if (
            first is not None
            and last is not None
            and t - last < _CLS_GAP_MS
            and t - first < _CLS_CAP_MS
        ):
            current += float(s["value"])
        else:
            current, first = float(s["value"]), t
        last = t
        worst = max(worst, current)
    return worst


def inp(
    events: Sequence[Mapping[str, Any]], *, interactions: int, count: int | None
) -> float | None:
    """Interaction to Next Paint: about the p98 of interaction latencies; None with no interaction.

    An interaction's latency is its longest event duration. Of the 10 longest, web-vitals reports the one
    at ``min(n - 1, interaction_count // 50)``; interactions that ran but were all faster than the
    Event Timing threshold give 0, as in web-vitals.
    """
    latency: dict[int, float] = {}
    for e in events:
        key = int(e.get("id") or 0)
        if key > 0:
            latency[key] = max(latency.get(key, 0.0), float(e["d"]))
    if not latency:
        return 0.0 if max(interactions, count or 0) > 0 else None
    longest = sorted(latency.values(), reverse=True)[:_INP_KEEP]
    total = max(count or 0, len(latency), interactions)
    return longest[min(len(longest) - 1, total // 50)]


def tbt(longtasks: Sequence[Mapping[str, Any]], start: float | None) -> float:
    """Total Blocking Time: sum of (task time after ``start`` (FCP) - 50 ms) over long tasks."""
    origin = start or 0.0
    total = 0.0
    for task in longtasks:
        t, d = float(task["t"]), float(task["d"])
        clipped = t + d - max(t, origin)
        if clipped > _BLOCKING_MS:
            total += clipped - _BLOCKING_MS
    return total


def compute(raw: Mapping[str, Any], *, interactions: int) -> dict[str, Any]:
    """Every metric of one page load from the observer's snapshot."""
    nav = raw.get("nav")
    activation = float((nav or {}).get("activationStart") or 0.0)
    hidden = raw.get("firstHidden")
    inputs = raw.get("inputAt")
    ends = [float(x) for x in (hidden, inputs) if x is not None]
    final_at = min(ends) if ends else None
    first_paint = fcp(raw.get("paints", ()), activation, hidden)
    lcp_value, element = lcp(raw.get("lcp", ()), activation, final_at)
    return {
        "LCP": lcp_value,
        "CLS": cls(raw.get("shifts", ()), raw.get("inputs")),
        "INP": inp(
            raw.get("events", ()), interactions=interactions, count=raw.get("interactionCount")
        ),
        "FCP": first_paint,
        "TTFB": ttfb(nav),
        "TBT": tbt(raw.get("longtasks", ()), first_paint),
        "lcp_element": element,
    }
