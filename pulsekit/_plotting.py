"""The one place that makes figures: pyplot as the caller set it up, never a backend switch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def pyplot() -> Any:
    """``matplotlib.pyplot``, leaving the backend alone.

    Whatever the caller chose stays (``%matplotlib inline`` or ``widget``, ``MPLBACKEND``,
    ``matplotlib.use(...)``); without a choice matplotlib picks its own default, which is Agg on a
    machine with no display, as pandas' and seaborn's ``.plot()`` do.
    """
    import matplotlib.pyplot as plt

    return plt


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kw: Any) -> Any:
    """``plt.subplots`` through :func:`pyplot`: ``(figure, axes)``."""
    return pyplot().subplots(nrows, ncols, figsize=figsize, **kw)


def axes_or_new(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` when given, else the Axes of a new figure of ``figsize``."""
    if ax is not None:
        return ax
    _, new = subplots(figsize=figsize)
    return new  # type: ignore[no-any-return]
