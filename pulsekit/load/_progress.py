"""Live progress of a load run: tqdm.auto in notebooks, rich in a terminal, nothing otherwise."""

from __future__ import annotations

import math
import sys
from typing import Any


class Progress:
    """Elapsed seconds out of the planned duration, with rps, p95 and errors beside it."""

    def __init__(self, mode: bool | str, total: float, label: str) -> None:
        self.kind = _kind(mode)
        self.total = total
        self._bar: Any = None
        self._task: Any = None
        if self.kind == "tqdm":
            import warnings

            with warnings.catch_warnings():  # no ipywidgets: tqdm.auto falls back to text, fine
                warnings.simplefilter("ignore")
                from tqdm.auto import tqdm

            self._bar = tqdm(total=round(total), desc=label, unit="s", leave=True)
        elif self.kind == "rich":
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[stats]}"),
                transient=False,
                console=Console(stderr=True),
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total, stats="")

    def update(self, elapsed: float, rps: float, p95: float, errors: int) -> None:
        p95_text = "-" if math.isnan(p95) else f"{p95:.0f}ms"
        stats = f"{rps:.0f} rps, p95 {p95_text}, {errors} errors"
        if self.kind == "tqdm":
            done = min(round(elapsed), round(self.total))
            self._bar.update(done - self._bar.n)
            self._bar.set_postfix_str(stats, refresh=True)
        elif self.kind == "rich":
            self._bar.update(self._task, completed=min(elapsed, self.total), stats=stats)

    def close(self) -> None:
        if self.kind in ("tqdm", "rich") and self._bar is not None:
            if self.kind == "tqdm":
                self._bar.close()
            else:
                self._bar.stop()
            self._bar = None


def _kind(mode: bool | str) -> str:
    if mode is False or mode == "none":
        return "none"
    if mode in ("tqdm", "rich"):
        return str(mode)
    if "ipykernel" in sys.modules:
        return "tqdm"
    if sys.stderr is not None and sys.stderr.isatty():
        return "rich"
    return "tqdm" if mode is True else "none"
