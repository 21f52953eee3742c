"""Incident updates as Slack Block Kit payloads, checked offline, sent through an injectable transport.

>>> payload = tactical_update(inc, conditions="...", actions="...", needs="...")  # doctest: +SKIP
>>> post(payload, transport=RecordingTransport())                                # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pulsekit._util import is_loopback
from pulsekit.errors import IncidentError, SlackPayloadError
from pulsekit.incidents.metrics import human_duration
from pulsekit.incidents.model import iso

if TYPE_CHECKING:
    from pulsekit.incidents.record import Incident

WEBHOOK_ENV = "PULSEKIT_SLACK_WEBHOOK"

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_TEXT = 40_000  # the top-level fallback text


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so mrkdwn never pings ``<!channel>`` or links by accident."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lines(value: str | Iterable[str] | None) -> str:
    if value is None:
        return "_none given_"
    if isinstance(value, str):
        return escape(value) or "_none given_"
    items = [f"• {escape(v)}" for v in value]
    return "\n".join(items) or "_none given_"


def _header(incident: Incident, label: str) -> dict[str, Any]:
    text = f"{label}: [{incident.severity.name}] {incident.id} {incident.status.value} · {incident.title}"
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(text, MAX_HEADER)}}


def _facts(incident: Incident, now: datetime) -> dict[str, Any]:
    start = incident.milestones.get("impact_started") or incident.reported_at
    end = incident.milestones.get("mitigated") or now
    facts = {
        "Status": incident.status.value,
        "Severity": incident.severity.name,
        "Priority": incident.priority.value,
        "Commander": incident.commander or "unassigned",
        "Services": ", ".join(incident.services) or "unknown",
        "Impact so far": human_duration((end - start).total_seconds()),
    }
    fields = [
        {"type": "mrkdwn", "text": _clip(f"*{k}*\n{escape(v)}", MAX_FIELD_TEXT)}
        for k, v in facts.items()
    ]
    return {"type": "section", "fields": fields}


def _section(title: str, body: str) -> dict[str, Any]:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _clip(f"*{title}*\n{body}", MAX_SECTION_TEXT)},
    }


def _context(incident: Incident, now: datetime, number: int | None) -> dict[str, Any]:
    due = now + timedelta(hours=incident.priority.update_every_hours)
    parts = [f"Update {number}" if number else "Update", f"next update due {iso(due)}"]
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}]}


def tactical_update(
    incident: Incident,
    *,
    conditions: str | Iterable[str],
    actions: str | Iterable[str],
    needs: str | Iterable[str] | None = None,
    number: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A tactical update for responders: Conditions, Actions, Needs (the CAN format)."""
    sections = {"Conditions": conditions, "Actions": actions, "Needs": needs}
    return _update(incident, "Tactical update", sections, incident.title, number, now)


def executive_summary(
    incident: Incident,
    *,
    current_status: str,
    overview: str,
    next_steps: str | Iterable[str],
    number: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """An executive summary for stakeholders: Current status, Overview, Next steps."""
    sections = {"Current status": current_status, "Overview": overview, "Next steps": next_steps}
    return _update(incident, "Executive summary", sections, current_status, number, now)


def _update(
    incident: Incident,
    kind: str,
    sections: Mapping[str, str | Iterable[str] | None],
    headline: str,
    number: int | None,
    now: datetime | None,
) -> dict[str, Any]:
    """A checked payload: header, facts, one section per heading, context; ``headline`` as text."""
    when = now or incident.now()
    blocks = [
        _header(incident, kind),
        _facts(incident, when),
        *(_section(title, _lines(body)) for title, body in sections.items()),
        _context(incident, when, number),
    ]
    text = f"[{incident.severity.name}] {incident.id} {incident.status.value}: {headline}"
    payload = {"text": _clip(text, MAX_TEXT), "blocks": blocks}
    check_payload(payload)
    return payload


def payload_problems(payload: dict[str, Any]) -> list[str]:
    """Every Block Kit limit the payload breaks (empty when it is valid)."""
    problems: list[str] = []
    text = payload.get("text")
    blocks = payload.get("blocks", [])
    if not text:
        problems.append("text: a fallback text is required for notifications and screen readers")
    elif len(text) > MAX_TEXT:
        problems.append(f"text: {len(text)} characters, the limit is {MAX_TEXT}")
    if not isinstance(blocks, list):
        return [*problems, "blocks: must be a list"]
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"blocks: {len(blocks)} blocks, the limit is {MAX_BLOCKS}")
    for i, block in enumerate(blocks):
        kind = block.get("type")
        where = f"blocks[{i}] ({kind})"
        if kind == "header":
            obj = block.get("text") or {}
            if obj.get("type") != "plain_text":
                problems.append(f"{where}: text must be plain_text")
            if len(obj.get("text", "")) > MAX_HEADER:
                problems.append(
                    f"{where}: {len(obj['text'])} characters, the limit is {MAX_HEADER}"
                )
        elif kind == "section":
            obj = block.get("text")
            fields = block.get("fields") or []
            if obj is None and not fields:
                problems.append(f"{where}: needs text or fields")
            if obj is not None and len(obj.get("text", "")) > MAX_SECTION_TEXT:
                problems.append(
                    f"{where}: text has {len(obj['text'])} characters, the limit is {MAX_SECTION_TEXT}"
                )
            if len(fields) > MAX_FIELDS:
                problems.append(f"{where}: {len(fields)} fields, the limit is {MAX_FIELDS}")
            for j, item in enumerate(fields):
                if len(item.get("text", "")) > MAX_FIELD_TEXT:
                    problems.append(f"{where}: fields[{j}] is over {MAX_FIELD_TEXT} characters")
        elif kind == "context":
            if len(block.get("elements", [])) > MAX_CONTEXT_ELEMENTS:
                problems.append(f"{where}: more than {MAX_CONTEXT_ELEMENTS} elements")
        elif kind not in ("divider", "actions", "image", "rich_text"):
            problems.append(f"{where}: unknown block type")
    return problems


