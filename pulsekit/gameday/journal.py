"""The GameDay journal: typed events appended (and fsynced) through the incidents package's writer.

Each line is pulsekit's journal shape ``{time, type, source, description, data}`` (what
``pulsekit postmortem render`` reads), plus ``seq`` and ``t`` (seconds after T0, the load's start).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pulsekit.incidents._store import append_jsonl

JOURNAL_FILE = "journal.jsonl"


class Event(StrEnum):
    """The event types a GameDay writes (dotted, low cardinality)."""

    RUN_STARTED = "run.started"
    HYPOTHESIS_DECLARED = "hypothesis.declared"
    STEP_APPLIED = "step.applied"
    STEP_REVERTED = "step.reverted"
    FAULT_APPLIED = "fault.applied"
    FAULT_REVERTED = "fault.reverted"
    GUARD_TRIPPED = "guard.tripped"
    HALT_REQUESTED = "halt.requested"
    SLO_ALERT = "slo.alert"
    DETECTED = "detected"  # the incidents package's milestones (a bad deploy's TTD and TTM)
    MITIGATED = "mitigated"
    MEASUREMENT = "measurement"
    RUN_ENDED = "run.ended"
    RUN_ABORTED = "run.aborted"
    RUN_INTERRUPTED = "run.interrupted"


END_EVENTS = (Event.RUN_ENDED, Event.RUN_ABORTED, Event.RUN_INTERRUPTED)


class Journal:
    """Append-only events of one run (``gameday.run`` refuses a folder that already holds one).

    >>> journal = Journal(Path("runs/x/journal.jsonl"))                   # doctest: +SKIP
    >>> journal.write(Event.RUN_STARTED, "GameDay: ...", title="...")     # doctest: +SKIP
    """

    def __init__(self, path: Path, *, source: str = "gameday") -> None:
        self.path = Path(path)
        self.source = source
        self.t0: float | None = None
        self.seq = 0
        self.ended = False
        self.listeners: list[Callable[[dict[str, Any]], None]] = []  # e.g. the live screen

    def write(
        self, event: Event | str, description: str, *, at: float | None = None, **data: Any
    ) -> dict[str, Any]:
        """Append one event (fsynced) and return it; ``at`` is its UNIX time (default now)."""
        when = time.time() if at is None else at
        self.seq += 1
        record: dict[str, Any] = {
            "seq": self.seq,
            "time": datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds"),
            "t": None if self.t0 is None else round(when - self.t0, 3),
            "type": str(event),
            "source": self.source,
            "description": description,
            "data": data,
        }
        record["time"] = record["time"].replace("+00:00", "Z")
        append_jsonl(self.path, record)
        for listener in self.listeners:
            listener(record)
        if event in END_EVENTS:
            self.ended = True
        return record

    def fault_listener(self) -> Callable[[str, Any], None]:
        """A :meth:`pulsekit.faults.FaultLog.subscribe` listener journalling every fault change."""

        def listen(change: str, record: Any) -> None:
            params = {k: v for k, v in record.params if not isinstance(v, tuple)}
            if change == "applied":
                self.write(
                    Event.FAULT_APPLIED,
                    f"{record.kind} {record.target}",
                    at=record.applied_at,
                    kind=record.kind,
                    target=record.target,
                    fault_id=record.id,
                    expires_at=record.expires_at,
                    **params,
                )
            else:
                self.write(
                    Event.FAULT_REVERTED,
                    f"{record.kind} {record.target} reverted ({record.reverted_by})",
                    at=record.reverted_at,
                    kind=record.kind,
                    target=record.target,
                    fault_id=record.id,
                    reverted_by=record.reverted_by,
                )

        return listen


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every readable event of a journal, in file order."""
    from pulsekit.incidents._store import read_jsonl

    rows, _ = read_jsonl(Path(path))
    return [row for _, row in rows]
