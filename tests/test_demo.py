"""``make demo``: the replica-loss GameDay prints its before/after answer and leaves a journal and a draft."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulsekit.demo import Plan, main

pytestmark = pytest.mark.integration


def test_demo_answers_the_replica_loss_question(tmp_path: Path) -> None:
    """A short run kills the replica mid-load, prints the comparison, and writes journal + postmortem."""
    lines: list[str] = []
    plan = Plan(
        users=40, spawn_rate=40, think_time=(0.2, 0.5), duration_s=8, kill_at_s=4, out_dir=tmp_path
    )
    assert main(lines.append, plan) == 0
    text = "\n".join(lines)
    assert "before the kill" in text and "after the kill" in text
    assert "answer: losing db-replica-1 under 40 dashboard users" in text
    events = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] == "run.ended"
    assert types.index("fault.applied") < types.index("fault.reverted")
    measurement = next(e for e in events if e["type"] == "measurement")
    assert measurement["data"]["requests_total"] > 0
    draft = (tmp_path / "postmortem.md").read_text()
    assert "db-replica-1" in draft and "TODO(authors)" in draft
    assert (tmp_path / "load.png").stat().st_size > 0
