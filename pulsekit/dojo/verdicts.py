"""Stable sentences about measured numbers, for the notebook cells nbval compares.

The number itself changes from run to run (it belongs in a cell marked ``NBVAL_IGNORE_OUTPUT``);
the verdict compares it with a bar, or names its order of magnitude, so it stays the same on a fast
laptop and on a loaded CI machine as long as the effect is large.
"""

from __future__ import annotations

import math

_MAGNITUDES_MS = (
    (10.0, "under 10 ms"),
    (100.0, "tens of milliseconds"),
    (1000.0, "hundreds of milliseconds"),
    (10_000.0, "seconds"),
)


def magnitude(ms: float) -> str:
    """The order of magnitude of a duration in milliseconds, in words."""
    if math.isnan(ms):
        return "not measured"
    for bound, words in _MAGNITUDES_MS:
        if ms < bound:
            return words
    return "tens of seconds or more"


def verdict(
    label: str,
    value: float,
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    unit: str = "ms",
) -> str:
    """``label`` against a bar, in words: ``"gateway p95: within 250 ms"``.

    Give ``at_most`` (lower is better: latency, error ratio) or ``at_least`` (higher is better).
    """
    if (at_most is None) == (at_least is None):
        raise ValueError("verdict() takes exactly one of at_most= or at_least=")
    if math.isnan(value):
        return f"{label}: not measured"
    if at_most is not None:
        ok = value <= at_most
        return f"{label}: {'within' if ok else 'over'} {_fmt(at_most, unit)}"
    assert at_least is not None
    ok = value >= at_least
    return f"{label}: {'at least' if ok else 'under'} {_fmt(at_least, unit)}"


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:g} %"
    return f"{value:g} {unit}".strip()
