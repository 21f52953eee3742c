"""Lighthouse's performance score: log-normal curves per metric and the weighted mean (LH 10+)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

Device = Literal["mobile", "desktop"]

#: Lighthouse 10+ category weights (core/config/default-config.js). Speed Index (10) is not measured
#: by pulsekit, so its share is spread over the others when the score is computed.
WEIGHTS: Mapping[str, float] = {"FCP": 10.0, "SI": 10.0, "LCP": 25.0, "TBT": 30.0, "CLS": 25.0}

#: (p10, median) control points: p10 scores 0.9 and the median scores 0.5.
CURVES: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "mobile": {
        "FCP": (1800.0, 3000.0),
        "LCP": (2500.0, 4000.0),
        "TBT": (200.0, 600.0),
        "CLS": (0.1, 0.25),
        "SI": (3387.0, 5800.0),
        "INP": (200.0, 500.0),
    },
    "desktop": {
        "FCP": (934.0, 1600.0),
        "LCP": (1200.0, 2400.0),
        "TBT": (150.0, 350.0),
        "CLS": (0.1, 0.25),
        "SI": (1311.0, 2300.0),
        "INP": (200.0, 500.0),
    },
}

# erfc^-1(1/5): the standardised distance of the p10 point from the median.
_ERFC_INV_FIFTH = 0.9061938024368232
_BELOW_GOOD = math.nextafter(0.9, 0.0)
_BELOW_HALF = math.nextafter(0.5, 0.0)


def log_normal_score(value: float, *, p10: float, median: float) -> float:
    """Score in [0, 1] of ``value`` on a log-normal curve through (p10, 0.9) and (median, 0.5).

    The result is clamped to the band its control points imply, as Lighthouse does, so a value at or
    under p10 always scores at least 0.9 and one over the median always under 0.5.
    """
    if not 0 < p10 < median:
        raise ValueError(f"need 0 < p10 < median, got p10={p10} median={median}")
    if value <= 0:
        return 1.0
    z = math.log(value / median) * _ERFC_INV_FIFTH / math.log(median / p10)
    score = (1.0 - math.erf(z)) / 2.0
    if value <= p10:
        return min(1.0, max(0.9, score))
    if value <= median:
        return min(_BELOW_GOOD, max(0.5, score))
    return min(_BELOW_HALF, max(0.0, score))


def metric_scores(
    values: Mapping[str, float | None], device: Device = "mobile"
) -> dict[str, float]:
    """Per-metric scores, rounded to 2 decimals, for every weighted metric that has a value."""
    curves = CURVES[device]
    out: dict[str, float] = {}
    for name in WEIGHTS:
        value = values.get(name)
        if value is not None:
            p10, median = curves[name]
            out[name] = round(log_normal_score(value, p10=p10, median=median), 2)
    return out


def performance_score(
    values: Mapping[str, float | None], device: Device = "mobile"
) -> tuple[int | None, dict[str, float], dict[str, float]]:
    """(score 0-100, per-metric scores, effective weights summing to 1) over the available metrics.

    >>> performance_score({"FCP": 900, "LCP": 1200, "TBT": 0, "CLS": 0.0})[0]
    100
    """
    scores = metric_scores(values, device)
    total = sum(WEIGHTS[name] for name in scores)
    if not scores or total == 0:
        return None, scores, {}
    weights = {name: WEIGHTS[name] / total for name in scores}
    mean = sum(scores[name] * weights[name] for name in scores)
    return round(mean * 100), scores, weights
