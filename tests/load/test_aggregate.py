"""Interval records from several Locust processes merge into exact histograms."""

from __future__ import annotations

import random

import pytest

from pulsekit.load._aggregate import Aggregate, _hist, encode, ms, spread


def _record(sec: int, values: list[int], failures: int = 0, users: int = 1) -> dict:
    lat, svc = _hist(), _hist()
    for v in values:
        lat.record_value(v)
        svc.record_value(v // 2)
    return {
        "type": "interval",
        "sec": sec,
        "ep": {"GET /x": [len(values), failures, encode(lat), encode(svc)]},
        "lag": None,
        "arrivals": len(values),
        "dropped": 0,
        "errors": {"GET /x: boom": failures} if failures else {},
        "users": users,
        "inflight": 0,
    }


def test_records_of_two_workers_merge_exactly() -> None:
    """Totals, per-second rows and percentiles equal those of one histogram of every value."""
    rng = random.Random(3)
    a = [rng.randint(100, 2_000_000) for _ in range(500)]
    b = [rng.randint(100, 2_000_000) for _ in range(700)]
    agg = Aggregate()
    agg.start(1000.2)
    agg.add(_record(1000, a[:250], failures=2))
    agg.add(_record(1000, b[:300]))  # the second worker, same second
    agg.add(_record(1001, a[250:]))
    agg.add(_record(1001, b[300:], users=2))
    agg.finish()
    everything = _hist()
    for v in a + b:
        everything.record_value(v)
    assert agg.requests == 1200 and agg.failures == 2
    for pct in (50, 90, 99, 99.9):
        assert ms(agg.total, pct) == everything.get_value_at_percentile(pct) / 1000.0
    assert agg.rows[0]["requests"] == 550 and agg.rows[1]["users"] == 3
    assert agg.errors == {"GET /x: boom": 2}
    assert agg.trend("http_req_duration", "/x", "p", 99.0) == pytest.approx(ms(everything, 99))
    assert agg.count("http_req_failed", "GET /x") == 2


def test_spread_matches_hdrhistogram() -> None:
    """The vectorised percentiles give HdrHistogram's own values."""
    hist = _hist()
    for v in random.Random(5).choices(range(1, 60_000_000), k=2000):
        hist.record_value(v)
    got = spread(hist)
    assert got["p99"] == hist.get_value_at_percentile(99) / 1000.0
    assert got["max"] == hist.get_max_value() / 1000.0
    assert got["mean"] == pytest.approx(hist.get_mean_value() / 1000.0, rel=1e-3)
