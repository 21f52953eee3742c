"""``pulsekit incident`` and ``pulsekit postmortem`` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pulsekit.cli import cli


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_an_incident_kept_from_the_command_line(tmp_path: Path) -> None:
    """new, note, mark and metrics --json work on one folder; --json prints one document."""
    folder = str(tmp_path / "inc")
    code, out, _ = _run(
        "incident",
        "new",
        "api down",
        "--dir",
        folder,
        "--severity",
        "SEV2",
        "--service",
        "api",
        "--commander",
        "ana",
        "--id",
        "INC-9",
        "--json",
    )
    assert code == 0 and json.loads(out)["severity"] == "SEV2"
    assert _run("incident", "note", folder, "api-2 killed", "--pin")[0] == 0
    assert _run("incident", "mark", folder, "detected", "--by", "alert")[0] == 0
    code, out, _ = _run("incident", "mark", folder, "mitigated")
    assert code == 0 and "status stable" in out
    code, out, _ = _run("incident", "metrics", folder, "--json")
    doc = json.loads(out)
    assert doc["incidents"][0]["id"] == "INC-9"
    assert doc["incidents"][0]["time_to_mitigate"] >= 0
    assert doc["incidents"][0]["time_to_acknowledge"] is None
    timeline = (tmp_path / "inc" / "timeline.jsonl").read_text()
    assert "api-2 killed" in timeline


def test_cli_refuses_to_overwrite_and_reports_order_errors(tmp_path: Path) -> None:
    """A second `new` in the same folder and an out-of-order milestone fail with a clean Error."""
    folder = str(tmp_path / "inc")
    assert _run("incident", "new", "api down", "--dir", folder)[0] == 0
    code, _, err = _run("incident", "new", "other", "--dir", folder)
    assert code != 0 and "already exists" in err and "Traceback" not in err
    assert _run("incident", "new", "other", "--dir", folder, "--force")[0] == 0
    assert _run("incident", "mark", folder, "resolved")[0] == 0
    code, _, err = _run("incident", "mark", folder, "detected")
    assert code != 0 and "is after" in err


def test_render_then_lint_a_draft(tmp_path: Path) -> None:
    """render writes the draft and chart; lint passes it but fails a blaming edit (exit 1)."""
    folder = str(tmp_path / "inc")
    _run("incident", "new", "api down", "--dir", folder)
    out = tmp_path / "pm.md"
    code, text, _ = _run(
        "postmortem", "render", folder, "--template", "pagerduty", "--out", str(out)
    )
    assert code == 0 and "pagerduty postmortem pm.md" in text
    assert (tmp_path / "pm-timeline.png").exists()
    code, _, err = _run("postmortem", "render", folder, "--out", str(out))
    assert code != 0 and "--force" in err
    code, text, _ = _run("postmortem", "lint", str(out), "--json")
    doc = json.loads(text)
    assert code == 0 and doc["ok"] and {f["rule"] for f in doc["findings"]} == {"todo"}
    assert _run("postmortem", "lint", str(out), "--strict")[0] == 1
    out.write_text(out.read_text() + "\nThe on-call engineer should have known.\n")
    code, text, _ = _run("postmortem", "lint", str(out))
    assert code == 1 and "counterfactual" in text


def test_render_to_stdout_and_unknown_template(tmp_path: Path) -> None:
    """Without --out the Markdown goes to stdout; an unknown template is a clean error."""
    folder = str(tmp_path / "inc")
    _run("incident", "new", "api down", "--dir", folder, "--id", "INC-5")
    code, text, _ = _run("postmortem", "render", folder)
    assert code == 0 and text.startswith("# api down: postmortem (INC-5)")
    code, _, err = _run("postmortem", "render", folder, "--template", "nope")
    assert code != 0 and "unknown postmortem template 'nope'" in err
    code, text, _ = _run("postmortem", "templates")
    assert code == 0 and "gameday" in text


def test_the_installed_command_exits_non_zero_on_blame(tmp_path: Path) -> None:
    """`python -m pulsekit postmortem lint` in a real process exits 1 and names the rule."""
    doc = tmp_path / "pm.md"
    doc.write_text("# PM\n\nIt was human error.\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pulsekit", "postmortem", "lint", str(doc)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and "blame" in proc.stdout


def test_render_a_torn_journal_warns_on_stderr(tmp_path: Path) -> None:
    """Rendering a journal with a torn last line succeeds and names the skipped line on stderr."""
    journal = tmp_path / "run.jsonl"
    row = {"time": "2026-11-27T10:00:00Z", "type": "fault.applied", "description": "killed api-2"}
    journal.write_text(json.dumps(row) + '\n{"time": "2026-11-27T10:0')
    code, out, err = _run("postmortem", "render", str(journal), "--template", "gameday")
    assert code == 0 and "killed api-2" in out
    assert "warning: run.jsonl line 2: truncated" in err


def test_a_note_in_the_future_is_refused(tmp_path: Path) -> None:
    """`incident note --at` a future time fails cleanly and appends nothing."""
    folder = tmp_path / "inc"
    _run("incident", "new", "api down", "--dir", str(folder))
    before = (folder / "timeline.jsonl").read_text()
    code, _, err = _run("incident", "note", str(folder), "later", "--at", "2999-01-01T00:00:00Z")
    assert code != 0 and "in the future" in err
    assert (folder / "timeline.jsonl").read_text() == before
