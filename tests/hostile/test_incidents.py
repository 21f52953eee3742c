"""Incident files under concurrent writers, bad bytes and umask: nothing lost, nothing shown raw."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pulsekit.errors import IncidentError
from pulsekit.incidents import Incident
from tests.hostile.conftest import one_line_error, pulsekit

TASKER = """
import sys
from pulsekit.incidents import Incident
for i in range(int(sys.argv[3])):
    Incident.load(sys.argv[1]).add_action_item(f"Fix {sys.argv[2]} item {i}", owner="x")
"""


def test_concurrent_writers_never_lose_a_record_update(tmp_path: Path) -> None:
    """Two processes each adding 30 action items to one incident leave all 60 in incident.json."""
    folder = tmp_path / "two"
    Incident("race", dir=folder)
    writers = [
        subprocess.Popen([sys.executable, "-c", TASKER, str(folder), who, "30"])
        for who in ("A", "B")
    ]
    for proc in writers:
        assert proc.wait(timeout=120) == 0
    record = json.loads((folder / "incident.json").read_text())
    assert len(record["tasks"]) == 60
    assert len({t["id"] for t in record["tasks"]}) == 60
    assert len(Incident.load(folder).action_items) == 60


def test_one_object_keeps_up_with_changes_made_by_another(tmp_path: Path) -> None:
    """An Incident loaded earlier sees another writer's change before it saves its own."""
    first = Incident("stale", dir=tmp_path / "inc")
    Incident.load(tmp_path / "inc").add_action_item("Add an alert", owner="a")
    first.add_action_item("Add a runbook", owner="b")
    assert len(Incident.load(tmp_path / "inc").action_items) == 2


def test_invalid_utf8_in_an_incident_file_is_a_one_line_error(tmp_path: Path) -> None:
    """incident.json or a postmortem with invalid UTF-8 raise IncidentError, and the CLI one line."""
    folder = tmp_path / "three"
    Incident("bytes", dir=folder)
    (folder / "incident.json").write_bytes(b"\xff\xfe garbage")
    with pytest.raises(IncidentError, match="not UTF-8"):
        Incident.load(folder)
    assert "incident.json" in one_line_error(pulsekit("incident", "metrics", str(folder)))
    postmortem = tmp_path / "pm.md"
    postmortem.write_bytes(b"# Postmortem\n\xff\xfe\n")
    from pulsekit.incidents.lint import lint_file

    with pytest.raises(IncidentError, match="not UTF-8"):
        lint_file(postmortem)


def test_incident_files_are_private_whatever_writes_them(tmp_path: Path) -> None:
    """incident.json, timeline.jsonl (appended) and the postmortem are all 0600 under umask 022."""
    old = os.umask(0o022)
    try:
        folder = tmp_path / "perm"
        inc = Incident("perm", dir=folder)
        inc.note("db latency up")
        result = pulsekit("postmortem", "render", str(folder), "--out", str(folder / "pm.md"))
        assert result.returncode == 0, result.stderr
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if p.is_file()}
    assert modes["timeline.jsonl"] == 0o600
    assert {modes["incident.json"], modes["pm.md"]} == {0o600}


def test_invalid_utf8_in_a_timeline_is_kept_but_reported(tmp_path: Path) -> None:
    """A timeline line with a bad byte loads (shown as U+FFFD) and says so in an IncidentWarning."""
    from pulsekit.incidents import IncidentWarning

    folder = tmp_path / "tl"
    Incident("tl", dir=folder)
    with (folder / "timeline.jsonl").open("ab") as fh:
        fh.write(b'{"time": "2026-01-01T00:00:00Z", "type": "note", "description": "x\xffy"}\n')
    with pytest.warns(IncidentWarning, match="invalid UTF-8"):
        inc = Incident.load(folder)
    assert any("\ufffd" in e.description for e in inc.timeline)
