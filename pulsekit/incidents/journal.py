"""Read GameDay journals (Chaos Toolkit ``journal.json`` or pulsekit JSON lines) into a timeline.

A truncated or malformed journal is read as far as it goes; every part that could not be read is
reported in ``JournalImport.problems`` (and as an :class:`IncidentWarning`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulsekit.errors import ConfigError, IncidentError, TransitionError
from pulsekit.incidents._store import read_jsonl, warn_all
from pulsekit.incidents.model import MILESTONES, Impact, Severity, TimelineEntry, utc
from pulsekit.incidents.record import FUTURE_TOLERANCE, Incident

DETECTION_TYPES = ("threshold.failed", "slo.breach", "slo.alert", "guard.tripped", "detected")
"""Entry types that count as detection once a fault is active."""


@dataclass(frozen=True)
class JournalImport:
    """What a journal says: its timeline, inferred milestones and impact, and what was unreadable."""

    path: Path
    format: str  # "chaostoolkit" or "pulsekit"
    title: str
    entries: tuple[TimelineEntry, ...]
    milestones: dict[str, datetime | None]
    impact: Impact
    status: str | None = None  # completed, failed, aborted, interrupted (None: unknown)
    deviated: bool | None = None
    services: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())
    hypothesis: tuple[str, ...] = ()  # from a GameDay's hypothesis.declared event
    verdicts: tuple[str, ...] = ()  # one line per window judged (GameDay measurement events)

    @property
    def started_at(self) -> datetime | None:
        """Time of the first entry."""
        return self.entries[0].time if self.entries else None

    @property
    def ended_at(self) -> datetime | None:
        """Time of the last entry."""
        return self.entries[-1].time if self.entries else None


def read_journal(
    path: str | Path, *, clock: Callable[[], datetime] | None = None, warn: bool = True
) -> JournalImport:
    """Read a Chaos Toolkit ``journal.json`` or a pulsekit JSON-lines journal."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise IncidentError(f"journal {source} does not exist") from None
    except IsADirectoryError:
        raise IncidentError(f"{source} is a folder; give the journal file inside it") from None
    if not text.strip():
        raise IncidentError(f"journal {source} is empty; nothing to read")
    now = (clock or (lambda: datetime.now(UTC)))()
    result = _parse(source, text, now)
    if not result.entries:
        raise IncidentError(
            f"journal {source}: no readable entry ({'; '.join(result.problems) or 'empty'})"
        )
    if warn:
        warn_all(list(result.problems))
    return result


def _parse(source: Path, text: str, now: datetime) -> JournalImport:
    stripped = text.lstrip()
    whole: Any = None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict) and ("run" in whole or "experiment" in whole):
        return _from_chaostoolkit(source, whole, [], now)
    first_line = stripped.split("\n", 1)[0]
    looks_jsonl = source.suffix == ".jsonl" or _is_event_line(first_line)
    if looks_jsonl:
        return _from_pulsekit(source, now)
    if stripped.startswith("{") and ('"chaoslib-version"' in text or '"experiment"' in text):
        journal, problems = _salvage_chaostoolkit(text, source.name)
        return _from_chaostoolkit(source, journal, problems, now)
    raise IncidentError(
        f"{source} is neither a Chaos Toolkit journal.json nor a pulsekit JSON-lines journal "
        "(see docs/incidents.md for the record shape)"
    )


def _is_event_line(line: str) -> bool:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(obj, dict) and "time" in obj and "type" in obj


