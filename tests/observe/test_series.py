"""PromQL semantics: histogram_quantile and reset-aware counter increases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pulsekit.observe._series import _cumulate, bucket_quantile, cumulative
from pulsekit.observe.golden import golden_signals

INF = math.inf


@pytest.mark.parametrize(
    ("q", "bounds", "counts", "expected"),
    [
        (0.5, [0.1, 0.2, INF], [0, 10, 10], 0.15),  # interpolate inside (0.1, 0.2]
        (0.95, [0.1, 0.2, INF], [5, 10, 20], 0.2),  # rank in +Inf bucket: highest finite bound
        (0.5, [0.1, INF], [4, 4], 0.05),  # first bucket starts at 0
        (0.5, [-1.0, 0.0, INF], [2, 4, 4], -1.0),  # first bucket with a bound <= 0 returns it
        (0.5, [0.1, 0.2, INF], [6, 5, 10], 0.1 * 5 / 6),  # dips are fixed upward (6, 6, 10)
    ],
)
def test_bucket_quantile_matches_promql(
    q: float, bounds: list[float], counts: list[float], expected: float
) -> None:
    """bucket_quantile follows Prometheus's histogram_quantile interpolation rules."""
    assert bucket_quantile(q, bounds, counts) == pytest.approx(expected)


def test_bucket_quantile_edge_cases() -> None:
    """No observations or no +Inf bucket give NaN; q outside [0, 1] gives -Inf/+Inf."""
    assert math.isnan(bucket_quantile(0.5, [0.1, INF], [0, 0]))
    assert math.isnan(bucket_quantile(0.5, [0.1, 0.2], [1, 2]))
    assert bucket_quantile(-0.1, [0.1, INF], [1, 1]) == -INF
    assert bucket_quantile(1.1, [0.1, INF], [1, 1]) == INF


def test_counter_reset_counts_post_restart_value() -> None:
    """A counter that drops (process restart) adds its new value instead of going negative."""
    column = np.array([10.0, 15.0, 3.0, 8.0, np.nan, 9.0])
    assert list(_cumulate(column, late=False)) == [0.0, 5.0, 8.0, 13.0, 13.0, 14.0]


def test_late_series_counts_from_zero() -> None:
    """A series first seen after its target's first scrape (first 500 ever) counts from zero."""
    t0 = pd.Timestamp("2027-01-01", tz="UTC")
    rows = [
        (t0, "api", "req_total", 'status="200"', 10.0),
        (t0 + pd.Timedelta(seconds=1), "api", "req_total", 'status="200"', 20.0),
        (t0 + pd.Timedelta(seconds=1), "api", "req_total", 'status="500"', 4.0),
    ]
    frame = pd.DataFrame(rows, columns=["time", "target", "metric", "labels", "value"])
    cum = cumulative(frame, "req_total", key=lambda labels: labels["status"])["api"]
    assert cum["200"].iloc[-1] == 10.0
    assert cum["500"].iloc[-1] == 4.0


def test_golden_rates_survive_a_counter_reset() -> None:
    """Traffic over a window spanning a restart equals the true request rate, not a negative one."""
    t0 = 1_800_000_000.0
    values = [0, 10, 20, 30, 5, 15, 25]  # 10 req/s, restart between t=3 and t=4 (5 since restart)
    rows = [
        (t0 + i, "api", "shop_http_requests_total", 'status="200"', float(v))
        for i, v in enumerate(values)
    ]
    frame = pd.DataFrame(rows, columns=["time", "target", "metric", "labels", "value"])
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
    signals = golden_signals(frame, window="6s")
    assert signals.df.loc["api", "traffic_rps"] == pytest.approx(55 / 6)
    assert signals.df.loc["api", "error_ratio"] == 0.0
