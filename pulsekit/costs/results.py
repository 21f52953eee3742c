"""Cost query results: a DataFrame with a title, a short text summary and a chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, frame_records, html_view, no_time_axis

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

FIGSIZE = (9.0, 4.0)


def money(value: float) -> str:
    """``1234.5`` -> ``'$1,234.50'`` (negative amounts keep their sign)."""
    return f"-${abs(value):,.2f}" if value < 0 else f"${value:,.2f}"


def text_table(df: pd.DataFrame, *, rows: int = 10) -> str:
    """A stable plain-text rendering of the first ``rows`` rows (floats to 2 decimals)."""
    import pandas as pd

    head = df.head(rows).copy()
    for col in head.columns:
        if pd.api.types.is_datetime64_any_dtype(head[col]):
            head[col] = head[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(head[col]):
            fmt = "{:,.4f}" if head[col].abs().max() < 1 else "{:,.2f}"
            head[col] = head[col].map(lambda v, f=fmt: "" if pd.isna(v) else f.format(v))
    text = head.to_string(index=False)
    if len(df) > rows:
        text += f"\n... {len(df) - rows} more rows"
    return text


def new_axes(ax: Axes | None = None) -> Axes:
    """``ax`` or a fresh Axes of the standard size."""
    from pulsekit._plotting import axes_or_new

    return axes_or_new(ax, FIGSIZE)


def shade_days(ax: Axes, faults: Any) -> None:
    """Shade fault windows on a chart whose x axis is dates (timezone-naive UTC, as FOCUS is)."""
    from pulsekit._windows import as_windows

    windows = as_windows(faults)
    if not windows:
        return
    import pandas as pd

    for window in windows:
        start, end = window.span()
        t0 = pd.Timestamp(start, unit="s")
        t1 = pd.Timestamp(end, unit="s")
        ax.axvspan(t0, t1, color="tab:red", alpha=0.12, zorder=0)  # type: ignore[arg-type]
        ax.text(
            t0,  # type: ignore[arg-type]
            0.98,
            f" {window.label}",
            transform=ax.get_xaxis_transform(),
            va="top",
            fontsize=8,
            color="tab:red",
        )


@dataclass(frozen=True, eq=False)
class CostTable(ResultMixin):
    """A query result: ``df`` plus how to summarise and chart it.

    ``chart`` is ``"bar"`` (x categories, y value), ``"stacked"`` (x periods, stacked by
    ``series``), ``"line"`` (x periods, one line per ``series`` or per y column) or ``"none"``.
    """

    df: pd.DataFrame
    title: str
    chart: str = "bar"
    x: str | None = None
    y: str | None = None
    series: str | None = None
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The result as a DataFrame (a copy)."""
        return self.df.copy()

    def summary(self, *, rows: int = 10) -> str:
        """Title, the first rows and the notes, as stable text."""
        parts = [self.title, text_table(self.df, rows=rows)]
        parts += list(self.notes)
        return "\n".join(parts)

    def __len__(self) -> int:
        return len(self.df)

    def __repr__(self) -> str:
        return f"<CostTable {self.title!r}: {len(self.df)} rows>"

    def to_dict(self) -> dict[str, Any]:
        """Title, notes, the figures in ``meta`` and the rows, JSON-safe."""
        from pulsekit._result import json_safe

        return {
            "title": self.title,
            "notes": list(self.notes),
            "meta": json_safe(self.meta),
            "rows": frame_records(self.df),
        }

    def _repr_html_(self) -> str:
        return html_view(self.summary(rows=5), self.df, rows=30)

    def _time_axis(self) -> bool:
        import pandas as pd

        return (
            self.chart == "line"
            and self.x is not None
            and self.x in self.df
            and pd.api.types.is_datetime64_any_dtype(self.df[self.x])
        )

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Chart the result; returns the matplotlib Axes. ``faults`` are shaded on a line chart
        over dates (bars have no time axis and refuse them)."""
        if not self._time_axis():
            no_time_axis(faults, f"the {self.chart} chart of {self.title!r}")
        ax = new_axes(ax)
        df = self.df
        if self.chart == "stacked" and self.x and self.y and self.series:
            wide = df.pivot_table(index=self.x, columns=self.series, values=self.y, aggfunc="sum")
            wide.index = [_label(i) for i in wide.index]
            wide.plot(kind="bar", stacked=True, ax=ax, width=0.8)
        elif self.chart == "line" and self.x and self.y:
            if self.series:
                wide = df.pivot_table(
                    index=self.x, columns=self.series, values=self.y, aggfunc="sum"
                )
                wide.plot(ax=ax)
            else:
                df.plot(x=self.x, y=self.y, ax=ax)
        elif self.x and self.y:
            labels = [_label(v) for v in df[self.x]]
            ax.barh(labels[::-1], list(df[self.y])[::-1])
        ax.set_title(self.title)
        if self.y:
            ax.set_ylabel(self.y if self.chart != "bar" else "")
        shade_days(ax, faults)
        return ax


def _label(value: Any) -> str:
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d"))
    return str(value)
