"""Official Core Web Vitals thresholds, ratings and the p75 rule (pure Python, imports nothing heavy)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

Rating = Literal["good", "needs-improvement", "poor"]

#: Metrics pulsekit reports, in display order. LCP, INP and CLS are the Core Web Vitals.
METRICS: tuple[str, ...] = ("LCP", "INP", "CLS", "FCP", "TTFB", "TBT")
CORE_METRICS: tuple[str, ...] = ("LCP", "INP", "CLS")
UNITS: Mapping[str, str] = {
    "LCP": "ms",
    "INP": "ms",
    "CLS": "",
    "FCP": "ms",
    "TTFB": "ms",
    "TBT": "ms",
}

#: (good <=, poor >) per metric. LCP/INP/CLS/FCP/TTFB from web-vitals (web.dev/articles/vitals);
#: TBT has no field threshold, so Lighthouse's mobile control points (p10 200 ms, median 600 ms) stand in.
THRESHOLDS: Mapping[str, tuple[float, float]] = {
    "LCP": (2500.0, 4000.0),
    "INP": (200.0, 500.0),
    "CLS": (0.1, 0.25),
    "FCP": (1800.0, 3000.0),
    "TTFB": (800.0, 1800.0),
    "TBT": (200.0, 600.0),
}


def metric_name(name: str) -> str:
    """Canonical upper-case metric name, or a ValueError naming the known ones."""
    key = name.strip().upper()
    if key not in THRESHOLDS:
        raise ValueError(f"unknown metric {name!r}; use one of {', '.join(METRICS)}")
    return key


def rate(metric: str, value: float | None) -> Rating | None:
    """Rate a value like web-vitals: ``> poor`` is poor, ``> good`` needs improvement, else good.

    >>> rate("LCP", 2500), rate("LCP", 2501), rate("CLS", 0.3)
    ('good', 'needs-improvement', 'poor')
    """
    if value is None:
        return None
    good, poor = THRESHOLDS[metric_name(metric)]
    if value > poor:
        return "poor"
    if value > good:
        return "needs-improvement"
    return "good"


def percentile(values: Iterable[float | None], q: float = 75.0) -> float | None:
    """The q-th percentile with linear interpolation (numpy's default); ``None`` values are skipped."""
    data = sorted(v for v in values if v is not None)
    if not data:
        return None
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return float(data[low] + (data[high] - data[low]) * (pos - low))


def format_value(metric: str, value: float | None) -> str:
    """``'1234 ms'``, ``'0.042'`` or ``'-'`` for a missing value."""
    if value is None:
        return "-"
    if metric_name(metric) == "CLS":
        return f"{value:.3f}"
    return f"{value:.0f} ms"
