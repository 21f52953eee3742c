"""GameDay journals: a real Chaos Toolkit journal.json and pulsekit JSON lines, whole or torn."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pulsekit.errors import IncidentError
from pulsekit.incidents import (
    Incident,
    IncidentWarning,
    Status,
    incident_from_journal,
    read_journal,
)

CHAOS = Path(sys.executable).parent / "chaos"


@pytest.fixture(scope="module")
def ctk_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run a tiny experiment with `chaos run` whose steady state deviates: a file it needs vanishes."""
    root = tmp_path_factory.mktemp("ctk")
    marker, backup = root / "replica.up", root / "replica.backup"
    marker.write_text("up")
    backup.write_text("up")

    def call(module: str, func: str, **arguments: str) -> dict[str, object]:
        return {"type": "python", "module": module, "func": func, "arguments": arguments}

    experiment = {
        "version": "1.0.0",
        "title": "losing db-replica-1 keeps the shop up",
        "description": "a drill",
        "steady-state-hypothesis": {
            "title": "replica is up",
            "probes": [
                {
                    "type": "probe",
                    "name": "replica-up",
                    "tolerance": True,
                    "provider": call("os.path", "exists", path=str(marker)),
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "kill-db-replica-1",
                "provider": call("os", "remove", path=str(marker)),
            }
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "restart-db-replica-1",
                "provider": call("shutil", "copyfile", src=str(backup), dst=str(marker)),
            }
        ],
    }
    (root / "experiment.json").write_text(json.dumps(experiment))
    journal = root / "journal.json"
    subprocess.run(
        [
            str(CHAOS),
            "--no-log-file",
            "run",
            str(root / "experiment.json"),
            "--journal-path",
            str(journal),
            "--rollback-strategy",
            "always",
        ],
        cwd=root,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert journal.exists(), "chaos run wrote no journal"
    return journal


def test_chaostoolkit_journal_becomes_a_timeline_with_milestones(ctk_journal: Path) -> None:
    """Actions, the deviated steady state and rollbacks map to faults, detection and mitigation."""
    result = read_journal(ctk_journal)
    assert result.format == "chaostoolkit" and result.status == "completed" and result.deviated
    types = [e.type for e in result.entries]
    assert types == ["probe", "fault.applied", "threshold.failed", "fault.reverted", "run.ended"]
    by_type = {e.type: e for e in result.entries}
    assert result.milestones["impact_started"] == by_type["fault.applied"].time
    assert result.milestones["detected"] == by_type["threshold.failed"].time
    assert result.milestones["mitigated"] == by_type["fault.reverted"].time
    assert result.milestones["resolved"] == by_type["run.ended"].time
    assert result.problems == ()


def test_incident_from_a_chaostoolkit_journal_is_closed_and_measured(ctk_journal: Path) -> None:
    """The imported incident is a closed GameDay with every metric but acknowledgement known."""
    inc = Incident.from_journal(ctk_journal)
    assert inc.kind == "gameday" and inc.status is Status.CLOSED
    assert inc.title == "losing db-replica-1 keeps the shop up"
    metrics = inc.metrics()
    assert metrics.time_to_detect is not None and metrics.time_to_detect >= 0
    assert metrics.time_to_acknowledge is None


def test_a_truncated_chaostoolkit_journal_keeps_the_complete_records(
    ctk_journal: Path, tmp_path: Path
) -> None:
    """A journal cut mid-rollback still yields the records before the cut, with warnings."""
    text = ctk_journal.read_text()
    cut = tmp_path / "journal.json"
    cut.write_text(text[: text.rindex('"restart-db-replica-1"') + 5])
    with pytest.warns(IncidentWarning) as caught:
        result = read_journal(cut)
    assert any("truncated" in str(w.message) for w in caught)
    assert [e.type for e in result.entries] == ["probe", "fault.applied", "threshold.failed"]
    assert result.status is None
    assert any("end time" in p for p in result.problems)
    assert result.milestones["mitigated"] is None


def _pulsekit_journal(path: Path, extra: str = "") -> Path:
    rows = [
        {
            "time": "2026-11-27T10:00:00Z",
            "type": "run.started",
            "source": "gameday",
            "description": "replica loss drill",
            "data": {"title": "replica loss", "services": ["api"]},
        },
        {
            "time": "2026-11-27T10:01:00Z",
            "type": "fault.applied",
            "source": "faults",
            "description": "killed db-replica-1",
            "data": {"target": "db-replica-1"},
        },
        {
            "time": "2026-11-27T10:01:40Z",
            "type": "slo.breach",
            "source": "observe",
            "description": "availability burn rate 14x",
            "data": {"budget_consumed": 0.02},
        },
        {
            "time": "2026-11-27T10:02:00Z",
            "type": "measurement",
            "source": "load",
            "description": "requests so far",
            "data": {"requests_total": 4000, "requests_failed": 90},
        },
        {
            "time": "2026-11-27T10:04:00Z",
            "type": "fault.reverted",
            "source": "faults",
            "description": "restarted db-replica-1",
            "data": {"target": "db-replica-1"},
        },
        {
            "time": "2026-11-27T10:05:00Z",
            "type": "run.ended",
            "source": "gameday",
            "description": "done",
            "data": {"status": "completed"},
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + extra)
    return path


def test_pulsekit_journal_fills_timeline_impact_and_services(tmp_path: Path) -> None:
    """Fault windows, the SLO breach and measurements become milestones and impact numbers."""
    journal = _pulsekit_journal(tmp_path / "journal.jsonl")
    inc, result = incident_from_journal(journal, dir=tmp_path / "inc")
    assert result.format == "pulsekit" and result.title == "replica loss"
    assert inc.services == ("api", "db-replica-1")
    assert inc.impact.requests_failed == 90 and inc.impact.requests_total == 4000
    assert inc.impact.slo_budget_consumed == pytest.approx(0.02)
    m = inc.metrics()
    assert (m.time_to_detect, m.impact_duration, m.time_to_resolve) == (40, 180, 200)
    assert (tmp_path / "inc" / "incident.json").exists()


def test_bad_lines_and_future_entries_are_skipped_with_warnings(tmp_path: Path) -> None:
    """A non-JSON line, a line without a type and a future entry are reported; the rest is kept."""
    extra = (
        "not json at all\n"
        + json.dumps({"time": "2026-11-27T10:06:00Z", "description": "no type"})
        + "\n"
        + json.dumps({"time": "2999-01-01T00:00:00Z", "type": "probe", "description": "late"})
        + "\n"
        + '{"time": "2026-11-27T10:07:00Z", "ty'
    )
    journal = _pulsekit_journal(tmp_path / "journal.jsonl", extra)
    with pytest.warns(IncidentWarning) as caught:
        result = read_journal(journal)
    messages = " | ".join(str(w.message) for w in caught)
    assert "line 7: not JSON" in messages
    assert "line 8: needs 'time' and 'type'" in messages
    assert "line 9: time 2999" in messages and "future" in messages
    assert "line 10: truncated" in messages
    assert len(result.entries) == 6


def test_unreadable_inputs_are_clear_errors(tmp_path: Path) -> None:
    """Missing, empty and foreign files raise IncidentError saying what is wrong."""
    with pytest.raises(IncidentError, match="does not exist"):
        read_journal(tmp_path / "nope.json")
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(IncidentError, match="empty"):
        read_journal(tmp_path / "empty.json")
    (tmp_path / "other.json").write_text('["a", "list"]')
    with pytest.raises(IncidentError, match="neither a Chaos Toolkit"):
        read_journal(tmp_path / "other.json")
