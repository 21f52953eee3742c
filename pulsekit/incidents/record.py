"""The incident record: status, severity, roles, milestones, tasks and an append-only timeline.

>>> inc = Incident("checkout errors", severity="SEV2")        # in memory; pass dir= to keep files
>>> _ = inc.assign(commander="ana", scribe="li")
>>> _ = inc.note("db-replica-1 latency up")
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulsekit._util import atomic_write
from pulsekit.errors import ConfigError, IncidentError, TransitionError
from pulsekit.incidents import metrics as _metrics
from pulsekit.incidents._serial import LESSON_KINDS, apply_record, record_json
from pulsekit.incidents._store import (
    RECORD_FILE,
    TIMELINE_FILE,
    append_jsonl,
    mutation,
    read_jsonl,
    read_record,
    signature,
    warn_all,
)
from pulsekit.incidents.model import (
    MILESTONES,
    ActionType,
    Impact,
    Priority,
    Role,
    RoleAssignment,
    Severity,
    Status,
    Task,
    TimelineEntry,
    iso,
    utc,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pulsekit.incidents.metrics import IncidentCost, IncidentMetrics

Clock = Callable[[], datetime]
FUTURE_TOLERANCE = timedelta(seconds=5)  # clock skew allowed between writers
NARRATIVE_FIELDS = ("summary", "root_causes", "trigger", "detection", "resolution")


def _now() -> datetime:
    return datetime.now(UTC)


def _action_type(value: str | ActionType) -> ActionType:
    try:
        return ActionType(value)
    except ValueError:
        raise ConfigError(
            f"type={value!r} is not an action type; use mitigate, prevent or process"
        ) from None


class Incident:
    """An incident, kept in memory or in a folder (``incident.json`` + ``timeline.jsonl``).

    Every change is written at once: the record atomically, the timeline one fsynced line per entry.
    """

    def __init__(
        self,
        title: str,
        *,
        description: str = "",
        severity: str | int | Severity = Severity.SEV3,
        priority: str | Priority = Priority.MEDIUM,
        services: Iterable[str] = (),
        id: str | None = None,
        kind: str = "incident",
        dir: str | Path | None = None,
        overwrite: bool = False,
        reported_at: datetime | str | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not title or not title.strip():
            raise ConfigError(
                "title is empty; give the incident a short title like 'checkout errors'"
            )
        self._clock: Clock = clock or _now
        self._dir = Path(dir) if dir is not None else None
        self._seen: tuple[int, int, int] | None = None
        self._changing = False
        if self._dir is not None and (self._dir / RECORD_FILE).exists() and not overwrite:
            raise IncidentError(
                f"{self._dir / RECORD_FILE} already exists; load it with Incident.load(dir) "
                "or pass overwrite=True (CLI: --force) to replace it"
            )
        now = self._clock()
        self.id = id or f"INC-{now:%Y%m%d}-{uuid.uuid4().hex[:4]}"
        self.title = title.strip()
        self.description = description
        self.severity = Severity.parse(severity)
        self.priority = Priority.parse(priority)
        self.services: tuple[str, ...] = tuple(services)
        self.kind = kind
        self.status = Status.ACTIVE
        self.reported_at = utc(reported_at) if reported_at else now
        self.stable_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.milestones: dict[str, datetime | None] = dict.fromkeys(MILESTONES)
        self.impact = Impact()
        self.narrative: dict[str, str] = {}
        self.lessons: dict[str, list[str]] = {kind: [] for kind in LESSON_KINDS}
        self._roles: list[RoleAssignment] = []
        self._tasks: list[Task] = []
        self._timeline: list[TimelineEntry] = []
        if self._dir is not None:
            self._dir.mkdir(parents=True, exist_ok=True)
            (self._dir / TIMELINE_FILE).unlink(missing_ok=True)
        self._record(
            "status",
            f"Incident reported: {self.title} ({self.severity.name}, priority {self.priority})",
            at=self.reported_at,
            pinned=True,
        )
        self._save()

    # ---------------------------------------------------------------- files
    @property
    def dir(self) -> Path | None:
        """The folder holding this incident's files (None when in memory)."""
        return self._dir

    @classmethod
    def load(cls, dir: str | Path, *, clock: Clock | None = None) -> Incident:
        """Read an incident folder; a torn last timeline line is skipped with an IncidentWarning."""
        folder = Path(dir)
        if folder.is_file() and folder.name == RECORD_FILE:
            folder = folder.parent
        record, seen = read_record(folder)
        inc = cls.__new__(cls)
        inc._clock = clock or _now
        inc._dir = folder
        inc._seen = seen
        inc._changing = False
        inc._apply_json(record)
        inc._timeline = []
        timeline = folder / TIMELINE_FILE
        if timeline.exists():
            rows, problems = read_jsonl(timeline)
            for number, row in rows:
                try:
                    inc._timeline.append(TimelineEntry.from_json(row))
                except (ConfigError, KeyError, TypeError, ValueError) as exc:
                    problems.append(f"{TIMELINE_FILE} line {number}: {exc}; skipped")
            warn_all(problems)
        return inc

    @classmethod
    def from_journal(cls, path: str | Path, **kwargs: Any) -> Incident:
        """An incident fed from a GameDay journal; see :func:`incident_from_journal`."""
        from pulsekit.incidents.journal import incident_from_journal

        return incident_from_journal(path, **kwargs)[0]

    def _apply_json(self, record: dict[str, Any]) -> None:
        apply_record(self, record)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data (the timeline lives in its own file)."""
        return record_json(self)

    def _save(self) -> None:
        if self._dir is not None:
            text = json.dumps(self.to_json(), indent=2, ensure_ascii=False)
            atomic_write(self._dir / RECORD_FILE, text + "\n")
            self._seen = signature(self._dir / RECORD_FILE)

    def __repr__(self) -> str:
        return (
            f"<Incident {self.id} {self.severity.name} {self.status.value} {self.title!r} "
            f"({len(self._timeline)} timeline entries)>"
        )

    # ---------------------------------------------------------------- timeline
    @property
    def timeline(self) -> tuple[TimelineEntry, ...]:
        """Every entry, oldest first (the file keeps them in the order they were noted)."""
        return tuple(sorted(self._timeline, key=lambda e: e.time))

    def _when(self, at: datetime | str | None) -> datetime:
        now = self._clock()
        if at is None:
            return now
        when = utc(at)
        if when > now + FUTURE_TOLERANCE:
            raise IncidentError(
                f"time {iso(when)} is in the future (now is {iso(now)}); "
                "note things when they happen or pass the real time as at="
            )
        return when

    def add(self, entry: TimelineEntry) -> TimelineEntry:
        """Append a ready-made entry (checked against the clock) to the timeline."""
        self._when(entry.time)
        if self._dir is not None:
            append_jsonl(self._dir / TIMELINE_FILE, entry.to_json())
        self._timeline.append(entry)
        return entry

    def note(
        self,
        description: str,
        *,
        at: datetime | str | None = None,
        owner: str | None = None,
        source: str = "human",
        type: str = "note",
        pinned: bool = False,
        data: dict[str, Any] | None = None,
    ) -> TimelineEntry:
        """Add a timeline entry now (or ``at``); returns it. ``pinned`` marks a highlight."""
        entry = TimelineEntry(
            time=self._when(at),
            type=type,
            description=description,
            source=source,
            owner=owner,
            pinned=pinned,
            data=dict(data or {}),
        )
        return self.add(entry)

    def _record(
        self, type: str, description: str, *, at: datetime | None, pinned: bool = False, **data: Any
    ) -> TimelineEntry:
        return self.note(description, at=at, source="pulsekit", type=type, pinned=pinned, data=data)

    # ---------------------------------------------------------------- roles
    @property
    def roles(self) -> tuple[RoleAssignment, ...]:
        """Every role assignment, past and present."""
        return tuple(self._roles)

    def holders(self, role: Role | str, *, at: datetime | str | None = None) -> list[str]:
        """People holding ``role`` now (or at time ``at``)."""
        role = Role(role)
        when = self._clock() if at is None else utc(at)
        return [
            r.person
            for r in self._roles
            if r.role is role
            and r.assumed_at <= when
            and (r.renounced_at is None or r.renounced_at > when)
        ]

    @property
    def commander(self) -> str | None:
        """The current incident commander, or the last one once the incident is closed."""
        held = [
            r.person for r in self._roles if r.role is Role.COMMANDER and r.renounced_at is None
        ]
        if held:
            return held[-1]
        past = [r.person for r in self._roles if r.role is Role.COMMANDER]
        return past[-1] if past and self.status is Status.CLOSED else None

    @mutation
    def assign(
        self,
        *,
        commander: str | None = None,
        scribe: str | None = None,
        liaison: str | None = None,
        responders: Iterable[str] = (),
        observers: Iterable[str] = (),
        at: datetime | str | None = None,
    ) -> Incident:
        """Give people roles; taking a single-holder role from someone is a hand-off."""
        when = self._when(at)
        wanted: list[tuple[Role, str]] = [
            (role, person)
            for role, person in (
                (Role.COMMANDER, commander),
                (Role.SCRIBE, scribe),
                (Role.LIAISON, liaison),
            )
            if person
        ]
        wanted += [(Role.RESPONDER, p) for p in responders]
        wanted += [(Role.OBSERVER, p) for p in observers]
        if not wanted:
            raise ConfigError("assign() needs at least one of commander=, scribe=, liaison=, ...")
        for role, person in wanted:
            current = [r for r in self._roles if r.role is role and r.renounced_at is None]
            if any(r.person == person for r in current):
                continue
            if role.single:
                for held in current:
                    self._end_role(held, when, handed_to=person)
            self._roles.append(RoleAssignment(person=person, role=role, assumed_at=when))
            self._record(
                "role", f"{person} is {role.value}", at=when, person=person, role=role.value
            )
        self._save()
        return self

    def _end_role(self, held: RoleAssignment, when: datetime, handed_to: str | None = None) -> None:
        index = self._roles.index(held)
        self._roles[index] = replace(held, renounced_at=when)
        text = f"{held.person} is no longer {held.role.value}"
        if handed_to:
            text += f" (handed to {handed_to})"
        self._record("role", text, at=when, person=held.person, role=held.role.value)

    @mutation
    def renounce(
        self, person: str, role: Role | str | None = None, *, at: datetime | str | None = None
    ) -> Incident:
        """End ``person``'s role (or all their roles when ``role`` is None)."""
        when = self._when(at)
        held = [
            r
            for r in self._roles
            if r.person == person
            and r.renounced_at is None
            and (role is None or r.role is Role(role))
        ]
        if not held:
            raise IncidentError(
                f"{person} holds no {role or 'role'} in {self.id}; nothing to renounce"
            )
        for assignment in held:
            self._end_role(assignment, when)
        self._save()
        return self

    # ---------------------------------------------------------------- status and milestones
    @mutation
    def set_status(self, status: Status | str, *, at: datetime | str | None = None) -> Incident:
        """Move forward Active → Stable → Closed; going back raises :class:`TransitionError`."""
        target = Status(status)
        if target.rank <= self.status.rank:
            raise TransitionError(
                f"{self.id} is {self.status.value}; it cannot become {target.value} "
                "(the order is active → stable → closed). Open a new incident for a recurrence."
            )
        when = self._when(at)
        if when < self.reported_at:
            raise TransitionError(
                f"{target.value} at {iso(when)} is before the report at {iso(self.reported_at)}"
            )
        if self.stable_at is None:
            self.stable_at = when
        if target is Status.CLOSED:
            self.closed_at = when
            for held in [r for r in self._roles if r.renounced_at is None]:
                index = self._roles.index(held)
                self._roles[index] = replace(held, renounced_at=when)
        self.status = target
        self._record("status", f"Status: {target.value}", at=when, pinned=True, status=target.value)
        self._save()
        return self

    def _milestone(
        self, name: str, at: datetime | str | None, text: str, **data: Any
    ) -> TimelineEntry:
        when = self._when(at)
        position = MILESTONES.index(name)
        for other in MILESTONES[:position]:
            earlier = self.milestones.get(other)
            if earlier is not None and earlier > when:
                raise TransitionError(
                    f"{name} at {iso(when)} is before {other} at {iso(earlier)}; "
                    f"pass the real time as at= (milestones go {' → '.join(MILESTONES)})"
                )
        for other in MILESTONES[position + 1 :]:
            later = self.milestones.get(other)
            if later is not None and later < when:
                raise TransitionError(f"{name} at {iso(when)} is after {other} at {iso(later)}")
        self.milestones[name] = when
        data = {k: v for k, v in data.items() if v is not None}
        return self._record(name, text, at=when, pinned=True, **data)

    @mutation
    def impact_started(self, *, at: datetime | str | None = None) -> Incident:
        """Record when users started to feel it (often known only afterwards: pass ``at``)."""
        self._milestone("impact_started", at, "Impact started")
        self._save()
        return self

    @mutation
    def detected(
        self, *, at: datetime | str | None = None, by: str | None = None, how: str | None = None
    ) -> Incident:
        """Record detection (an alert fired or someone noticed); ``how`` goes to the postmortem."""
        text = "Detected" + (f" by {by}" if by else "") + (f": {how}" if how else "")
        self._milestone("detected", at, text, by=by, how=how)
        if how and "detection" not in self.narrative:
            self.narrative["detection"] = how
        self._save()
        return self

    @mutation
    def acknowledged(self, *, at: datetime | str | None = None, by: str | None = None) -> Incident:
        """Record that a responder acknowledged the page and started work."""
        self._milestone("acknowledged", at, "Acknowledged" + (f" by {by}" if by else ""), by=by)
        self._save()
        return self

    @mutation
    def mitigated(self, *, at: datetime | str | None = None, how: str | None = None) -> Incident:
        """Record that user impact stopped; the incident becomes Stable."""
        self._milestone("mitigated", at, "Mitigated" + (f": {how}" if how else ""), how=how)
        if how and "resolution" not in self.narrative:
            self.narrative["resolution"] = how
        if self.status is Status.ACTIVE:
            self.set_status(Status.STABLE, at=self.milestones["mitigated"])
        self._save()
        return self

    @mutation
    def resolved(self, *, at: datetime | str | None = None, how: str | None = None) -> Incident:
        """Record the full fix; the incident becomes Closed."""
        if self.milestones["mitigated"] is None:
            self.mitigated(at=at)
        self._milestone("resolved", at, "Resolved" + (f": {how}" if how else ""), how=how)
        if self.status is not Status.CLOSED:
            self.set_status(Status.CLOSED, at=self.milestones["resolved"])
        self._save()
        return self

    @mutation
    def set_severity(self, severity: str | int | Severity, *, reason: str = "") -> Incident:
        """Re-grade the measured impact (recorded on the timeline)."""
        new = Severity.parse(severity)
        if new is not self.severity:
            old, self.severity = self.severity, new
            text = f"Severity {old.name} → {new.name}" + (f": {reason}" if reason else "")
            self._record("severity", text, at=None, old=old.name, new=new.name)
            self._save()
        return self

    @mutation
    def set_priority(self, priority: str | Priority, *, reason: str = "") -> Incident:
        """Change the urgency of the response (recorded on the timeline)."""
        new = Priority.parse(priority)
        if new is not self.priority:
            old, self.priority = self.priority, new
            text = f"Priority {old} → {new}" + (f": {reason}" if reason else "")
            self._record("priority", text, at=None, old=old.value, new=new.value)
            self._save()
        return self

    # ---------------------------------------------------------------- tasks, impact, narrative
    @property
    def tasks(self) -> tuple[Task, ...]:
        """Tasks of the response (not post-incident action items)."""
        return tuple(t for t in self._tasks if not t.action_item)

    @property
    def action_items(self) -> tuple[Task, ...]:
        """Post-incident action items."""
        return tuple(t for t in self._tasks if t.action_item)

    @mutation
    def add_task(
        self,
        description: str,
        *,
        owner: str | None = None,
        priority: str | Priority = Priority.HIGH,
        type: str | ActionType = ActionType.MITIGATE,
        due: date | str | None = None,
        action_item: bool = False,
        ticket: str | None = None,
    ) -> Task:
        """Add a task of the response (due in a day unless given)."""
        if not description.strip():
            raise ConfigError("a task needs a description starting with a verb, e.g. 'Add ...'")
        if isinstance(due, str):
            due = date.fromisoformat(due)
        default_days = 7 if action_item else 1
        task = Task(
            id=f"{'AI' if action_item else 'T'}-{len(self._tasks) + 1}",
            description=description.strip(),
            owner=owner,
            priority=Priority.parse(priority),
            type=_action_type(type),
            due=due or (self._clock() + timedelta(days=default_days)).date(),
            action_item=action_item,
            ticket=ticket,
        )
        self._tasks.append(task)
        label = "Action item" if action_item else "Task"
        self._record("task", f"{label} {task.id}: {task.description}", at=None, task=task.id)
        self._save()
        return task

    def add_action_item(
        self,
        description: str,
        *,
        owner: str | None = None,
        priority: str | Priority = Priority.MEDIUM,
        type: str | ActionType = ActionType.PREVENT,
        due: date | str | None = None,
        ticket: str | None = None,
    ) -> Task:
        """Add a post-incident action item (start it with a verb; due in a week unless given)."""
        return self.add_task(
            description,
            owner=owner,
            priority=priority,
            type=type,
            due=due,
            action_item=True,
            ticket=ticket,
        )

    @mutation
    def complete(self, task_id: str) -> Task:
        """Mark a task or action item done."""
        for index, task in enumerate(self._tasks):
            if task.id == task_id:
                self._tasks[index] = replace(task, done=True)
                self._record("task", f"{task_id} done", at=None, task=task_id)
                self._save()
                return self._tasks[index]
        known = ", ".join(t.id for t in self._tasks) or "none"
        raise IncidentError(f"no task {task_id!r} in {self.id} (known: {known})")

    @mutation
    def set_impact(self, **fields: Any) -> Incident:
        """Record what users felt: ``requests_failed=``, ``requests_total=``, ``slo_target=``, ..."""
        try:
            self.impact = replace(self.impact, **fields)
        except TypeError as exc:
            known = ", ".join(Impact.__dataclass_fields__)
            raise ConfigError(f"set_impact(): {exc}; known fields: {known}") from None
        self._save()
        return self

    @mutation
    def describe(self, **fields: str) -> Incident:
        """Fill narrative fields: summary, root_causes, trigger, detection, resolution."""
        unknown = set(fields) - set(NARRATIVE_FIELDS)
        if unknown:
            raise ConfigError(
                f"describe(): unknown field(s) {sorted(unknown)}; use {', '.join(NARRATIVE_FIELDS)}"
            )
        self.narrative.update({k: v for k, v in fields.items() if v})
        self._save()
        return self

    @mutation
    def lesson(self, kind: str, text: str) -> Incident:
        """Add a lesson: ``kind`` is went_well, went_wrong or got_lucky."""
        key = kind.replace(" ", "_").replace("-", "_").lower()
        if key not in LESSON_KINDS:
            raise ConfigError(f"lesson kind {kind!r} is not one of {', '.join(LESSON_KINDS)}")
        self.lessons[key].append(text)
        self._save()
        return self

    # ---------------------------------------------------------------- derived
    def metrics(self) -> IncidentMetrics:
        """Time to detect, acknowledge, mitigate and resolve, from the stored milestones."""
        return _metrics.incident_metrics(self)

    def cost(self, **kwargs: Any) -> IncidentCost:
        """Responder time by role and lost revenue; see :func:`pulsekit.incidents.metrics.cost`."""
        return _metrics.cost(self, **kwargs)

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Timeline chart: entries by kind, the impact window shaded, a line per milestone, the
        ``faults`` windows (FaultWindows, FaultRecords, a FaultLog) hatched."""
        from pulsekit.incidents._chart import plot_timeline

        return plot_timeline(self, ax=ax, faults=faults)

    def now(self) -> datetime:
        """The incident's clock (injectable for tests and replays)."""
        return self._clock()
