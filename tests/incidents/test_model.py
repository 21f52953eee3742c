"""The incident vocabulary: severity, priority, times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pulsekit.errors import ConfigError
from pulsekit.incidents import Priority, Severity, TimelineEntry
from pulsekit.incidents.model import utc


@pytest.mark.parametrize("text", ["SEV2", "sev-2", "2", 2, "Sev 2"])
def test_severity_parse_accepts_common_spellings(text: object) -> None:
    """Every usual spelling of SEV2 parses to SEV2, which counts as a major incident."""
    sev = Severity.parse(text)  # type: ignore[arg-type]
    assert sev is Severity.SEV2 and sev.is_major


def test_severity_parse_rejects_unknown_levels_with_the_fix() -> None:
    """SEV7 is refused with a message naming the valid range."""
    with pytest.raises(ConfigError, match="SEV1..SEV5"):
        Severity.parse("SEV7")


def test_severity_suggestion_follows_the_documented_thresholds() -> None:
    """The metric-driven guess maps failed-request shares to SEV1..SEV5 as documented."""
    ratios = [0.6, 0.2, 0.02, 0.001, 0.0]
    assert [Severity.suggest(failed_ratio=r).value for r in ratios] == [1, 2, 3, 4, 5]
    assert Severity.suggest(failed_ratio=0.0, data_loss=True) is Severity.SEV1


def test_priority_is_separate_from_severity_and_drives_cadence() -> None:
    """P1 means high priority: it pages the commander and wants hourly updates."""
    assert Priority.parse("P1") is Priority.HIGH
    assert Priority.HIGH.pages_commander and not Priority.LOW.pages_commander
    assert Priority.HIGH.update_every_hours < Priority.LOW.update_every_hours
    with pytest.raises(ConfigError, match="high, medium, low"):
        Priority.parse("urgent")


def test_times_are_utc_and_round_trip_through_json() -> None:
    """Naive times are UTC, 'Z' is understood, and an entry survives its JSON-lines form."""
    assert utc("2026-11-27T10:00:00Z") == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert utc(datetime(2026, 11, 27, 10)) == datetime(2026, 11, 27, 10, tzinfo=UTC)
    entry = TimelineEntry(utc("2026-11-27T10:00:00Z"), "note", "x", owner="li", data={"k": 1})
    assert TimelineEntry.from_json(entry.to_json()) == entry
    with pytest.raises(ConfigError, match="ISO-8601"):
        utc("yesterday")


def test_importing_the_package_pulls_no_heavy_library() -> None:
    """`import pulsekit.incidents` leaves pandas, matplotlib, jinja2 and chaoslib unimported."""
    import subprocess
    import sys

    code = (
        "import sys, pulsekit.incidents; "
        "print([m for m in ('pandas', 'matplotlib', 'jinja2', 'chaoslib', 'locust') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]"
