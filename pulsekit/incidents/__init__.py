"""Incident management: records and timelines, metrics, Slack updates, postmortems from templates."""

from __future__ import annotations

from pulsekit.errors import SlackPayloadError
from pulsekit.incidents._store import IncidentWarning
from pulsekit.incidents.journal import JournalImport, incident_from_journal, read_journal
from pulsekit.incidents.lint import Finding, lint_file, lint_text
from pulsekit.incidents.metrics import (
    IncidentCost,
    IncidentMetrics,
    MetricsTable,
    cost,
    human_duration,
    load_folder,
    metrics_table,
)
from pulsekit.incidents.model import (
    ActionType,
    Impact,
    Priority,
    Role,
    RoleAssignment,
    Severity,
    Status,
    Task,
    TimelineEntry,
)
from pulsekit.incidents.postmortem import Postmortem, list_templates, render_postmortem
from pulsekit.incidents.record import Incident
from pulsekit.incidents.slack import (
    PrintTransport,
    RecordingTransport,
    WebhookTransport,
    check_payload,
    executive_summary,
    post,
    tactical_update,
)

__all__ = [
    "ActionType",
    "Finding",
    "Impact",
    "Incident",
    "IncidentCost",
    "IncidentMetrics",
    "IncidentWarning",
    "JournalImport",
    "MetricsTable",
    "Postmortem",
    "PrintTransport",
    "Priority",
    "RecordingTransport",
    "Role",
    "RoleAssignment",
    "Severity",
    "SlackPayloadError",
    "Status",
    "Task",
    "TimelineEntry",
    "WebhookTransport",
    "check_payload",
    "cost",
    "executive_summary",
    "human_duration",
    "incident_from_journal",
    "lint_file",
    "lint_text",
    "list_templates",
    "load_folder",
    "metrics_table",
    "post",
    "read_journal",
    "render_postmortem",
    "tactical_update",
]
