"""Charts: the golden-signals panel and the burn chart, with fault windows shaded."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Polygon, Rectangle

from pulsekit.errors import ConfigError
from pulsekit.observe import SLO, golden_timeline

from .conftest import synthetic

START = 1_800_000_000.0


def _shaded(ax: object) -> int:
    return sum(isinstance(p, Polygon | Rectangle) and p.get_alpha() == 0.12 for p in ax.patches)  # type: ignore[attr-defined]


def test_golden_panel_shades_each_fault() -> None:
    """The panel has four Axes (traffic, errors, p95, saturation) and shades every fault window."""
    samples = synthetic(60, bad=lambda t: 0.5 if 20 < t <= 30 else 0.0)
    faults = [(START + 20, START + 30, "kill db-replica-1"), (START + 40, START + 45, "latency")]
    top = golden_timeline(samples, window="5s").plot(faults=faults)
    axes = top.figure.axes
    try:
        assert len(axes) == 4 and axes[0] is top
        assert all(_shaded(ax) == 2 for ax in axes)
        assert "kill db-replica-1" in [t.get_text().strip() for t in axes[0].texts]
        assert axes[0].figure.get_size_inches().tolist() == [10, 8]
    finally:
        plt.close("all")


def test_burn_chart_shows_thresholds_and_budget() -> None:
    """The burn chart draws one dashed threshold per rule and the budget line below."""
    samples = synthetic(60, bad=lambda t: 0.5 if 20 < t <= 30 else 0.0)
    report = SLO(objective=0.99).compressed("10m").evaluate(samples)
    top = report.plot(faults=[(START + 20, START + 30, "outage")])
    bottom = top.figure.axes[1]
    try:
        dashed = [line for line in top.get_lines() if line.get_linestyle() == "--"]
        assert sorted(line.get_ydata()[0] for line in dashed) == [1.0, 3.0, 6.0, 14.4]
        assert _shaded(top) == 1 and _shaded(bottom) == 1
        assert bottom.get_lines()[0].get_ydata().min() < 100
    finally:
        plt.close("all")


def test_bad_fault_windows_are_refused() -> None:
    """A fault that is not (start, end, label) or ends before it starts raises ConfigError."""
    timeline = golden_timeline(synthetic(10), window="2s")
    with pytest.raises(ConfigError, match="start, end, label"):
        timeline.plot(faults=[(START, START + 1)])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="ends before"):
        timeline.plot(faults=[(START + 5, START + 1, "x")])
    plt.close("all")
