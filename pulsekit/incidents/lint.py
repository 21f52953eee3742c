"""A blameless-wording check for postmortems: blame, counterfactuals, and verb-less action items.

>>> [f.rule for f in lint_text("The operator should have known.")]
['counterfactual']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pulsekit.errors import IncidentError

BLAME = (
    r"human error",
    r"operator error",
    r"(?:his|her|their) fault",
    r"fault of",
    r"to blame",
    r"blame[sd]?",
    r"careless(?:ly|ness)?",
    r"negligen(?:t|ce)",
    r"incompeten(?:t|ce)",
    r"sloppy",
    r"lazy",
    r"stupid(?:ly)?",
    r"dumb",
    r"forgot",
    r"screwed up",
    r"messed up",
    r"didn't bother",
    r"ignored the",
)
COUNTERFACTUAL = (
    r"should(?:n't| not)? have",
    r"could(?:n't| not)? have",
    r"would(?:n't| not)? have",
    r"ought to have",
    r"if only",
    r"failed to",
    r"neglected to",
)
HINDSIGHT = (r"obviously", r"clearly should", r"simply", r"of course")

_VERB_TEXT = """
    add adjust alert align allow archive audit automate backfill block build bump cap change check
    clarify clean configure consolidate create deduplicate define delete deploy deprecate design
    detect disable document drain drop enable enforce ensure escalate evaluate expand expose extend
    fix gate harden implement improve increase instrument introduce investigate isolate label limit
    load-test lower make measure merge migrate monitor move notify page patch pin plan practice
    prevent prioritize protect provision publish rate-limit raise reduce refactor rehearse reject
    release remove rename replace reproduce require restore restrict retire review revisit rewrite
    roll rollback rotate run scale schedule separate set share shorten simplify split stage
    standardize start stop streamline tag teach test throttle track train tune update upgrade
    validate verify version write
"""
VERBS = frozenset(_VERB_TEXT.split())
"""Imperative verbs an action item may start with (extend with ``extra_verbs=``)."""


@dataclass(frozen=True)
class Finding:
    """One wording problem: where it is, which rule, and a suggestion."""

    line: int
    column: int
    rule: str  # blame, counterfactual, hindsight, action-verb, todo
    text: str
    message: str

    @property
    def is_error(self) -> bool:
        """Open TODO prompts are reminders; the rest are errors."""
        return self.rule != "todo"

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.rule}: {self.message}"


def _pattern(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


_BLAME, _COUNTER, _HINDSIGHT = _pattern(BLAME), _pattern(COUNTERFACTUAL), _pattern(HINDSIGHT)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
_TODO = re.compile(r"TODO\(authors\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _first_word(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"^[\s*_`~]+", "", text)
    text = re.sub(r"^(?:[A-Z]+-\d+|\[[^\]]*\])\s*[:\-–]?\s*", "", text)  # "AI-1:" or "[P1]"
    match = re.match(r"[A-Za-z][A-Za-z-]*", text)
    return match.group(0).lower() if match else ""


def lint_text(
    text: str, *, people: Iterable[str] = (), extra_verbs: Iterable[str] = ()
) -> list[Finding]:
    """Findings for a Markdown postmortem; ``people`` flags names next to failure verbs."""
    verbs = VERBS | {v.lower() for v in extra_verbs}
    names = [re.escape(p) for p in people if p.strip()]
    person = (
        re.compile(
            r"\b(?:" + "|".join(names) + r")\b\W+(?:\w+\W+)?(?:broke|caused|forgot|missed|"
            r"ignored|failed|messed|deleted|pushed a bad)",
            re.IGNORECASE,
        )
        if names
        else None
    )
    findings: list[Finding] = []
    in_actions = False
    in_code = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        heading = _HEADING.match(raw)
        if heading:
            in_actions = "action item" in heading.group(1).lower()
            continue
        if _TODO.search(raw):
            findings.append(
                Finding(
                    number, raw.find("TODO") + 1, "todo", raw.strip(), "prompt left for the authors"
                )
            )
            continue
        if raw.lstrip().startswith(">"):
            continue
        for pattern, rule, advice in (
            (_BLAME, "blame", "describe what the system allowed, not who is at fault"),
            (_COUNTER, "counterfactual", "say what happened and why it made sense at the time"),
            (_HINDSIGHT, "hindsight", "drop it: it was not obvious before the outcome was known"),
        ):
            for match in pattern.finditer(raw):
                findings.append(
                    Finding(
                        number,
                        match.start() + 1,
                        rule,
                        match.group(0),
                        f"{match.group(0)!r}: {advice}",
                    )
                )
        if person is not None:
            for match in person.finditer(raw):
                findings.append(
                    Finding(
                        number,
                        match.start() + 1,
                        "blame",
                        match.group(0),
                        f"{match.group(0)!r}: name the system condition, not the person",
                    )
                )
        if in_actions:
            findings.extend(_action_item(number, raw, verbs))
    return findings


def _action_item(number: int, raw: str, verbs: frozenset[str] | set[str]) -> list[Finding]:
    stripped = raw.strip()
    if stripped.startswith("|"):
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        first = cells[0] if cells else ""
        if not first or set(first) <= set("-: ") or first.lower() in ("action item", "action"):
            return []
        item = first
    else:
        match = _ITEM.match(raw)
        if not match:
            return []
        item = match.group(1)
    word = _first_word(item)
    if word in verbs:
        return []
    return [
        Finding(
            number,
            raw.find(item) + 1,
            "action-verb",
            item,
            f"action item starts with {word or item[:20]!r}, not a verb; start with what to do "
            "(e.g. 'Add an alert on ...')",
        )
    ]


def lint_file(path: str | Path, **kwargs: Iterable[str]) -> list[Finding]:
    """Findings for a Markdown file."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IncidentError(f"postmortem {source} does not exist") from None
    except UnicodeDecodeError as exc:
        raise IncidentError(
            f"postmortem {source} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from exc
    except OSError as exc:
        raise IncidentError(f"postmortem {source} cannot be read ({exc})") from exc
    return lint_text(text, **kwargs)
