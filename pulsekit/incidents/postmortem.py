"""Postmortem drafts from Jinja2 Markdown templates, filled from an incident or a GameDay journal.

What the data cannot know is left as ``> TODO(authors): ...`` prompts; charts are PNG files beside
the Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pulsekit._util import atomic_write
from pulsekit.errors import IncidentError
from pulsekit.incidents._chart import save_timeline_chart
from pulsekit.incidents._store import RECORD_FILE
from pulsekit.incidents.journal import JournalImport, incident_from_journal
from pulsekit.incidents.metrics import METRICS, human_duration
from pulsekit.incidents.model import iso
from pulsekit.incidents.record import NARRATIVE_FIELDS, Incident

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATES = {
    "google-sre": "google_sre.md.j2",
    "pagerduty": "pagerduty.md.j2",
    "gameday": "gameday.md.j2",
}
"""Template name -> file in ``pulsekit/incidents/templates`` (copied in ``postmortem_templates/``)."""
SIGNAL_TYPES = ("threshold.failed", "slo.breach", "slo.alert", "guard.tripped")
"""Timeline entry types listed as signals that fired."""


@dataclass(frozen=True)
class Postmortem:
    """A rendered draft: its Markdown, where it was written, its charts and the data gaps."""

    markdown: str
    template: str
    path: Path | None = None
    charts: tuple[Path, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def prompts(self) -> int:
        """How many ``TODO(authors)`` prompts are left for the authors."""
        return self.markdown.count("TODO(authors)")

    def summary(self) -> str:
        """One line: template, file, prompts left, unreadable parts."""
        where = self.path.name if self.path else "(not written)"
        return (
            f"{self.template} postmortem {where}: {self.prompts} prompts for the authors, "
            f"{len(self.charts)} chart(s), {len(self.problems)} unreadable part(s) of the input"
        )


def todo(text: str) -> str:
    """A prompt for the authors, easy to find and checked by ``pulsekit postmortem lint``."""
    return f"> TODO(authors): {text}"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _template_path(template: str) -> tuple[str, Path]:
    if template in TEMPLATES:
        return template, TEMPLATE_DIR / TEMPLATES[template]
    path = Path(template)
    if path.suffix == ".j2" and path.is_file():
        return path.stem, path
    raise IncidentError(
        f"unknown postmortem template {template!r}; use one of {', '.join(TEMPLATES)} "
        "or the path of your own .j2 file"
    )


def postmortem_context(
    incident: Incident, *, journal: JournalImport | None = None, chart: str | None = None
) -> dict[str, Any]:
    """Everything a template can use (documented in docs/incidents.md)."""
    ms = incident.milestones
    entries = incident.timeline
    origin = ms.get("impact_started") or (entries[0].time if entries else incident.reported_at)

    def rel(when: datetime) -> str:
        seconds = round((when - origin).total_seconds())
        return ("T+" if seconds >= 0 else "T-") + human_duration(abs(seconds))

    timeline = [
        {
            "time": e.time.strftime("%H:%M:%S"),
            "date": e.time.strftime("%Y-%m-%d"),
            "relative": rel(e.time),
            "description": _cell(e.description),
            "type": e.type,
            "source": e.source,
            "owner": e.owner or "",
            "pinned": e.pinned,
        }
        for e in entries
    ]
    metrics = incident.metrics().as_dict()
    impact = incident.impact
    cost = incident.cost()
    people: dict[str, list[str]] = {}
    for role in incident.roles:
        people.setdefault(role.role.value, [])
        if role.person not in people[role.role.value]:
            people[role.role.value].append(role.person)
    detection_entry = next((e for e in entries if e.type == "detected"), None)
    fault_targets = sorted(
        {
            str(e.data.get("target") or e.data.get("activity"))
            for e in entries
            if e.type == "fault.applied"
        }
    )
    return {
        "incident": incident,
        "id": incident.id,
        "title": incident.title,
        "kind": incident.kind,
        "severity": incident.severity.name,
        "priority": incident.priority.value,
        "status": incident.status.value,
        "services": list(incident.services),
        "description": incident.description,
        "date": incident.reported_at.strftime("%Y-%m-%d"),
        "reported_at": iso(incident.reported_at),
        "milestones": {k: (v.strftime("%H:%M:%S") if v else None) for k, v in ms.items()},
        "metrics": {k: human_duration(v) for k, v in metrics.items()},
        "metrics_known": {k: v is not None for k, v in metrics.items()},
        "metric_names": list(METRICS),
        "impact": {
            "duration": human_duration(metrics["impact_duration"]),
            "requests_failed": impact.requests_failed,
            "requests_total": impact.requests_total,
            "failed_percent": None
            if impact.failed_ratio is None
            else round(100 * impact.failed_ratio, 2),
            "budget_percent": None
            if impact.slo_budget_consumed is None
            else round(100 * impact.slo_budget_consumed, 1),
            "users_affected": impact.users_affected,
            "lost_revenue": None if impact.lost_revenue is None else round(impact.lost_revenue, 2),
        },
        "narrative": {k: incident.narrative.get(k, "") for k in NARRATIVE_FIELDS},
        "lessons": incident.lessons,
        "action_items": [t for t in incident.action_items],
        "tasks": [t for t in incident.tasks],
        "people": people,
        "responder_hours": {k: round(v, 2) for k, v in cost.hours_by_role.items()},
        "timeline": timeline,
        "pinned": [row for row in timeline if row["pinned"]],
        "detection_entry": detection_entry.description if detection_entry else None,
        "faults": [t for t in fault_targets if t != "None"],
        "signals": [row for row in timeline if row["type"] in SIGNAL_TYPES],
        "hypothesis": list(journal.hypothesis) if journal else [],
        "verdicts": list(journal.verdicts) if journal else [],
        "journal": journal,
        "journal_status": journal.status if journal else None,
        "deviated": journal.deviated if journal else None,
        "problems": list(journal.problems) if journal else [],
        "chart": chart,
    }


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATE_DIR)]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML
    )
    env.globals["todo"] = todo
    env.filters["cell"] = _cell
    return env


def _load_source(
    source: Incident | str | Path, clock: Callable[[], datetime] | None
) -> tuple[Incident, JournalImport | None]:
    if isinstance(source, Incident):
        return source, None
    path = Path(source)
    if path.is_dir() or path.name == RECORD_FILE:
        return Incident.load(path, clock=clock), None
    return incident_from_journal(path, clock=clock)


def render_postmortem(
    source: Incident | str | Path,
    *,
    template: str = "google-sre",
    out: str | Path | None = None,
    force: bool = False,
    chart: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> Postmortem:
    """Render a postmortem draft from an incident, an incident folder or a GameDay journal.

    With ``out``, the Markdown is written there (and the timeline chart beside it as
    ``<name>-timeline.png``); existing files are kept unless ``force=True``.
    """
    import jinja2

    name, path = _template_path(template)
    incident, journal = _load_source(source, clock)
    target = Path(out) if out is not None else None
    chart_path = target.with_name(f"{target.stem}-timeline.png") if target and chart else None
    if target is not None and not force:
        for existing in (target, chart_path):
            if existing is not None and existing.exists():
                raise IncidentError(
                    f"{existing} exists; pass force=True (CLI: --force) to replace it"
                )
    env = _environment()
    try:
        if path.parent == TEMPLATE_DIR:
            tmpl = env.get_template(path.name)
        else:
            tmpl = env.from_string(path.read_text(encoding="utf-8"))
        context = postmortem_context(
            incident, journal=journal, chart=chart_path.name if chart_path else None
        )
        markdown = re.sub(r"\n{3,}", "\n\n", tmpl.render(**context)).strip() + "\n"
    except jinja2.TemplateError as exc:
        raise IncidentError(f"template {name!r} failed to render: {exc}") from exc
    charts: list[Path] = []
    if target is not None:
        if chart_path is not None:
            charts.append(save_timeline_chart(incident, chart_path))
        atomic_write(target, markdown)
    return Postmortem(
        markdown=markdown,
        template=name,
        path=target,
        charts=tuple(charts),
        problems=tuple(journal.problems) if journal else (),
    )


def list_templates() -> dict[str, Path]:
    """Template name -> packaged file."""
    return {name: TEMPLATE_DIR / file for name, file in TEMPLATES.items()}
