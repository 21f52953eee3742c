"""Incident records to and from JSON (the ``incident.json`` file)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulsekit.errors import IncidentError
from pulsekit.incidents.model import (
    MILESTONES,
    Impact,
    Priority,
    RoleAssignment,
    Severity,
    Status,
    Task,
    iso,
    utc,
)

if TYPE_CHECKING:
    from pulsekit.incidents.record import Incident

LESSON_KINDS = ("went_well", "went_wrong", "got_lucky")


def apply_record(inc: Incident, record: dict[str, Any]) -> None:
    """Set every field of ``inc`` from a stored record."""
    try:
        inc.id = record["id"]
        inc.title = record["title"]
        inc.description = record.get("description", "")
        inc.severity = Severity.parse(record.get("severity", "SEV3"))
        inc.priority = Priority.parse(record.get("priority", "medium"))
        inc.services = tuple(record.get("services", ()))
        inc.kind = record.get("kind", "incident")
        inc.status = Status(record.get("status", "active"))
        inc.reported_at = utc(record["reported_at"])
        stable, closed = record.get("stable_at"), record.get("closed_at")
        inc.stable_at = utc(stable) if stable else None
        inc.closed_at = utc(closed) if closed else None
        stored = record.get("milestones", {})
        inc.milestones = {m: utc(stored[m]) if stored.get(m) else None for m in MILESTONES}
        inc.impact = Impact(**record.get("impact", {}))
        inc.narrative = dict(record.get("narrative", {}))
        lessons = record.get("lessons", {})
        inc.lessons = {k: list(lessons.get(k, [])) for k in LESSON_KINDS}
        inc._roles = [RoleAssignment.from_json(r) for r in record.get("roles", [])]
        inc._tasks = [Task.from_json(t) for t in record.get("tasks", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise IncidentError(f"incident record is missing or has a bad field: {exc}") from exc


def record_json(inc: Incident) -> dict[str, Any]:
    """The record of ``inc`` as JSON-ready data (the timeline lives in its own file)."""
    return {
        "id": inc.id,
        "title": inc.title,
        "description": inc.description,
        "kind": inc.kind,
        "severity": inc.severity.name,
        "priority": inc.priority.value,
        "services": list(inc.services),
        "status": inc.status.value,
        "reported_at": iso(inc.reported_at),
        "stable_at": iso(inc.stable_at),
        "closed_at": iso(inc.closed_at),
        "milestones": {m: iso(t) for m, t in inc.milestones.items()},
        "impact": inc.impact.to_json(),
        "narrative": inc.narrative,
        "lessons": inc.lessons,
        "roles": [r.to_json() for r in inc._roles],
        "tasks": [t.to_json() for t in inc._tasks],
    }