# ------------------------------------------------------------------------- pulsekit JSON lines
def _from_pulsekit(source: Path, now: datetime) -> JournalImport:
    rows, problems = read_jsonl(source)
    entries: list[TimelineEntry] = []
    title, status, services = source.stem, None, []
    hypothesis: list[str] = []
    verdicts: list[str] = []
    failed = total = None
    budget: float | None = None
    slo_target: float | None = None
    for number, row in rows:
        if "time" not in row or "type" not in row:
            problems.append(f"{source.name} line {number}: needs 'time' and 'type'; skipped")
            continue
        row.setdefault("description", str(row["type"]))
        try:
            entry = TimelineEntry.from_json({**row, "source": row.get("source") or "gameday"})
        except ConfigError as exc:
            problems.append(f"{source.name} line {number}: {exc}; skipped")
            continue
        if entry.time > now + FUTURE_TOLERANCE:
            problems.append(
                f"{source.name} line {number}: time {row['time']} is in the future; skipped"
            )
            continue
        data = entry.data
        if entry.type == "run.started":
            title = str(data.get("title") or title)
            services += [str(s) for s in data.get("services", [])]
        elif entry.type in ("run.ended", "run.aborted", "run.interrupted"):
            status = str(data.get("status") or entry.type.split(".", 1)[1])
        elif entry.type == "hypothesis.declared":
            hypothesis += [str(line) for line in data.get("lines", [])]
        if entry.type == "measurement" and data.get("verdict"):
            verdicts.append(str(data["verdict"]))
        if entry.type == "measurement":
            failed = _max(failed, data.get("requests_failed"))
            total = _max(total, data.get("requests_total"))
        if entry.type == "slo.breach":
            budget = _max(budget, data.get("budget_consumed"))
            slo_target = data.get("slo_target", slo_target)
        if "target" in data and entry.type.startswith("fault."):
            services.append(str(data["target"]))
        entries.append(entry)
    entries.sort(key=lambda e: e.time)
    impact = Impact(
        requests_failed=int(failed) if failed is not None else None,
        requests_total=int(total) if total is not None else None,
        budget_consumed=budget,
        slo_target=slo_target,
    )
    return JournalImport(
        path=source,
        format="pulsekit",
        title=title,
        entries=tuple(entries),
        milestones=_infer_milestones(entries, status),
        impact=impact,
        status=status,
        services=tuple(dict.fromkeys(services)),
        problems=tuple(problems),
        hypothesis=tuple(hypothesis),
        verdicts=tuple(verdicts),
    )


def _max(old: Any, new: Any) -> Any:
    if new is None:
        return old
    try:
        value = float(new)
    except (TypeError, ValueError):
        return old
    return value if old is None else max(old, value)


# ------------------------------------------------------------------------- Chaos Toolkit
_RECORD_START = re.compile(r'\{\s*"activity"\s*:')
_SECTION = re.compile(r'"(steady_states|before|after|during|run|rollbacks)"\s*:')


def _salvage_chaostoolkit(text: str, name: str) -> tuple[dict[str, Any], list[str]]:
    """Rebuild what can be read of a truncated journal.json: every complete activity record."""
    decoder = json.JSONDecoder()
    problems: list[str] = []
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        problems = [f"{name} is malformed or truncated at {where} ({exc.msg})"]
    sections = [(m.start(), m.group(1)) for m in _SECTION.finditer(text)]
    journal: dict[str, Any] = {"run": [], "rollbacks": [], "steady_states": {}}
    title = re.search(r'"title"\s*:\s*"((?:[^"\\]|\\.)*)"', text)
    if title:
        journal["experiment"] = {"title": json.loads(f'"{title.group(1)}"')}
    pos, kept = 0, 0
    while True:
        match = _RECORD_START.search(text, pos)
        if match is None:
            break
        try:
            record, end = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            problems.append(f"an activity record at character {match.start()} is cut off; skipped")
            break
        section = next((name for start, name in reversed(sections) if start < match.start()), "run")
        if section in ("before", "after"):
            phase = journal["steady_states"].setdefault(section, {"probes": []})
            phase["probes"].append(record)
        elif section == "during":
            journal["steady_states"].setdefault("during", []).append({"probes": [record]})
        else:
            journal["rollbacks" if section == "rollbacks" else "run"].append(record)
        kept += 1
        pos = end
    problems.append(
        f"read {kept} complete activity record(s); the run status, end time and anything after "
        "the cut are unknown"
    )
    return journal, problems


