"""Slack updates: Block Kit payloads, offline limit checks, transports (never the real network)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from pulsekit.errors import IncidentError
from pulsekit.incidents import (
    Incident,
    RecordingTransport,
    SlackPayloadError,
    WebhookTransport,
    check_payload,
    executive_summary,
    post,
    tactical_update,
)
from pulsekit.incidents.slack import payload_problems

from .conftest import FakeClock, drill


def test_tactical_update_has_fallback_text_and_can_sections(clock: FakeClock) -> None:
    """The payload carries a one-line fallback and Conditions/Actions/Needs sections."""
    inc = drill(None, clock)
    payload = tactical_update(
        inc,
        conditions="error rate back to 0.1%",
        actions=["ejected db-replica-1"],
        needs=None,
        number=3,
    )
    assert payload["text"] == "[SEV2] INC-1 closed: checkout errors"
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "section", "section", "section", "context"]
    texts = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert texts[0].startswith("*Conditions*") and "• ejected db-replica-1" in texts[1]
    assert "_none given_" in texts[2]
    facts = " ".join(f["text"] for f in payload["blocks"][1]["fields"])
    assert "*Commander*\nana" in facts and "*Impact so far*\n11m 00s" in facts
    assert payload["blocks"][-1]["elements"][0]["text"].startswith("Update 3")
    assert payload_problems(payload) == []


def test_executive_summary_uses_status_overview_next_steps(clock: FakeClock) -> None:
    """The executive variant swaps CAN for current status, overview and next steps."""
    payload = executive_summary(
        drill(None, clock),
        current_status="Mitigated",
        overview="One replica died.",
        next_steps=["Postmortem on Monday"],
    )
    sections = [
        b["text"]["text"] for b in payload["blocks"] if "text" in b and b["type"] == "section"
    ]
    assert [s.split("\n")[0] for s in sections] == [
        "*Current status*",
        "*Overview*",
        "*Next steps*",
    ]


def test_long_text_is_clipped_and_mrkdwn_is_escaped(clock: FakeClock) -> None:
    """Huge conditions are clipped to 3000 characters; <!channel> cannot ping anyone."""
    inc = Incident("x" * 400, clock=clock)
    payload = tactical_update(inc, conditions="<!channel> " + "y" * 5000, actions="a & b")
    header = payload["blocks"][0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…")
    conditions = payload["blocks"][2]["text"]["text"]
    assert len(conditions) == 3000 and "&lt;!channel&gt;" in conditions
    assert "a &amp; b" in payload["blocks"][3]["text"]["text"]


def test_limit_violations_are_listed_together() -> None:
    """51 blocks, an oversized section and a missing fallback are all reported at once."""
    blocks: list[dict[str, Any]] = [{"type": "divider"}] * 50
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "z" * 3001}})
    with pytest.raises(SlackPayloadError) as info:
        check_payload({"text": "", "blocks": blocks})
    message = str(info.value)
    assert "51 blocks, the limit is 50" in message
    assert "3001 characters, the limit is 3000" in message
    assert "fallback text is required" in message
    fields = [{"type": "mrkdwn", "text": "f"}] * 11
    assert payload_problems({"text": "t", "blocks": [{"type": "section", "fields": fields}]}) == [
        "blocks[0] (section): 11 fields, the limit is 10"
    ]


def test_post_sends_through_the_given_transport_and_notes_it(clock: FakeClock) -> None:
    """A fake transport receives the payload and the timeline records that an update went out."""
    inc = drill(None, clock)
    fake = RecordingTransport()
    payload = tactical_update(inc, conditions="ok", actions="none")
    post(payload, transport=fake, incident=inc)
    assert fake.sent == [payload]
    assert inc.timeline[-1].type == "update.posted"


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        answer = b"ok" if _Hook.status == 200 else b"channel_not_found"
        self.send_response(_Hook.status)
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    """A local stand-in for Slack's webhook endpoint on 127.0.0.1."""
    _Hook.received, _Hook.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/secret-token"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_webhook_transport_posts_json_from_the_env_url(
    hook: str, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """The URL comes from PULSEKIT_SLACK_WEBHOOK; the JSON payload arrives as sent."""
    monkeypatch.setenv("PULSEKIT_SLACK_WEBHOOK", hook)
    payload = tactical_update(drill(None, clock), conditions="ok", actions="none")
    transport = WebhookTransport()
    post(payload, transport=transport)
    assert _Hook.received == [payload]
    assert "secret-token" not in repr(transport)


def test_webhook_errors_never_show_the_secret_url(hook: str, clock: FakeClock) -> None:
    """A 404 from Slack raises IncidentError with Slack's answer but without the URL."""
    _Hook.status = 404
    transport = WebhookTransport(hook)
    with pytest.raises(IncidentError) as info:
        transport.send({"text": "t", "blocks": []})
    assert "404" in str(info.value) and "channel_not_found" in str(info.value)
    assert "secret-token" not in str(info.value) and info.value.__cause__ is None


def test_webhook_needs_a_url_and_https_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """No URL names the env var; plain http to a remote host is refused."""
    monkeypatch.delenv("PULSEKIT_SLACK_WEBHOOK", raising=False)
    with pytest.raises(IncidentError, match="PULSEKIT_SLACK_WEBHOOK"):
        WebhookTransport()
    with pytest.raises(IncidentError, match="https") as info:
        WebhookTransport("http://hooks.example.com/services/secret-token")
    assert "secret-token" not in str(info.value)
