"""``make demo``: the flagship GameDay through the engine prints its before/after answer from each
window's merged histograms and leaves a journal, a report and a draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulsekit.demo import main
from pulsekit.gameday import read_events

pytestmark = pytest.mark.integration

SHORT = {
    "load.users": 40,
    "load.spawn_rate": 40,
    "load.think_time": [0.2, 0.5],
    "duration": "10s",
    "windows": {"baseline": [1, 4], "fault": [6, 10]},
    "steps.0.at": "4s",
}


def test_demo_answers_the_replica_loss_question(tmp_path: Path) -> None:
    """A short flagship run kills the replica mid-load, prints the comparison with its windows."""
    lines: list[str] = []
    assert main(lines.append, params=SHORT, out_dir=tmp_path) == 0
    text = "\n".join(lines)
    assert "before the kill" in text and "after the kill" in text
    assert "answer: losing db-replica-1 under 40 dashboard users moved p95 from" in text
    assert "(window 1-4 s)" in text and "(window 6-10 s)" in text
    events = read_events(tmp_path / "journal.jsonl")
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] in ("run.ended", "run.aborted")
    assert types.index("fault.applied") < types.index("fault.reverted")
    run = next(e for e in events if e["type"] == "measurement" and e["data"]["window"] == "run")
    assert run["data"]["requests_total"] > 0
    draft = (tmp_path / "postmortem.md").read_text()
    assert "db-replica-1" in draft and "TODO(authors)" in draft
    assert (tmp_path / "load.png").stat().st_size > 0
    assert (tmp_path / "report.md").read_text().count("| fault | 6–10 s |") == 1
