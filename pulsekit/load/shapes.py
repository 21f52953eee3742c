"""Load shapes as stages: ramp, step, spike and soak, for users (closed) or arrival rate (open)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NewType, TypeAlias

from pulsekit._types import Duration
from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError

SHAPES = ("constant", "ramp", "step", "spike", "soak")


@dataclass(frozen=True)
class Stage:
    """Move linearly to ``target`` (users or requests/s) over ``duration`` seconds (0 = a jump)."""

    duration: float
    target: float


StageLike: TypeAlias = "Stage | tuple[Duration, float] | Mapping[str, Duration]"
"""A stage as written: ``Stage(...)``, ``("30s", 100)`` (k6 style) or ``{"duration": "30s", "target": 100}``."""
UserStages = NewType("UserStages", tuple[Stage, ...])
"""A closed-model plan: each stage's target is a number of concurrent users."""
RateStages = NewType("RateStages", tuple[Stage, ...])
"""An open-model plan: each stage's target is an arrival rate in requests/s."""


def stages_for(shape: str, target: float, duration: float) -> tuple[Stage, ...]:
    """The stages of a named shape reaching ``target`` within ``duration`` seconds.

    ``ramp``: 0 to target over the first half, then hold; ``step``: four equal steps;
    ``spike``: 10% of target, a jump to target for the middle fifth, back to 10%;
    ``soak``: a short ramp (a tenth of the run, at most a minute) then a long hold.
    """
    if shape == "constant":
        return (Stage(0.0, target), Stage(duration, target))
    if shape == "ramp":
        return (Stage(0.0, 0.0), Stage(duration / 2, target), Stage(duration / 2, target))
    if shape == "step":
        out: list[Stage] = []
        for i in range(1, 5):
            out += [Stage(0.0, target * i / 4), Stage(duration / 4, target * i / 4)]
        return tuple(out)
    if shape == "spike":
        base = target / 10
        return (
            Stage(0.0, base),
            Stage(duration * 0.4, base),
            Stage(0.0, target),
            Stage(duration * 0.2, target),
            Stage(0.0, base),
            Stage(duration * 0.4, base),
        )
    if shape == "soak":
        up = min(duration / 10, 60.0)
        return (Stage(0.0, 0.0), Stage(up, target), Stage(duration - up, target))
    raise ConfigError(f"shape={shape!r} is unknown; use one of {', '.join(SHAPES)} or stages=[...]")


def parse_stages(stages: Sequence[object]) -> tuple[Stage, ...]:
    """Stages from ``[("30s", 100), ("1m", 100), Stage(...)]`` (k6 style), starting at 0."""
    out: list[Stage] = [Stage(0.0, 0.0)]
    for i, item in enumerate(stages):
        if isinstance(item, Stage):
            dur, target = item.duration, item.target
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            dur = parse_duration(item[0], field=f"stages[{i}] duration")
            target = item[1]
        elif isinstance(item, dict) and {"duration", "target"} <= item.keys():
            dur = parse_duration(item["duration"], field=f"stages[{i}] duration")
            target = item["target"]
        else:
            raise ConfigError(f"stages[{i}]={item!r} is not a stage; use (duration, target)")
        if isinstance(target, bool) or not isinstance(target, int | float) or target < 0:
            raise ConfigError(f"stages[{i}] target={target!r} must be a number >= 0")
        out.append(Stage(float(dur), float(target)))
    if sum(s.duration for s in out) <= 0:
        raise ConfigError("stages last 0 seconds; give at least one stage a duration like '30s'")
    if max(s.target for s in out) <= 0:
        raise ConfigError("every stage targets 0; give at least one stage a positive target")
    return tuple(out)


def total_duration(stages: Sequence[Stage]) -> float:
    """Seconds covered by the stages."""
    return sum(s.duration for s in stages)


def value_at(stages: Sequence[Stage], t: float) -> float:
    """The target at ``t`` seconds, interpolated linearly inside each stage (jumps at 0-length ones)."""
    start, level = 0.0, 0.0
    for stage in stages:
        if stage.duration <= 0:
            level = stage.target
            continue
        if t < start + stage.duration:
            return level + (stage.target - level) * (t - start) / stage.duration
        start += stage.duration
        level = stage.target
    return level


def peak(stages: Sequence[Stage]) -> float:
    """The highest target of any stage."""
    return max((s.target for s in stages), default=0.0)


def arrival_times(
    stages: Sequence[Stage], *, share: float = 1.0, offset: float = 0.0
) -> Iterator[float]:
    """Yield intended arrival times (seconds from start) for a rate plan scaled by ``share``.

    Each next arrival comes one inter-arrival time after the last, taken at the midpoint, so a
    constant plan of R/s gives exactly R arrivals a second and a ramp follows its integral.
    """
    end = total_duration(stages)
    t = offset
    while t < end - 1e-9:
        rate = value_at(stages, t) * share
        if rate <= 0:
            t += 0.01
            continue
        mid = value_at(stages, t + 0.5 / rate) * share
        yield t
        t += 1.0 / (mid if mid > 0 else rate)
