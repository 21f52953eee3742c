"""The timeline chart embedded in postmortems: entries by kind, the impact window, milestones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulsekit._util import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pulsekit.incidents.record import Incident

_ROWS = {
    "faults": ("fault.applied", "fault.reverted", "action.failed"),
    "signals": ("threshold.failed", "slo.breach", "probe", "measurement"),
    "response": ("role", "status", "severity", "priority", "task", "update.posted"),
}
_MILESTONE_STYLE = {
    "impact_started": "tab:red",
    "detected": "tab:orange",
    "acknowledged": "tab:olive",
    "mitigated": "tab:green",
    "resolved": "tab:blue",
}


def plot_timeline(incident: Incident, *, ax: Axes | None = None, faults: Any = ()) -> Axes:
    """Timeline chart: minutes since the first entry; shaded impact; a line per milestone; the
    ``faults`` windows hatched."""
    from pulsekit._plotting import subplots
    from pulsekit._windows import as_windows

    windows = as_windows(faults)
    entries = incident.timeline
    origin = entries[0].time if entries else incident.reported_at
    rows = [*_ROWS, "notes"]
    new = ax is None
    if ax is None:
        _, ax = subplots(figsize=(10, 3.2))
    assert ax is not None
    points: dict[bool, tuple[list[float], list[int]]] = {False: ([], []), True: ([], [])}
    for entry in entries:
        if entry.type in _MILESTONE_STYLE:
            continue
        row = next((name for name, types in _ROWS.items() if entry.type in types), "notes")
        failed = entry.type in ("threshold.failed", "slo.breach", "action.failed")
        points[failed][0].append((entry.time - origin).total_seconds() / 60.0)
        points[failed][1].append(rows.index(row))
    for failed, (xs, ys) in points.items():
        if xs:
            ax.plot(xs, ys, "o", color="tab:red" if failed else "tab:gray", ms=5, linestyle="none")
    start, end = incident.milestones.get("impact_started"), incident.milestones.get("mitigated")
    if start is not None:
        stop = end or (entries[-1].time if entries else start)
        ax.axvspan(
            (start - origin).total_seconds() / 60.0,
            (stop - origin).total_seconds() / 60.0,
            color="tab:red",
            alpha=0.12,
            label="user impact",
        )
    for window in windows:
        lo, hi = window.relative(origin.timestamp())
        ax.axvspan(lo / 60.0, hi / 60.0, facecolor="none", edgecolor="tab:purple", hatch="//")
        ax.text(lo / 60.0, 1.0, window.label, transform=ax.get_xaxis_transform(), fontsize=8)
    for name, color in _MILESTONE_STYLE.items():
        when = incident.milestones.get(name)
        if when is not None:
            x = (when - origin).total_seconds() / 60.0
            ax.axvline(x, color=color, linestyle="--", linewidth=1.2, label=name.replace("_", " "))
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel("minutes since the first entry")
    ax.set_title(f"{incident.id}: {incident.title}"[:90])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    if new:
        figure: Any = ax.figure
        figure.tight_layout()
    return ax


def save_timeline_chart(incident: Incident, path: Path) -> Path:
    """Write the timeline chart as a PNG (through a temp file, atomically) and close the figure."""
    import io

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    ax = plot_timeline(incident)
    figure = ax.get_figure()
    assert isinstance(figure, Figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return atomic_write(path, buffer.getvalue())
