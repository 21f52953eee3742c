"""Cost query results: a DataFrame with a title, a short text summary and a chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
    """``ax`` or a fresh Axes of the standard size (Agg backend outside notebooks)."""
    if ax is not None:
        return ax
    import matplotlib

    if "ipykernel" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=FIGSIZE)
    return new


@dataclass(frozen=True, eq=False)
class CostTable:
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

    def _repr_html_(self) -> str:
        return f"<b>{self.title}</b>" + self.df.head(30).to_html(index=False)

    def plot(self, ax: Axes | None = None) -> Axes:
        """Chart the result; returns the matplotlib Axes."""
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
        return ax


def _label(value: Any) -> str:
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d"))
    return str(value)
