"""find_knee: the ladder, the bisection, the stop rules, the verdict per step and the signals."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from pulsekit.errors import ConfigError
from pulsekit.load import find_knee
from pulsekit.load._signals import cpu_seconds, saturated


def fake_runner(capacity: float, calls: list[float], lag_from: float = 1e9) -> Any:
    """A stand-in for load.run whose p95 is flat below ``capacity`` arrivals/s and explodes past it."""

    def run(url: str, *, rate: float, schedule: Any = (), **_: Any) -> Any:
        calls.append(rate)
        for _offset, fn in schedule:
            fn()
        p95 = 10.0 if rate <= capacity else 10.0 * rate / capacity * 5
        return SimpleNamespace(
            latency_ms={"p50": 5.0, "p95": p95, "p99": p95 * 1.2},
            send_lag_ms={"p95": 1.0 if rate < lag_from else 200.0},
            dropped=0,
            fail_rate=0.0,
            rps=rate * 2,
            requests=int(rate * 4),
        )

    return run


def test_ladder_stops_at_the_first_fail_then_bisects() -> None:
    """x2 steps from 10 until one fails (80 for a capacity of 50), then bisections narrow the band."""
    calls: list[float] = []
    knee = find_knee(
        "http://127.0.0.1:1",
        normal_rate=20,
        start=10,
        factor=2,
        refine=2,
        step_duration=2,
        run=fake_runner(50, calls),
    )
    assert calls == [10, 20, 40, 80, 60, 50]
    assert knee.status == "found"
    assert knee.knee_rate == 50 and knee.first_fail_rate == 60
    assert knee.headroom == pytest.approx(2.5)
    assert knee.bound_ms == 20.0  # twice the first step's p95
    assert list(knee.steps["passed"]) == [True, True, True, False, False, True]
    assert "p95 80.0 > 20.0 ms" in knee.steps["reason"].iloc[3]
    assert "knee: 50/s; first fail 60/s" in knee.summary()
    assert knee.to_dict()["knee_rate"] == 50


def test_no_knee_below_max_rate_and_failed_baseline() -> None:
    """A target that holds every step says so; one that fails its first step has no knee."""
    calls: list[float] = []
    knee = find_knee(
        "http://x",
        normal_rate=10,
        start=10,
        factor=2,
        max_rate=40,
        step_duration=2,
        run=fake_runner(1000, calls),
    )
    assert knee.status == "no knee below max_rate" and knee.knee_rate == 40
    bad = find_knee(
        "http://x",
        normal_rate=10,
        start=10,
        step_duration=2,
        p95_bound_ms=1.0,
        run=fake_runner(1000, []),
    )
    assert bad.status == "failed at baseline" and bad.knee_rate is None and bad.headroom is None
    assert "none (even the first step failed)" in bad.summary()


def test_time_limit_bounds_the_run() -> None:
    """max_time shorter than two steps stops after the first one and says the knee is a floor."""
    knee = find_knee(
        "http://x", normal_rate=10, start=10, step_duration=5, max_time=7, run=fake_runner(1000, [])
    )
    assert knee.status == "time limit" and len(knee.steps) == 1
    assert "at least 10.0/s" in knee.warnings[0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"normal_rate": 0}, "normal_rate"),
        ({"normal_rate": 10, "factor": 1.0}, "factor"),
        ({"normal_rate": 10, "max_error_rate": 2}, "max_error_rate"),
        ({"normal_rate": 10, "p95_bound_ms": -1}, "p95_bound_ms"),
        ({"normal_rate": 10, "step_duration": "500ms"}, "step_duration"),
        ({"normal_rate": 10, "start": 5000}, "start"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    """Each bad argument is refused before any load is sent, naming the field."""
    with pytest.raises(ConfigError, match=field):
        find_knee("http://x", run=fake_runner(1, []), **kwargs)


def test_signal_helpers_read_proc_and_rank_saturation() -> None:
    """CPU seconds come from /proc; saturated() ranks signals by how far past their limit."""
    import os

    assert cpu_seconds(os.getpid()) is not None and cpu_seconds(2**22 + 12345) is None
    hits = saturated({"cpu:api-1": 0.5, "pool_waiting:db-replica-1": 3.0, "in_flight:gateway": 12})
    assert [h[0] for h in hits] == ["pool_waiting:db-replica-1", "in_flight:gateway"]


def test_a_lagging_generator_is_not_the_targets_knee() -> None:
    """A step that failed only because the generator lagged gives a floor, not a knee, and says so."""
    knee = find_knee(
        "http://x",
        normal_rate=10,
        start=10,
        factor=2,
        refine=0,
        step_duration=2,
        run=fake_runner(1000, [], lag_from=40),
    )
    assert knee.status == "generator saturated"
    assert knee.knee_rate == 20 and knee.first_fail_rate == 40
    assert list(knee.steps["generator_limited"]) == [False, False, True]
    assert "the knee is at least 20/s" in knee.warnings[0]
    # during the bisection a lagging step is inconclusive: the band stays as it was
    calls: list[float] = []
    knee = find_knee(
        "http://x",
        normal_rate=10,
        start=10,
        factor=2,
        refine=2,
        step_duration=2,
        run=fake_runner(35, calls, lag_from=30),
    )
    assert calls == [10, 20, 40, 30]
    assert (knee.status, knee.knee_rate, knee.first_fail_rate) == ("found", 20, 40)
    assert "stays between" in knee.warnings[0]


@pytest.mark.integration
@pytest.mark.parametrize(
    "pulsekit_sandbox", [{"n_plus_one": True, "replicas": 2, "db_replicas": 1}], indirect=True
)
def test_knee_of_the_n_plus_one_sandbox_is_low_and_names_the_pool(pulsekit_sandbox) -> None:  # type: ignore[no-untyped-def]
    """With the planted N+1 the database pool saturates within a few steps, and find_knee says so."""
    knee = find_knee(
        pulsekit_sandbox,
        normal_rate=5,
        start=5,
        factor=2,
        max_rate=80,
        refine=0,
        step_duration="2s",
        max_time="60s",
    )
    assert knee.status in ("found", "failed at baseline", "generator saturated"), knee.summary()
    assert knee.first_fail_rate is not None and knee.first_fail_rate <= 80
    columns = set(knee.steps.columns)
    assert {
        "cpu:api-1",
        "cpu:db-replica-1",
        "pool_waiting:db-replica-1",
        "in_flight:gateway",
    } <= columns
    assert not math.isnan(knee.baseline_p95_ms)
    if knee.status != "generator saturated":  # a lagging generator on a busy machine stops earlier
        assert knee.first_saturated is not None
        assert knee.steps["pool_waiting:db-replica-1"].max() >= 1.0, knee.steps.T
