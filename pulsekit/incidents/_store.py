"""Files of an incident: durable JSON-lines appends and tolerant JSON-lines reads."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

RECORD_FILE = "incident.json"
TIMELINE_FILE = "timeline.jsonl"


class IncidentWarning(UserWarning):
    """Something was readable only in part (a torn line, a truncated journal); the rest was kept."""


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON object as a line and fsync it, so a crash never loses a finished entry."""
    line = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """``(line number, object)`` pairs of every readable line, and one problem text per bad line."""
    records: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            last = number == len(lines) and not text.endswith("\n")
            why = "truncated (the writer stopped mid-line)" if last else f"not JSON ({exc.msg})"
            problems.append(f"{path.name} line {number}: {why}; skipped")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{path.name} line {number}: not a JSON object; skipped")
            continue
        records.append((number, obj))
    return records, problems


def warn_all(problems: list[str]) -> None:
    """Emit one :class:`IncidentWarning` per problem."""
    for problem in problems:
        warnings.warn(problem, IncidentWarning, stacklevel=3)
