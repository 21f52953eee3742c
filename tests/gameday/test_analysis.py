"""The spec's analysis keys (load.stages, counters, knee, slo.page_within, rehearsal): each parses,
each bad value fails before anything starts naming the key and the fix; and the findings they
produce (counter increases, the knee and its headroom, the page check) computed from real data
structures (a scraped-samples frame, measured windows)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from pulsekit.errors import SpecError
from pulsekit.gameday import analysis, load_spec
from pulsekit.gameday._spec_analysis import offered_rate
from pulsekit.gameday.result import AlertResult, WindowResult
from pulsekit.observe.scrape import samples_frame

ROOT = Path(__file__).resolve().parents[2]


def base(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "title": "t",
        "load": {"stages": [["0s", 10], ["5s", 10], ["0s", 20], ["5s", 20]], "mix": "shopper"},
        "duration": "10s",
        "windows": {"low": ["1s", "5s"], "high": ["6s", "10s"]},
        "knee": {"windows": ["low", "high"], "min_headroom": 1.5},
    }
    spec.update(changes)
    return spec


def test_the_three_gamedays_and_their_rehearsals_parse() -> None:
    """Every GameDay folder's spec and its rehearsal are valid; the rehearsal is shorter."""
    for name in ("01_db_replica_loss", "02_payments_slowdown", "03_launch_spike"):
        full = load_spec(ROOT / "gamedays" / name)
        short = load_spec(ROOT / "gamedays" / name, rehearsal=bool(full.rehearsal))
        assert short.duration_s <= full.duration_s <= 90
        assert full.hypothesis_text(), name
    spike = load_spec(ROOT / "gamedays" / "03_launch_spike")
    assert spike.knee is not None and spike.knee.min_headroom == 2
    assert spike.load.rate == 240 and spike.load.users is None  # the shape's peak, open model
    assert any(line.startswith("knee: the knee is at least 2x") for line in spike.hypothesis_text())
    slow = load_spec(ROOT / "gamedays" / "02_payments_slowdown", rehearsal=True)
    assert slow.rehearsed and slow.duration_s == 18
    assert [c.name for c in slow.counters][:2] == ["user_checkouts", "api_checkouts"]


