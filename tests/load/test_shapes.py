"""Stages and arrival plans: ramp, step, spike, soak and the open-model schedule."""

from __future__ import annotations

import pytest

from pulsekit.errors import ConfigError
from pulsekit.load.shapes import arrival_times, parse_stages, peak, stages_for, value_at


def test_constant_plan_gives_exact_arrival_count() -> None:
    """A constant 100/s plan over 3 s plans exactly 300 evenly spaced arrivals."""
    times = list(arrival_times(stages_for("constant", 100, 3)))
    assert len(times) == 300
    assert times[1] - times[0] == pytest.approx(0.01)


def test_share_and_offset_split_a_rate_across_workers() -> None:
    """Two workers with half the rate each and offset starts plan the whole rate together."""
    plan = stages_for("constant", 100, 2)
    a = list(arrival_times(plan, share=0.5, offset=0.0))
    b = list(arrival_times(plan, share=0.5, offset=1 / 100))
    assert len(a) + len(b) == 200
    assert not set(a) & set(b)


def test_ramp_follows_its_integral() -> None:
    """A 0 -> 100/s ramp over 2 s then 2 s hold plans about 100 + 200 arrivals."""
    times = list(arrival_times(stages_for("ramp", 100, 4)))
    assert 290 <= len(times) <= 305
    assert value_at(stages_for("ramp", 100, 4), 1.0) == pytest.approx(50.0)


def test_step_spike_and_soak_levels() -> None:
    """Step climbs in quarters, spike jumps to peak in the middle fifth, soak holds the target."""
    assert value_at(stages_for("step", 40, 8), 1.0) == 10
    assert value_at(stages_for("step", 40, 8), 7.0) == 40
    spike = stages_for("spike", 100, 10)
    assert value_at(spike, 2.0) == 10 and value_at(spike, 5.0) == 100 and value_at(spike, 8.0) == 10
    assert peak(spike) == 100
    assert value_at(stages_for("soak", 50, 100), 50.0) == 50


def test_explicit_stages_and_errors() -> None:
    """k6-style (duration, target) stages parse; bad ones raise ConfigError."""
    plan = parse_stages([("2s", 10), {"duration": "1s", "target": 0}])
    assert value_at(plan, 1.0) == pytest.approx(5.0)
    with pytest.raises(ConfigError):
        parse_stages([("2s", -1)])
    with pytest.raises(ConfigError):
        parse_stages([("soon", 1)])
    with pytest.raises(ConfigError):
        stages_for("zigzag", 1, 1)
