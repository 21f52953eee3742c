"""The blameless-wording check."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulsekit.errors import IncidentError
from pulsekit.incidents import lint_file, lint_text

DOC = """# Postmortem

## Summary

The deploy was a human error: the operator should have checked the lag.
Obviously the replica was gone.
Ana broke the config push.

```
should have  # inside code: ignored
```

> TODO(authors): describe the trigger.

## Action Items

| Action Item | Type | Owner |
|---|---|---|
| Add an alert on replica lag | prevent | li |
| Better runbook for failover | process | ana |

- [ ] Document the failover steps
- maybe more tests
- AI-3: Automate the drill

## Lessons Learned

- better dashboards helped
"""


def test_each_rule_fires_on_its_wording() -> None:
    """Blame, counterfactuals, hindsight, names, verb-less items and prompts are found by line."""
    found = {(f.line, f.rule) for f in lint_text(DOC, people=["Ana"])}
    assert (5, "blame") in found and (5, "counterfactual") in found
    assert (6, "hindsight") in found
    assert (7, "blame") in found  # "Ana broke"
    assert (13, "todo") in found
    assert (20, "action-verb") in found  # "Better runbook"
    assert (23, "action-verb") in found  # "maybe more tests"
    assert not any(line in (10, 19, 22, 24, 28) for line, _ in found)


def test_messages_say_what_to_write_instead() -> None:
    """Each finding explains the better wording; prompts are reminders, not errors."""
    findings = lint_text("We failed to page.\n> TODO(authors): x\n")
    assert findings[0].rule == "counterfactual" and "why it made sense" in findings[0].message
    assert findings[0].is_error and not findings[1].is_error
    assert str(findings[0]).startswith("1:4: counterfactual")


def test_extra_verbs_extend_the_list(tmp_path: Path) -> None:
    """A team verb such as 'chaos-test' is accepted once added."""
    path = tmp_path / "pm.md"
    path.write_text("## Action items\n\n- Chaos-test the failover\n")
    assert [f.rule for f in lint_file(path)] == ["action-verb"]
    assert lint_file(path, extra_verbs=["chaos-test"]) == []
    with pytest.raises(IncidentError, match="does not exist"):
        lint_file(tmp_path / "missing.md")