def _from_chaostoolkit(
    source: Path, journal: dict[str, Any], problems: list[str], now: datetime
) -> JournalImport:
    experiment = journal.get("experiment") or {}
    title = str(experiment.get("title") or source.stem)
    entries: list[TimelineEntry] = []

    def add(record: dict[str, Any], phase: str) -> None:
        activity = record.get("activity") or {}
        name = str(activity.get("name") or "unnamed activity")
        kind = str(activity.get("type") or "action")
        when_text = record.get("end") if phase == "rollback" else record.get("start")
        when_text = when_text or record.get("start") or record.get("end")
        if not when_text:
            problems.append(f"activity {name!r} has no start or end time; skipped")
            return
        try:
            when = utc(when_text)
        except ConfigError as exc:
            problems.append(f"activity {name!r}: {exc}; skipped")
            return
        if when > now + FUTURE_TOLERANCE:
            problems.append(f"activity {name!r} at {when_text} is in the future; skipped")
            return
        status = record.get("status")
        if status is None:
            problems.append(f"activity {name!r} was cut short (no status): the run was interrupted")
        data: dict[str, Any] = {"activity": name, "status": status, "phase": phase}
        if "tolerance_met" in record:
            data["tolerance_met"] = record["tolerance_met"]
        if record.get("exception"):
            data["exception"] = str(record["exception"][-1]).strip()[:300]
        if phase.startswith("steady-state"):
            met = record.get("tolerance_met")
            missed = met is False or status == "failed"
            etype = "threshold.failed" if missed else "probe"
            text = f"{phase}: probe {name} " + ("missed its tolerance" if missed else "ok")
        elif kind == "probe":
            etype, text = "probe", f"probe {name}: {status or 'cut short'}"
        elif phase == "rollback":
            etype, text = "fault.reverted", f"rollback {name}: {status or 'cut short'}"
        elif status == "failed":
            etype, text = "action.failed", f"action {name} failed"
        else:
            etype, text = "fault.applied", f"action {name}" + ("" if status else " (cut short)")
        entries.append(TimelineEntry(when, etype, text, source="chaostoolkit", data=data))

    states = journal.get("steady_states") or {}
    for phase in ("before", "after"):
        for record in (states.get(phase) or {}).get("probes", []):
            add(record, f"steady-state {phase}")
    for during in states.get("during") or []:
        for record in (during or {}).get("probes", []):
            add(record, "steady-state during")
    for record in journal.get("run") or []:
        add(record, "method")
    for record in journal.get("rollbacks") or []:
        add(record, "rollback")
    status = journal.get("status")
    entries.sort(key=lambda e: e.time)
    if journal.get("end") and status:
        deviated = bool(journal.get("deviated"))
        verdict = f"run {status}" + (", steady state deviated" if deviated else "")
        entries.append(
            TimelineEntry(
                utc(journal["end"]),
                "run.ended",
                verdict,
                source="chaostoolkit",
                data={"status": status, "deviated": deviated},
            )
        )
    return JournalImport(
        path=source,
        format="chaostoolkit",
        title=title,
        entries=tuple(entries),
        milestones=_infer_milestones(entries, status),
        impact=Impact(),
        status=status,
        deviated=journal.get("deviated"),
        problems=tuple(problems),
    )


# ------------------------------------------------------------------------- milestones
def _infer_milestones(
    entries: list[TimelineEntry], status: str | None
) -> dict[str, datetime | None]:
    found: dict[str, datetime | None] = dict.fromkeys(MILESTONES)
    for entry in entries:  # explicit milestone entries win
        if entry.type in MILESTONES and found[entry.type] is None:
            found[entry.type] = entry.time
    applied = [e.time for e in entries if e.type == "fault.applied"]
    if found["impact_started"] is None and applied:
        found["impact_started"] = applied[0]
    start = found["impact_started"]
    if found["detected"] is None and start is not None:
        found["detected"] = next(
            (e.time for e in entries if e.type in DETECTION_TYPES and e.time >= start), None
        )
    reverted = [e.time for e in entries if e.type == "fault.reverted"]
    if found["mitigated"] is None and reverted and start is not None and reverted[-1] >= start:
        found["mitigated"] = reverted[-1]
    ended = [e.time for e in entries if e.type in ("run.ended", "run.aborted", "run.interrupted")]
    if found["resolved"] is None and status == "completed" and ended and found["mitigated"]:
        found["resolved"] = ended[-1]
    return found


def incident_from_journal(
    path: str | Path,
    *,
    dir: str | Path | None = None,
    overwrite: bool = False,
    severity: str | int | Severity | None = None,
    id: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> tuple[Incident, JournalImport]:
    """An incident (kind ``gameday``) whose timeline, milestones and impact come from a journal."""
    imported = read_journal(path, clock=clock)
    ratio = imported.impact.failed_ratio
    sev = severity or (Severity.suggest(failed_ratio=ratio) if ratio is not None else Severity.SEV4)
    inc = Incident(
        imported.title,
        description=f"Imported from {imported.format} journal {imported.path.name}",
        severity=sev,
        services=imported.services,
        id=id,
        kind="gameday",
        dir=dir,
        overwrite=overwrite,
        reported_at=imported.started_at,
        clock=clock,
    )
    for entry in imported.entries:
        inc.add(entry)
    for name in MILESTONES:
        when = imported.milestones.get(name)
        if when is None:
            continue
        try:
            if name == "mitigated":
                inc.mitigated(at=when)
            elif name == "resolved":
                inc.resolved(at=when)
            else:
                getattr(inc, name)(at=when)
        except TransitionError as exc:
            warn_all([f"milestone {name} not set: {exc}"])
    inc.set_impact(**{k: v for k, v in imported.impact.to_json().items() if v is not None})
    return inc, imported
