"""Fault records: what was applied where, when, and when it was reverted (for journals and charts)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, json_safe

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class FaultRecord:
    """One fault window. Times are UNIX seconds; ``reverted_at`` is None while it is in force."""

    kind: str  # latency, bandwidth, down, status_code, kill, freeze, cpu_hog, ...
    target: str  # a link name, a service name or "pid:1234"
    params: tuple[tuple[str, Any], ...] = ()
    applied_at: float = 0.0
    reverted_at: float | None = None
    reverted_by: str | None = None  # api, ttl, reset, halt, exit, ...
    expires_at: float | None = None
    source: str = ""  # the proxy URL, "sandbox" or "local"
    id: str = ""

    @property
    def active(self) -> bool:
        return self.reverted_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "params": dict(self.params),
            "applied_at": self.applied_at,
            "reverted_at": self.reverted_at,
            "reverted_by": self.reverted_by,
            "expires_at": self.expires_at,
            "source": self.source,
        }


def params_of(mapping: dict[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """A hashable, ordered form of a parameter mapping."""
    out = []
    for key, value in sorted((mapping or {}).items()):
        out.append((key, tuple(sorted(value.items())) if isinstance(value, dict) else value))
    return tuple(out)


class FaultLog(ResultMixin):
    """An append-only, thread-safe list of :class:`FaultRecord` (a record is replaced when reverted)."""

    def __init__(self, records: Iterable[FaultRecord] = ()) -> None:
        self._records: list[FaultRecord] = list(records)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str, FaultRecord], object]] = []

    def subscribe(self, listener: Callable[[str, FaultRecord], object]) -> Callable[[], None]:
        """Call ``listener("applied" | "reverted", record)`` on every change (a GameDay journal
        attaches itself this way); returns a function that unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, event: str, record: FaultRecord) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event, record)

    def add(self, record: FaultRecord) -> FaultRecord:
        with self._lock:
            self._records.append(record)
        self._notify("applied", record)
        return record

    def close(self, record_id: str, *, by: str, at: float | None = None) -> FaultRecord | None:
        """Mark the record ``record_id`` reverted (once); returns the updated record."""
        with self._lock:
            for index, record in enumerate(self._records):
                if record.id == record_id and record.reverted_at is None:
                    done = replace(record, reverted_at=at or time.time(), reverted_by=by)
                    self._records[index] = done
                    break
            else:
                return None
        self._notify("reverted", done)
        return done

    @property
    def records(self) -> list[FaultRecord]:
        with self._lock:
            return list(self._records)

    def active(self) -> list[FaultRecord]:
        return [r for r in self.records if r.active]

    def __iter__(self) -> Iterator[FaultRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self._records)

    def to_frame(self) -> pd.DataFrame:
        """One row per fault: kind, target, params, applied_at, reverted_at (UTC), duration_s."""
        import pandas as pd

        rows = [r.to_dict() for r in self.records]
        columns = [
            "id",
            "kind",
            "target",
            "params",
            "applied_at",
            "reverted_at",
            "reverted_by",
            "expires_at",
            "source",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        for col in ("applied_at", "reverted_at", "expires_at"):
            frame[col] = pd.to_datetime(frame[col], unit="s", utc=True)
        frame["duration_s"] = (frame["reverted_at"] - frame["applied_at"]).dt.total_seconds()
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The summary and one dict per fault (UNIX seconds), JSON-safe."""
        return {"summary": self.summary(), "faults": json_safe([r.to_dict() for r in self])}

    def summary(self) -> str:
        """How many faults of each kind, and how many are still in force."""
        records = self.records
        if not records:
            return "no faults recorded"
        kinds: dict[str, int] = {}
        for r in records:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        active = sum(r.active for r in records)
        parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        return f"{len(records)} faults ({parts}); {active} still active"

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Fault windows as horizontal bars, one row per target (fixed size 8x3); other windows
        in ``faults`` (e.g. a GameDay's steps) shaded behind them."""
        from pulsekit._plotting import axes_or_new
        from pulsekit._windows import as_windows

        extra = as_windows(faults)
        ax = axes_or_new(ax, (8, 3))
        records = self.records
        targets = sorted({r.target for r in records})
        now = time.time()
        t0 = min((r.applied_at for r in records), default=now)
        for window in extra:
            start, end = window.relative(t0)
            ax.axvspan(start, end, color="tab:red", alpha=0.12, zorder=0)
            ax.text(start, 1.0, window.label, transform=ax.get_xaxis_transform(), fontsize=7)
        for row, target in enumerate(targets):
            for r in (r for r in records if r.target == target):
                end = r.reverted_at or now
                ax.broken_barh(
                    [(r.applied_at - t0, max(end - r.applied_at, 0.01))], (row - 0.4, 0.8)
                )
                ax.annotate(r.kind, (r.applied_at - t0, row), fontsize=7, va="center")
        ax.set_yticks(range(len(targets)), targets)
        ax.set_xlabel("seconds since the first fault")
        ax.set_title("fault windows")
        return ax
