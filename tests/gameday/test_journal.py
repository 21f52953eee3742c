"""The GameDay journal: typed events through the one fsynced writer, faults journalled by
themselves, and the incidents reader understanding every end event."""

from __future__ import annotations

import json
from pathlib import Path

from pulsekit._windows import FaultWindow, as_windows
from pulsekit.faults import FaultLog, FaultRecord
from pulsekit.gameday import Event, Journal, read_events
from pulsekit.incidents import read_journal, render_postmortem


def test_events_are_appended_with_seq_and_offset(tmp_path: Path) -> None:
    """Each write appends one complete JSON line with seq, time, t (after T0), type and data."""
    journal = Journal(tmp_path / "journal.jsonl")
    journal.write(Event.RUN_STARTED, "GameDay: x", title="x")
    journal.t0 = 1_700_000_000.0
    journal.write(Event.MEASUREMENT, "m", at=1_700_000_012.5, requests_total=10)
    lines = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert (first["seq"], first["type"], first["t"]) == (1, "run.started", None)
    assert (second["seq"], second["t"], second["data"]) == (2, 12.5, {"requests_total": 10})
    assert second["time"] == "2023-11-14T22:13:32.500Z"


def test_a_fault_log_attached_journals_every_fault_by_itself(tmp_path: Path) -> None:
    """FaultLog.subscribe(journal.fault_listener()) writes fault.applied and fault.reverted."""
    journal = Journal(tmp_path / "journal.jsonl")
    log = FaultLog()
    unsubscribe = log.subscribe(journal.fault_listener())
    log.add(FaultRecord("latency", "api->db-replica-1", (("latency", 300),), 100.0, id="f1"))
    log.close("f1", by="api", at=130.0)
    unsubscribe()
    log.add(FaultRecord("kill", "api-1", (), 140.0, id="f2"))
    events = read_events(tmp_path / "journal.jsonl")
    assert [e["type"] for e in events] == ["fault.applied", "fault.reverted"]
    assert events[0]["data"]["latency"] == 300 and events[1]["data"]["reverted_by"] == "api"


def test_the_postmortem_reader_knows_aborted_runs_and_the_hypothesis(tmp_path: Path) -> None:
    """A journal ending in run.aborted reads as aborted; the hypothesis fills the template."""
    journal = Journal(tmp_path / "journal.jsonl")
    journal.write(Event.RUN_STARTED, "GameDay: replica loss", title="replica loss")
    journal.write(
        Event.HYPOTHESIS_DECLARED, "h", lines=["fault [27s, 60s): http_req_failed: rate<0.01"]
    )
    journal.write(Event.FAULT_APPLIED, "kill db-replica-1", target="db-replica-1")
    journal.write(Event.GUARD_TRIPPED, "stop condition tripped", condition="x")
    journal.write(Event.FAULT_REVERTED, "restarted", target="db-replica-1")
    journal.write(Event.RUN_ABORTED, "run aborted", status="aborted")
    imported = read_journal(tmp_path / "journal.jsonl")
    assert imported.status == "aborted"
    assert imported.milestones["detected"] is not None  # the trip counts as detection
    draft = render_postmortem(tmp_path / "journal.jsonl", template="gameday")
    assert "fault [27s, 60s): http_req_failed: rate<0.01" in draft.markdown
    assert "state the hypothesis" not in draft.markdown


def test_fault_windows_come_from_records_logs_and_tuples() -> None:
    """One FaultWindow type: from a FaultRecord, a FaultLog, offsets or (start, end, label)."""
    record = FaultRecord("kill", "db-replica-1", (), 100.0, reverted_at=130.0, id="a")
    windows = as_windows(FaultLog([record]))
    assert windows == (FaultWindow(100.0, 130.0, "kill db-replica-1", kind="kill"),)
    assert FaultWindow.offsets(1000.0, 25, 45, "x").relative(1000.0) == (25.0, 45.0)
    assert as_windows([(5, 9, "t")])[0].span() == (5.0, 9.0)
