"""Fixtures for the incident tests: a settable clock and a small finished incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pulsekit.incidents import Incident

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting at 2026-11-27 10:00 UTC."""
    return FakeClock()


def drill(
    folder: Path | None,
    clock: FakeClock,
    *,
    severity: str = "SEV2",
    services: tuple[str, ...] = ("api", "db-replica-1"),
    id: str = "INC-1",
) -> Incident:
    """A replica-loss incident: impact 3 min before the report, detected at +1, mitigated at +8."""
    inc = Incident(
        "checkout errors", severity=severity, services=services, id=id, dir=folder, clock=clock
    )
    clock.advance(minutes=1)
    inc.assign(commander="ana", scribe="li", observers=["bo"])
    inc.impact_started(at=T0 - timedelta(minutes=3))
    inc.detected(by="api-5xx alert", how="the api 5xx alert fired")
    clock.advance(minutes=2)
    inc.acknowledged(by="ana")
    inc.note("db-replica-1 latency up", owner="li")
    clock.advance(minutes=5)
    inc.mitigated(how="the gateway ejected db-replica-1")
    inc.set_impact(requests_failed=120, requests_total=5000)
    inc.add_action_item("Add an alert on replica lag", owner="li", type="prevent")
    inc.lesson("went_well", "the gateway ejected the dead replica")
    clock.advance(minutes=30)
    inc.resolved()
    return inc
