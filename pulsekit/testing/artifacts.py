"""Per-test report folder: a journal (JSON lines) and charts a CI job keeps as artifacts."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any


def folder_name(nodeid: str) -> str:
    """A file-system-safe folder name for a pytest node id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150] or "test"


class Artifacts:
    """Where one test's journal and charts go; the journal is appended line by line (never torn)."""

    def __init__(self, root: str | os.PathLike[str], nodeid: str) -> None:
        self.dir = Path(root) / folder_name(nodeid)
        self.nodeid = nodeid
        self.journal_path = self.dir / "journal.jsonl"

    def path(self, name: str) -> Path:
        """A path inside this test's folder (the folder is created)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        return self.dir / name

    def note(self, event: str, **data: Any) -> None:
        """Append one event to the journal through the project's one fsynced journal writer."""
        from pulsekit.incidents._store import append_jsonl

        append_jsonl(self.journal_path, {"t": round(time.time(), 3), "event": event, **data})

    def shown(self, path: Path) -> str:
        """``path`` relative to the working directory when it is below it (for CI logs)."""
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)