def check_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the payload, or raise :class:`SlackPayloadError` listing every broken limit."""
    problems = payload_problems(payload)
    if problems:
        raise SlackPayloadError("Slack payload breaks Block Kit limits: " + "; ".join(problems))
    return payload


# ------------------------------------------------------------------------- transports
class Transport(Protocol):
    """Anything that delivers a payload (a webhook, a fake in tests, a printer in a notebook)."""

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver the payload or raise :class:`IncidentError`."""


@dataclass
class RecordingTransport:
    """Keeps every payload in ``sent`` (for tests and dry runs); never touches the network."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, payload: dict[str, Any]) -> None:
        """Record the payload."""
        self.sent.append(payload)


class PrintTransport:
    """Prints the fallback text and each block's text: what the channel would show."""

    def send(self, payload: dict[str, Any]) -> None:
        """Print the payload readably."""
        print(f"--> Slack: {payload['text']}")
        for block in payload.get("blocks", []):
            if block.get("type") == "header":
                print(f"  # {block['text']['text']}")
            elif block.get("type") == "section" and block.get("text"):
                print("  " + block["text"]["text"].replace("\n", "\n  "))
            elif block.get("type") == "section":
                print("  " + " | ".join(f["text"].replace("\n", " ") for f in block["fields"]))


class WebhookTransport:
    """POSTs to a Slack incoming webhook whose URL comes from ``$PULSEKIT_SLACK_WEBHOOK``.

    The URL is a secret: it never appears in reprs, logs or error messages.
    """

    def __init__(self, url: str | None = None, *, env: str = WEBHOOK_ENV, timeout: float = 10.0):
        value = url or os.environ.get(env, "")
        if not value:
            raise IncidentError(f"no Slack webhook: set ${env} or pass url=")
        scheme, _, rest = value.partition("://")
        host = rest.split("/", 1)[0].rsplit(":", 1)[0]
        if scheme != "https" and not (scheme == "http" and is_loopback(host)):
            raise IncidentError(f"the Slack webhook in ${env} must be an https:// URL")
        if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
            # typical of a value pasted from a secret store; never echo it, it is the secret
            raise IncidentError(
                f"the Slack webhook in ${env} contains a space or control character; "
                "copy the URL again without surrounding text or line breaks"
            )
        self._url = value
        self._env = env
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"WebhookTransport(url=<from ${self._env}, hidden>)"

    def send(self, payload: dict[str, Any]) -> None:
        """POST the payload as JSON; a non-200 answer raises IncidentError (URL not shown)."""
        import http.client
        import urllib.error
        import urllib.request

        body = json.dumps(payload).encode()
        try:
            request = urllib.request.Request(
                self._url, data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
                answer = response.read(200).decode(errors="replace")
        except urllib.error.HTTPError as exc:
            answer = exc.read(200).decode(errors="replace")
            raise IncidentError(
                f"Slack webhook answered {exc.code} {answer.strip()!r}; check the webhook in ${self._env}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise IncidentError(
                f"Slack webhook unreachable ({type(reason).__name__}); check ${self._env} and the network"
            ) from None
        except (ValueError, http.client.HTTPException) as exc:
            # http.client.InvalidURL and friends quote the URL: name only the kind of error
            raise IncidentError(
                f"the Slack webhook in ${self._env} is not a valid URL ({type(exc).__name__}); "
                "copy it again from Slack"
            ) from None
        if status != 200:
            raise IncidentError(f"Slack webhook answered {status} {answer.strip()!r}")


def post(
    payload: dict[str, Any], *, transport: Transport | None = None, incident: Incident | None = None
) -> None:
    """Check and send a payload (default transport: the webhook from the environment).

    With ``incident``, an ``update.posted`` entry is added to its timeline.
    """
    check_payload(payload)
    (transport or WebhookTransport()).send(payload)
    if incident is not None:
        incident.note(f"Update posted: {payload['text']}", source="pulsekit", type="update.posted")