def test_stages_knee_and_page_within_parse() -> None:
    spec = load_spec(base(slo={"page_within": "30s"}))
    assert spec.load.stages == ((0.0, 10.0), (5.0, 10.0), (0.0, 20.0), (5.0, 20.0))
    assert spec.knee is not None and spec.knee.baseline == "low" and spec.knee.p95_factor == 2
    assert spec.slo is not None and spec.slo.page_within_s == 30
    assert "pages within 30s of the first step" in spec.hypothesis_text()[0]
    assert offered_rate(spec.load.stages, 1, 5) == pytest.approx(10)
    assert offered_rate(spec.load.stages, 6, 10) == pytest.approx(20)
    ramp = ((10.0, 100.0),)  # 0 -> 100/s over 10 s: the mean of the first half is 25/s
    assert offered_rate(ramp, 0, 5) == pytest.approx(25, rel=1e-3)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"load": {"users": 5, "stages": [["5s", 10]]}}, "load.stages are arrival rates"),
        ({"load": {"stages": [["5s", 10]], "rate": 4}}, "load.stages are arrival rates"),
        ({"load": {"stages": []}}, "load.stages must be a list of [duration, rate]"),
        ({"load": {"stages": [["5s"]]}}, "load.stages[0] ['5s'] must be [duration, rate]"),
        ({"load": {"stages": [["soon", 10]]}}, "load.stages[0] 'soon' is not a duration"),
        ({"load": {"stages": [["5s", -1]]}}, "load.stages stages[0] target=-1"),
        ({"load": {"stages": [["20s", 10]]}}, "load.stages last 20s, longer than duration 10s"),
        ({"knee": {"windows": ["low"]}}, "knee.windows must list at least two window names"),
        ({"knee": {"windows": ["low", "top"]}}, "knee.windows 'top' names no window"),
        ({"knee": {"windows": ["low", "high"], "baseline": "x"}}, "knee.baseline 'x' must be"),
        (
            {"knee": {"windows": ["low", "high"], "p95_factor": 1}},
            "knee.p95_factor 1 must be above",
        ),
        ({"knee": {"windows": ["low", "high"], "min_headroom": 0.5}}, "knee.min_headroom 0.5"),
        ({"knee": {"windows": ["low", "high"], "bogus": 1}}, "knee.bogus is not a known key"),
        (
            {"load": {"users": 5}},
            "knee needs load.stages (the rate of each window comes from the shape)",
        ),
        ({"slo": {"page_within": "0s"}}, "slo.page_within must be above 0s"),
        ({"counters": {"c": {"service": "db-9"}}}, "counters.c.service 'db-9' matches no service"),
        ({"counters": {"c": {"service": "api-*", "metric": "up"}}}, "counters.c.metric 'up' must"),
        ({"counters": {"c": {"service": "api-*", "path": "/"}}}, "counters.c.path is not a known"),
        ({"counters": {}}, "counters must map names to {service:, route:}"),
        ({"rehearsal": {"duration": "5s"}}, "(with its rehearsal values): load.stages last 10s"),
        ({"rehearsal": []}, "rehearsal must map spec keys to their short values"),
    ],
)
def test_bad_analysis_keys_fail_naming_the_key_and_the_fix(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(base(**changes))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_rehearsal_applies_before_params_and_is_required_when_asked() -> None:
    raw = base(rehearsal={"duration": "12s", "windows": {"low": [1, 3], "high": [4, 6]}})
    short = load_spec(raw, rehearsal=True, duration="11s")
    assert short.duration_s == 11 and short.window("high").end_s == 6 and short.rehearsed
    assert load_spec(raw).duration_s == 10 and not load_spec(raw).rehearsed
    with pytest.raises(SpecError, match="has no rehearsal: section"):
        load_spec(base(), rehearsal=True)


def _samples(rows: list[tuple[float, str, str, str, float]]) -> Any:
    return type("Scraped", (), {"df": samples_frame(rows)})()


def test_counters_sum_matching_series_over_each_window_across_a_restart() -> None:
    """Increase per window, summed over api-* and the route; a counter reset (restart) counts its
    new value, not a negative step; other routes and services are left out."""
    spec = load_spec(
        base(
            knee=None,
            load={"users": 5},
            counters={"checkouts": {"service": "api-*", "route": "/api/checkout"}},
        )
    )
    t0 = 1000.0
    checkout = 'method="POST",route="/api/checkout",status="200"'
    rows = []
    for sec in range(12):
        rows.append((t0 + sec, "api-1", "shop_http_requests_total", checkout, 2.0 * sec))
        # api-2 restarts at second 7: its counter starts again from 0
        value = 3.0 * sec if sec < 7 else 3.0 * (sec - 7)
        rows.append((t0 + sec, "api-2", "shop_http_requests_total", checkout, value))
        rows.append((t0 + sec, "api-1", "shop_http_requests_total", 'route="/"', 100.0 * sec))
        rows.append((t0 + sec, "gateway", "shop_http_requests_total", checkout, 50.0 * sec))
    found = analysis.counters(spec, _samples(rows), t0)
    assert found["low"] == {"checkouts": 2 * 4 + 3 * 4}  # seconds 2..5
    # high (6s, 10s]: api-1 +8; api-2 6 -> restart at 7 (0) -> 9 at 10: 0 + 3 + 3 + 3
    assert found["high"] == {"checkouts": 8 + 9}
    assert found["run"] == {"checkouts": 2 * 11 + 3 * 6 + 3 * 4}


def _window(name: str, start: float, p95: float | None, requests: int, failures: int = 0) -> Any:
    return WindowResult(name, start, start + 4, 4, requests, failures, p95, p95, p95)


def test_the_knee_is_the_last_passing_rate_before_the_first_failing_one() -> None:
    raw = base(
        load={
            "stages": [[0, 10], [4, 10], [0, 20], [4, 20], [0, 40], [4, 40], [0, 80], [4, 80]],
        },
        duration="16s",
        windows={"a": [0, 4], "b": [4, 8], "c": [8, 12], "d": [12, 16]},
        knee={"windows": ["a", "b", "c", "d"], "min_headroom": 3},
    )
    spec = load_spec(raw)
    measured = {
        "a": _window("a", 0, 50.0, 40),
        "b": _window("b", 4, 90.0, 80),  # within 2 x 50 ms
        "c": _window("c", 8, 140.0, 160),  # past the bound
        "d": _window("d", 12, 60.0, 320),  # passes again: too late, the knee is before c
    }
    knee = analysis.knee(spec, measured, None, None, 0.0)
    assert knee is not None
    assert knee.bound_ms == 100.0 and knee.status == "found"
    assert [lv.passed for lv in knee.levels] == [True, True, False, True]
    assert (knee.knee_rps, knee.first_fail_rps) == (pytest.approx(20), pytest.approx(40))
    assert knee.headroom == pytest.approx(2.0) and knee.passed is False  # 2x < the 3x hoped for
    data = knee.to_dict()
    assert data["headroom"] == 2.0 and data["levels"][2]["passed"] is False
    assert "knee 20/s; headroom over the normal 10/s: 2.0x (hypothesis >= 3x: FAIL)" in "\n".join(
        knee.lines()
    )
    # errors past max_error_rate fail a level even when it is fast
    measured["b"] = _window("b", 4, 60.0, 100, failures=5)
    assert analysis.knee(spec, measured, None, None, 0.0).knee_rps == pytest.approx(10)  # type: ignore[union-attr]


def test_the_first_saturated_signal_is_a_shop_signal_past_its_limit() -> None:
    """Pool waiting and in-flight come from scraped gauges, CPU from the recorder; the machine's
    CPU is shown but never named first (other work on the machine moves it)."""
    spec = load_spec(base())
    t0 = 1000.0
    rows = []
    for sec in range(11):
        waiting = 0.0 if sec < 6 else 3.0
        rows.append((t0 + sec, "api-1", "shop_db_pool_waiting", 'node="db-replica-1"', waiting))
        rows.append((t0 + sec, "gateway", "shop_http_requests_in_flight", "", 2.0))
    cpu = type("Cpu", (), {"rows": []})()
    for sec in range(11):
        cpu.rows += [
            (t0 + sec, "host_busy", 0.95 * sec * 100),
            (t0 + sec, "host_total", sec * 100.0),
            (t0 + sec, "api-1", 0.3 * sec),
        ]
    measured = {"low": _window("low", 1, 20.0, 40), "high": _window("high", 6, 25.0, 80)}
    knee = analysis.knee(spec, measured, _samples(rows), cpu, t0)
    assert knee is not None and knee.status == "held to the top of the shape"
    low, high = knee.levels
    assert low.signals["cpu"] == ("api-1", pytest.approx(0.3))
    assert low.signals["host_cpu"][1] == pytest.approx(0.95)
    assert low.signals["pool_waiting"][1] == 0.0
    sat = knee.first_saturated
    assert sat is not None and sat["signal"] == "pool_waiting" and sat["window"] == "high"
    assert sat["where"] == 'api-1{node="db-replica-1"}' and sat["value"] == 3.0
    assert knee.passed is True and knee.headroom == pytest.approx(2.0)


def test_the_page_check_needs_a_caused_page_within_the_bound() -> None:
    spec = load_spec(base(knee=None, load={"users": 5}, slo={"page_within": "20s"}))
    page = AlertResult("page-1h", "page", 30.0, None, 12.0)
    check = analysis.page_check(spec, [page])
    assert check is not None and check.passed and check.delay_s == 12
    late = analysis.page_check(spec, [AlertResult("page-1h", "page", 50.0, None, 32.0)])
    assert late is not None and not late.passed
    none = analysis.page_check(spec, [])
    assert none is not None and not none.passed and "no page after the first step" in none.line()
    assert analysis.page_check(load_spec(base()), [page]) is None
    assert math.isclose(check.to_dict()["within_s"], 20)
