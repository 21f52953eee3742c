"""FaultWindow: the one fault-window type every ``.plot(faults=...)`` of pulsekit accepts."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulsekit.errors import ConfigError


@dataclass(frozen=True)
class FaultWindow:
    """A span of wall-clock time to shade on a chart: ``start``/``end`` are UNIX seconds.

    ``end=None`` means the fault is still in force (charts shade up to now).

    >>> FaultWindow.of(record)                         # a faults.FaultRecord  # doctest: +SKIP
    >>> FaultWindow.offsets(result.started_at, 25, 45, "db-replica-1 killed")  # doctest: +SKIP
    """

    start: float
    end: float | None
    label: str
    kind: str = "fault"

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ConfigError(f"fault window {self.label!r} ends before it starts")

    @classmethod
    def offsets(cls, t0: float, start_s: float, end_s: float | None, label: str) -> FaultWindow:
        """A window given in seconds after ``t0`` (UNIX seconds), as a load timeline counts."""
        return cls(t0 + start_s, None if end_s is None else t0 + end_s, label)

    @classmethod
    def of(cls, record: Any) -> FaultWindow:
        """The window of a :class:`~pulsekit.faults.FaultRecord`."""
        return cls(
            float(record.applied_at),
            None if record.reverted_at is None else float(record.reverted_at),
            f"{record.kind} {record.target}",
            kind=str(record.kind),
        )

    def span(self, now: float | None = None) -> tuple[float, float]:
        """``(start, end)`` in UNIX seconds, an open window ending ``now``."""
        return self.start, self.end if self.end is not None else (now or time.time())

    def relative(self, t0: float) -> tuple[float, float]:
        """``(start, end)`` in seconds after ``t0``."""
        start, end = self.span()
        return start - t0, end - t0


def as_windows(items: Any) -> tuple[FaultWindow, ...]:
    """FaultWindows from FaultWindows, FaultRecords, a FaultLog, or ``(start, end, label)`` tuples
    of datetimes, Timestamps or UNIX seconds."""
    if items is None:
        return ()
    if isinstance(items, FaultWindow) or hasattr(items, "applied_at"):
        items = [items]
    out: list[FaultWindow] = []
    for item in items if isinstance(items, Iterable) else [items]:
        if isinstance(item, FaultWindow):
            out.append(item)
        elif hasattr(item, "applied_at") and hasattr(item, "kind"):
            out.append(FaultWindow.of(item))
        elif isinstance(item, tuple | list) and len(item) == 3:
            start, end, label = item
            out.append(FaultWindow(_unix(start), None if end is None else _unix(end), str(label)))
        else:
            raise ConfigError(
                f"fault window {item!r}: pass a FaultWindow, a FaultRecord, a FaultLog or "
                "(start, end, label)"
            )
    return tuple(out)


def _unix(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    import pandas as pd

    return float(pd.Timestamp(value).timestamp())
