"""GameDays: a spec (YAML) run end to end: target, load, timed faults, stop conditions, rollback,
window statistics from merged histograms, a report and a postmortem draft.

>>> from pulsekit import gameday                                          # doctest: +SKIP
>>> result = gameday.run("gamedays/01_db_replica_loss", load__users=50)   # doctest: +SKIP
>>> print(result.summary())                                               # doctest: +SKIP
"""

from __future__ import annotations

from pulsekit.gameday.control import RunHandle, halt, start
from pulsekit.gameday.journal import Event, Journal, read_events
from pulsekit.gameday.result import GameDayResult, WindowResult
from pulsekit.gameday.runner import run
from pulsekit.gameday.spec import (
    GameDaySpec,
    LoadSpec,
    PriceSpec,
    SandboxSpec,
    SLOSpec,
    Step,
    StopCondition,
    Window,
    load_spec,
)

__all__ = [
    "Event",
    "GameDayResult",
    "GameDaySpec",
    "Journal",
    "LoadSpec",
    "PriceSpec",
    "RunHandle",
    "SLOSpec",
    "SandboxSpec",
    "Step",
    "StopCondition",
    "Window",
    "WindowResult",
    "halt",
    "load_spec",
    "read_events",
    "run",
    "start",
]
