"""Read py-spy's speedscope JSON into aggregated stacks: the only parser of that format here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from pulsekit.errors import ProfileError

Frame = tuple[str, str]  # (function, file)


def short_file(path: str) -> str:
    """A readable file name: the part after site-packages/, else the last two path parts."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    parts = Path(path).parts
    return "/".join(parts[-2:]) if len(parts) > 1 else path


def read(path: Path) -> tuple[dict[tuple[Frame, ...], int], float]:
    """Stacks (root first) -> sample count, and the seconds those samples weigh, from a file."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProfileError(f"{path} is not a readable speedscope JSON file ({exc})") from exc
    return parse(doc, source=str(path))


def parse(doc: Any, *, source: str = "speedscope") -> tuple[dict[tuple[Frame, ...], int], float]:
    try:
        frames = [
            (str(f.get("name", "?")), short_file(str(f.get("file") or "?")))
            for f in doc["shared"]["frames"]
        ]
        profiles = doc["profiles"]
    except (KeyError, TypeError) as exc:
        raise ProfileError(
            f"{source} is not speedscope JSON (missing {exc}); record with py-spy --format speedscope"
        ) from exc
    stacks: Counter[tuple[Frame, ...]] = Counter()
    seconds = 0.0
    for prof in profiles:
        if prof.get("type") != "sampled":
            continue
        weights = prof.get("weights") or [0.0] * len(prof.get("samples", []))
        for sample, weight in zip(prof.get("samples", []), weights, strict=False):
            stacks[tuple(frames[i] for i in sample)] += 1
            seconds += float(weight)
    return dict(stacks), seconds
