"""``pulsekit incident ...`` and ``pulsekit postmortem ...``: records, notes, metrics, drafts, lint."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import click

_MILESTONE_CHOICES = ("impact-started", "detected", "acknowledged", "mitigated", "resolved")


@click.group()
def incident() -> None:
    """Keep an incident record and its timeline in a folder; measure incidents."""


@incident.command("new")
@click.argument("title")
@click.option("--dir", "folder", required=True, type=click.Path(file_okay=False), help="Folder.")
@click.option("--severity", default="SEV3", show_default=True, help="SEV1 (worst) .. SEV5.")
@click.option("--priority", default="medium", show_default=True, help="high, medium or low.")
@click.option("--service", "services", multiple=True, help="Affected service (repeatable).")
@click.option("--description", default="", help="What is known so far.")
@click.option("--commander", default=None, help="Incident commander.")
@click.option("--id", "incident_id", default=None, help="Incident id (default INC-<date>-<hex>).")
@click.option("--force", is_flag=True, help="Replace an existing record in DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def new(
    title: str,
    folder: str,
    severity: str,
    priority: str,
    services: tuple[str, ...],
    description: str,
    commander: str | None,
    incident_id: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Open an incident titled TITLE, kept in --dir."""
    from pulsekit.incidents.record import Incident

    inc = Incident(
        title,
        description=description,
        severity=severity,
        priority=priority,
        services=services,
        id=incident_id,
        dir=folder,
        overwrite=force,
    )
    if commander:
        inc.assign(commander=commander)
    if as_json:
        click.echo(json.dumps(inc.to_json()))
    else:
        click.echo(f"{inc.id} opened in {folder} ({inc.severity.name}, priority {inc.priority})")


@incident.command("note")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.argument("text")
@click.option("--owner", default=None, help="Who noted it.")
@click.option("--pin", is_flag=True, help="Mark it as a highlight.")
@click.option("--at", default=None, help="When it happened (ISO-8601, UTC if no zone).")
def note(folder: str, text: str, owner: str | None, pin: bool, at: str | None) -> None:
    """Append TEXT to the timeline of the incident in FOLDER."""
    from pulsekit.incidents.record import Incident

    entry = Incident.load(folder).note(text, owner=owner, pinned=pin, at=at)
    click.echo(f"noted at {entry.time:%H:%M:%S} UTC")


@incident.command("mark")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.argument("milestone", type=click.Choice(_MILESTONE_CHOICES))
@click.option("--at", default=None, help="When it happened (ISO-8601, default now).")
@click.option("--by", default=None, help="Who or what (detected, acknowledged).")
def mark(folder: str, milestone: str, at: str | None, by: str | None) -> None:
    """Record a MILESTONE (mitigated makes it stable, resolved closes it)."""
    from pulsekit.incidents.record import Incident

    inc = Incident.load(folder)
    name = milestone.replace("-", "_")
    if name in ("detected", "acknowledged"):
        getattr(inc, name)(at=at, by=by)
    else:
        getattr(inc, name)(at=at)
    click.echo(f"{inc.id}: {milestone} recorded; status {inc.status.value}")


@incident.command("metrics")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def metrics(folder: str, as_json: bool) -> None:
    """Time to detect/acknowledge/mitigate/resolve of one incident folder or a folder of them."""
    from pulsekit.incidents.metrics import metrics_table

    table = metrics_table(folder)
    if as_json:
        frame = table.df[["id", "title", "severity", "service", "status", *_metric_names()]]
        records = json.loads(frame.to_json(orient="records"))
        click.echo(json.dumps({"incidents": records, "by_severity": _by(table)}))
    else:
        click.echo(table.summary())


def _metric_names() -> list[str]:
    from pulsekit.incidents.metrics import METRICS

    return list(METRICS)


def _by(table: object) -> list[dict[str, object]]:
    from pulsekit.incidents.metrics import MetricsTable

    assert isinstance(table, MetricsTable)
    return list(json.loads(table.by("severity").to_json(orient="records")))


@click.group()
def postmortem() -> None:
    """Draft postmortems from templates and check their wording."""


@postmortem.command("render")
@click.argument("source", type=click.Path(exists=True))
@click.option(
    "--template",
    default="google-sre",
    show_default=True,
    help="google-sre, pagerduty, gameday, or a .j2 file.",
)
@click.option(
    "--out",
    default=None,
    type=click.Path(dir_okay=False),
    help="Markdown file to write (the chart goes beside it); default: stdout.",
)
@click.option("--force", is_flag=True, help="Replace existing files.")
def render(source: str, template: str, out: str | None, force: bool) -> None:
    """Render a draft from SOURCE: an incident folder, a journal.json or a JSON-lines journal."""
    from pulsekit.incidents._store import IncidentWarning
    from pulsekit.incidents.postmortem import render_postmortem

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IncidentWarning)
        result = render_postmortem(source, template=template, out=out, force=force)
    for warning in caught:
        if issubclass(warning.category, IncidentWarning):
            click.echo(f"warning: {warning.message}", err=True)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if out is None:
        click.echo(result.markdown, nl=False)
    else:
        click.echo(result.summary())


@postmortem.command("lint")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--person", "people", multiple=True, help="A responder's name to watch for.")
@click.option("--strict", is_flag=True, help="Fail on open TODO(authors) prompts too.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def lint(file: str, people: tuple[str, ...], strict: bool, as_json: bool) -> None:
    """Check FILE for blame, counterfactuals and action items without a verb (exit 1 if any)."""
    from pulsekit.incidents.lint import lint_file

    findings = lint_file(file, people=people)
    failing = [f for f in findings if f.is_error or strict]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": str(Path(file)),
                    "ok": not failing,
                    "findings": [
                        {"line": f.line, "column": f.column, "rule": f.rule, "message": f.message}
                        for f in findings
                    ],
                }
            )
        )
    else:
        for finding in findings:
            click.echo(f"{file}:{finding}")
        prompts = sum(1 for f in findings if f.rule == "todo")
        click.echo(f"{len(findings) - prompts} wording problem(s), {prompts} open prompt(s)")
    if failing:
        raise SystemExit(1)


@postmortem.command("templates")
def templates() -> None:
    """List the bundled templates."""
    from pulsekit.incidents.postmortem import list_templates

    for name, path in list_templates().items():
        click.echo(f"{name:12s} {path.name}")
