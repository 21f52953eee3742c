"""Thresholds, ratings and the p75 rule."""

from __future__ import annotations

import pytest

from pulsekit.vitals.thresholds import THRESHOLDS, format_value, metric_name, percentile, rate


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("LCP", 2500, "good"),
        ("LCP", 2500.1, "needs-improvement"),
        ("LCP", 4000, "needs-improvement"),
        ("LCP", 4000.1, "poor"),
        ("INP", 200, "good"),
        ("INP", 501, "poor"),
        ("CLS", 0.1, "good"),
        ("CLS", 0.25, "needs-improvement"),
        ("CLS", 0.26, "poor"),
        ("FCP", 1801, "needs-improvement"),
        ("TTFB", 1801, "poor"),
    ],
)
def test_rate_uses_web_vitals_boundaries(metric: str, value: float, expected: str) -> None:
    """A value equal to the good threshold is good and only values above the poor one are poor."""
    assert rate(metric, value) == expected


def test_rate_of_missing_value_is_none() -> None:
    """A metric that was not measured has no rating rather than a made-up one."""
    assert rate("INP", None) is None


def test_official_thresholds() -> None:
    """The Core Web Vitals thresholds are the published ones (web.dev/articles/vitals)."""
    assert THRESHOLDS["LCP"] == (2500, 4000)
    assert THRESHOLDS["INP"] == (200, 500)
    assert THRESHOLDS["CLS"] == (0.1, 0.25)
    assert THRESHOLDS["FCP"] == (1800, 3000)
    assert THRESHOLDS["TTFB"] == (800, 1800)


def test_unknown_metric_names_the_known_ones() -> None:
    """A typo in a metric name says which names exist."""
    with pytest.raises(ValueError, match="LCP, INP, CLS"):
        metric_name("FID")


def test_percentile_interpolates_like_numpy() -> None:
    """p75 uses linear interpolation between ranks and skips missing values."""
    import numpy as np

    values = [1200.0, 900.0, None, 3000.0, 1500.0]
    present = [v for v in values if v is not None]
    assert percentile(values) == pytest.approx(float(np.percentile(present, 75)))
    assert percentile([None, None]) is None
    assert percentile([42.0]) == 42.0


def test_format_value() -> None:
    """CLS prints with three decimals, times in whole milliseconds, missing values as a dash."""
    assert format_value("CLS", 0.04213) == "0.042"
    assert format_value("LCP", 1234.6) == "1235 ms"
    assert format_value("INP", None) == "-"
