"""The result protocol: the verbs every pulsekit result has, and the helpers that implement them.

Every result (a load run, golden signals, an SLO report, a cost table, Web Vitals, incident
metrics, a fault log, a GameDay...) answers the same five calls::

    result.summary()                    # a few lines of text, rounded for reading
    result.to_frame()                   # its main table, a pandas DataFrame
    result.to_dict()                    # JSON-safe: json.dumps(result.to_dict()) works
    result.plot(ax=None, faults=())     # a chart on ``ax`` (or a new figure); returns the Axes
    result                              # in a notebook: an HTML view (``_repr_html_``)

``faults`` takes what :func:`pulsekit._windows.as_windows` takes (FaultWindows, FaultRecords, a
FaultLog, ``(start, end, label)`` tuples) and is shaded on charts with a time axis; a chart with
no time axis refuses a non-empty ``faults`` with a ConfigError.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

VERBS = ("summary", "to_frame", "to_dict", "plot", "_repr_html_")


@runtime_checkable
class Result(Protocol):
    """What every pulsekit result offers (call ``plot`` with keywords: ``plot(ax=ax, faults=w)``)."""

    def summary(self) -> str:
        """A few lines of text."""

    def to_frame(self) -> pd.DataFrame:
        """The main table."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """A chart on ``ax`` (or a new figure), ``faults`` shaded; returns the Axes."""

    def _repr_html_(self) -> str:
        """The notebook view."""


class ResultMixin:
    """Default ``to_dict`` and ``_repr_html_`` built on ``summary`` and ``to_frame``."""

    def summary(self) -> str:  # pragma: no cover - every result defines its own
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every result defines its own
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The summary and the main table's rows, JSON-safe."""
        return {"summary": self.summary(), "rows": frame_records(self.to_frame())}

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.to_frame())


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars, NaN/inf, times, paths, enums, tuples and frames made JSON-safe."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime | date):
        return None if value != value else value.isoformat()  # NaT is not equal to itself
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return frame_records(value)
    if hasattr(value, "tolist"):  # numpy scalars and arrays, pandas Series
        return json_safe(value.tolist())
    if hasattr(value, "item"):
        return json_safe(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` (a named or non-default index becomes a column), JSON-safe."""
    import pandas as pd

    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    records: list[dict[str, Any]] = json_safe(frame.to_dict(orient="records"))
    return records


def html_view(summary: str, frame: pd.DataFrame | None = None, *, rows: int = 20) -> str:
    """The notebook view: the summary as preformatted text, then the first rows of the table."""
    out = f"<pre>{html.escape(summary)}</pre>"
    if frame is not None and not frame.empty:
        out += frame.head(rows).to_html()
        if len(frame) > rows:
            out += f"<p>... {len(frame) - rows} more rows (<code>.to_frame()</code>)</p>"
    return out


def no_time_axis(faults: Any, chart: str) -> None:
    """Refuse fault windows on a chart that has no time axis to shade them on."""
    from pulsekit._windows import as_windows
    from pulsekit.errors import ConfigError

    if as_windows(faults):
        raise ConfigError(
            f"faults=: {chart} has no time axis to shade fault windows on; pass faults= to a "
            "timeline's plot (LoadResult, GoldenTimeline, SLOReport, GameDayResult, FaultLog)"
        )
