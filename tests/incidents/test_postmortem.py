"""Postmortem drafts from templates: sections, charts, prompts, overwrite protection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulsekit.errors import IncidentError
from pulsekit.incidents import IncidentWarning, lint_text, list_templates, render_postmortem

from .conftest import FakeClock, drill

SECTIONS = {
    "google-sre": [
        "## Summary",
        "## Impact",
        "## Root Causes",
        "## Trigger",
        "## Resolution",
        "## Detection",
        "## Action Items",
        "### What went well",
        "### What went wrong",
        "### Where we got lucky",
        "## Timeline",
    ],
    "pagerduty": [
        "## Overview",
        "## What Happened",
        "## Contributing Factors",
        "## Resolution",
        "## Impact",
        "## Responders",
        "## Timeline",
        "## How'd We Do?",
        "## Action Items",
        "## Messaging",
    ],
    "gameday": [
        "## Hypothesis",
        "## What we injected",
        "## What we observed",
        "## Impact",
        "## Timeline",
        "## Debrief",
        "## Action Items",
    ],
}


@pytest.mark.parametrize("template", list(SECTIONS))
def test_every_template_has_its_sections_in_order(template: str, clock: FakeClock) -> None:
    """Each template renders its reference structure, in order, with the incident's facts."""
    text = render_postmortem(drill(None, clock), template=template).markdown
    positions = [text.index(heading) for heading in SECTIONS[template]]
    assert positions == sorted(positions)
    assert "INC-1" in text and "120 of 5000 (2.4%)" in text
    assert "| Time to detect | 4m 00s |" in text
    assert "Add an alert on replica lag" in text


def test_known_facts_fill_sections_and_unknowns_become_prompts(clock: FakeClock) -> None:
    """Detection and resolution come from the record; root causes are left as marked prompts."""
    result = render_postmortem(drill(None, clock), template="google-sre")
    text = result.markdown
    assert "the api 5xx alert fired" in text and "the gateway ejected db-replica-1" in text
    root = text[text.index("## Root Causes") : text.index("## Trigger")]
    assert "> TODO(authors):" in root
    assert "- the gateway ejected the dead replica" in text
    assert result.prompts == text.count("TODO(authors)") > 0


def test_rendered_drafts_pass_the_blameless_check(clock: FakeClock) -> None:
    """Templates add no blame, counterfactual or verb-less action item of their own."""
    for template in SECTIONS:
        text = render_postmortem(drill(None, clock), template=template).markdown
        assert [f for f in lint_text(text) if f.is_error] == [], template


def test_writing_puts_the_chart_beside_the_markdown_and_never_overwrites(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The PNG is written next to the .md and linked; a second render needs force=True."""
    inc = drill(tmp_path / "inc", clock)
    out = tmp_path / "pm" / "postmortem.md"
    result = render_postmortem(tmp_path / "inc", out=out, clock=clock)
    chart = tmp_path / "pm" / "postmortem-timeline.png"
    assert result.charts == (chart,) and chart.read_bytes()[:4] == b"\x89PNG"
    assert "(postmortem-timeline.png)" in out.read_text()
    out.write_text("edited by the authors")
    with pytest.raises(IncidentError, match="--force"):
        render_postmortem(inc, out=out)
    assert out.read_text() == "edited by the authors"
    render_postmortem(inc, out=out, force=True)
    assert out.read_text().startswith("# checkout errors")


def test_unknown_template_lists_the_known_ones(clock: FakeClock) -> None:
    """A typo in the template name says which names exist."""
    with pytest.raises(IncidentError, match="google-sre, pagerduty, gameday"):
        render_postmortem(drill(None, clock), template="google")


def test_a_custom_template_file_can_reuse_the_macros(tmp_path: Path, clock: FakeClock) -> None:
    """A team's own .j2 file renders with the same context and shared macros."""
    mine = tmp_path / "ours.md.j2"
    mine.write_text(
        '{% import "_macros.md.j2" as m %}# {{ id }}\n{{ m.action_table(action_items) }}'
    )
    text = render_postmortem(drill(None, clock), template=str(mine)).markdown
    assert text.startswith("# INC-1") and "| Add an alert on replica lag | prevent |" in text
    broken = tmp_path / "broken.md.j2"
    broken.write_text("{{ no_such_field }}")
    with pytest.raises(IncidentError, match="no_such_field"):
        render_postmortem(drill(None, clock), template=str(broken))


def test_a_torn_journal_renders_what_is_readable_and_lists_the_gaps(tmp_path: Path) -> None:
    """Rendering a journal with a bad line warns and names the unreadable part in the draft."""
    journal = tmp_path / "journal.jsonl"
    rows = [
        {
            "time": "2026-11-27T10:00:00Z",
            "type": "fault.applied",
            "description": "killed api-2",
            "data": {"target": "api-2"},
        },
        {
            "time": "2026-11-27T10:00:30Z",
            "type": "threshold.failed",
            "description": "p95 over 500 ms",
        },
    ]
    journal.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"time": "2026-11-27T10:0')
    with pytest.warns(IncidentWarning):
        result = render_postmortem(journal, template="gameday")
    assert "killed api-2" in result.markdown and "- api-2" in result.markdown
    assert "could not be read" in result.markdown and "line 3: truncated" in result.markdown
    assert len(result.problems) == 1


def test_packaged_templates_match_the_top_level_folder() -> None:
    """postmortem_templates/ holds exactly the templates shipped inside the package."""
    top = Path(__file__).resolve().parents[2] / "postmortem_templates"
    packaged = next(iter(list_templates().values())).parent
    names = sorted(p.name for p in packaged.glob("*.j2"))
    assert names == sorted(p.name for p in top.glob("*.j2"))
    for name in names:
        assert (top / name).read_text() == (packaged / name).read_text(), name
