"""Incident metrics: named durations, distributions over many incidents, cost."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from pulsekit.errors import ConfigError, IncidentError
from pulsekit.incidents import Incident, human_duration, metrics_table

from .conftest import T0, FakeClock, drill


def test_each_metric_measures_its_documented_interval(clock: FakeClock) -> None:
    """detect = impact→detected, acknowledge = detected→ack, mitigate/resolve from detection."""
    m = drill(None, clock).metrics()
    assert m.time_to_detect == 4 * 60  # impact 09:57, detected 10:01
    assert m.time_to_acknowledge == 2 * 60
    assert m.time_to_mitigate == 7 * 60
    assert m.time_to_resolve == 37 * 60
    assert m.impact_duration == 11 * 60
    assert "time to detect: 4m 00s" in m.summary()


def test_missing_milestones_give_unknown_not_zero(clock: FakeClock) -> None:
    """Without an acknowledgement the metric is None and prints as unknown."""
    inc = Incident("blip", clock=clock)
    clock.advance(minutes=3)
    inc.detected()
    m = inc.metrics()
    assert m.time_to_acknowledge is None and m.time_to_detect is None
    assert "time to acknowledge: unknown" in m.summary()
    assert human_duration(3725) == "1h 02m" and human_duration(65) == "1m 05s"


def _three_incidents(root: Path) -> None:
    for number, (sev, service, minutes) in enumerate(
        [("SEV2", "api", 7), ("SEV2", "db", 3), ("SEV3", "db", 20)], start=1
    ):
        clock = FakeClock(T0 + timedelta(days=number))
        inc = Incident(
            f"incident {number}",
            severity=sev,
            services=[service],
            id=f"INC-{number}",
            dir=root / f"inc-{number}",
            clock=clock,
        )
        inc.detected()
        clock.advance(minutes=minutes)
        inc.mitigated()


def test_distributions_by_severity_and_service_from_a_folder(tmp_path: Path) -> None:
    """A folder of incident folders gives per-severity and per-service medians."""
    _three_incidents(tmp_path)
    table = metrics_table(tmp_path)
    assert list(table.df["id"]) == ["INC-1", "INC-2", "INC-3"]
    by_sev = table.by("severity").set_index(["severity", "metric"])
    assert by_sev.loc[("SEV2", "time_to_mitigate"), "median"] == 5 * 60
    assert by_sev.loc[("SEV2", "time_to_mitigate"), "count"] == 2
    by_service = table.by("service").set_index(["service", "metric"])
    assert by_service.loc[("db", "time_to_mitigate"), "median"] == 11.5 * 60
    assert "3 incidents" in table.summary() and "SEV2 2" in table.summary()
    with pytest.raises(ConfigError):
        table.by("team")


def test_chart_of_a_metric_by_severity(tmp_path: Path) -> None:
    """plot() draws one box per severity with labelled axes and a fixed size."""
    _three_incidents(tmp_path)
    ax = metrics_table(tmp_path).plot("time_to_mitigate", by="severity")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["SEV2", "SEV3"]
    assert "minutes" in ax.get_ylabel()
    assert tuple(ax.get_figure().get_size_inches()) == (8, 4)  # type: ignore[union-attr]


def test_a_dataframe_of_timestamps_is_accepted() -> None:
    """A frame with milestone columns is measured like stored incidents."""
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "severity": ["SEV1", "SEV3"],
            "service": ["api", "db"],
            "impact_started": ["2026-01-01T10:00Z", "2026-01-02T10:00Z"],
            "detected": ["2026-01-01T10:02Z", "2026-01-02T10:10Z"],
            "mitigated": ["2026-01-01T10:12Z", "2026-01-02T10:40Z"],
        }
    )
    df = metrics_table(frame).df
    assert list(df["time_to_detect"]) == [120, 600]
    assert list(df["impact_duration"]) == [720, 2400]
    assert df["time_to_acknowledge"].isna().all()


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    """No incident records in the folder gives a clear error."""
    with pytest.raises(IncidentError, match="no incident.json"):
        metrics_table(tmp_path)


def test_cost_counts_responder_time_by_role_until_stable(clock: FakeClock) -> None:
    """Roles count until the incident is stable, weighted by role, plus lost revenue."""
    inc = drill(None, clock)  # roles from 10:01, stable at 10:08
    inc.set_impact(revenue_per_failed_request=2.5)
    c = inc.cost(hourly_rate=100.0)
    assert c.hours_by_role == pytest.approx(
        {"commander": 7 / 60, "scribe": 7 / 60, "observer": 7 / 60}
    )
    assert c.weighted_hours == pytest.approx(7 / 60 * 1.75)  # observer costs nothing
    assert c.response_cost == pytest.approx(100 * 7 / 60 * 1.75)
    assert c.lost_revenue == pytest.approx(300.0)
    assert c.total == pytest.approx(c.response_cost + 300.0)
    assert "lost revenue: 300.00" in c.summary()
    assert inc.cost(hourly_rate=100.0, review=True).review_hours == pytest.approx(2.0)
