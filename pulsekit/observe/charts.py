"""Charts: the golden-signals panel and the SLO burn chart, both shading fault windows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pulsekit.observe.burn import SLOReport
    from pulsekit.observe.golden import GoldenSignals, GoldenTimeline

Fault = tuple[Any, Any, str]
PANEL = (
    ("traffic_rps", "traffic (req/s)"),
    ("error_ratio", "errors (ratio)"),
    ("p95_ms", "latency p95 (ms)"),
    ("saturation", "saturation"),
)


def _pyplot() -> Any:
    from pulsekit._plotting import pyplot

    return pyplot()


def shade_faults(ax: Axes, faults: Any, *, label: bool = True) -> None:
    r"""Shade each fault window: :class:`~pulsekit.FaultWindow`\ s, FaultRecords, a FaultLog or
    ``(start, end, label)`` tuples (datetimes, Timestamps or unix seconds)."""
    from pulsekit._windows import as_windows
    from pulsekit.observe._source import to_timestamp

    for n, window in enumerate(as_windows(faults)):
        start, end = window.span()
        t0, t1, text = to_timestamp(start), to_timestamp(end), window.label
        ax.axvspan(t0, t1, color="tab:red", alpha=0.12, zorder=0)  # type: ignore[arg-type]
        if label:
            ax.text(
                t0,  # type: ignore[arg-type]
                0.98 - 0.08 * (n % 3),
                f" {text}",
                transform=ax.get_xaxis_transform(),
                va="top",
                fontsize=8,
                color="tab:red",
            )


def golden_panel(
    timeline: GoldenTimeline,
    *,
    faults: Any = (),
    targets: Any = None,
    ax: Axes | None = None,
    signal: str = "p95_ms",
) -> Axes:
    """Four stacked Axes (traffic, errors, p95, saturation), one line per target; returns the top
    one (the others are ``ax.figure.axes``). With ``ax``, only ``signal`` is drawn, on ``ax``."""
    from pulsekit.errors import ConfigError

    plt = _pyplot()
    df = timeline.df
    if targets is not None:
        wanted = [targets] if isinstance(targets, str) else list(targets)
        df = df[df["target"].isin(wanted)]
    fig: Any
    if ax is not None:
        titles = dict(PANEL)
        if signal not in titles:
            raise ConfigError(f"signal={signal!r} is not one of {', '.join(titles)}")
        panel: tuple[tuple[str, str], ...] = ((signal, titles[signal]),)
        axes = [ax]
        fig = ax.figure
    else:
        panel = PANEL
        fig, axes = plt.subplots(len(PANEL), 1, figsize=(10, 8), sharex=True)
    for ax, (column, title) in zip(axes, panel, strict=True):
        for target, group in df.groupby("target", sort=True):
            if group[column].notna().any():
                ax.plot(group["time"], group[column], label=str(target), linewidth=1.2)
        if column == "saturation":
            in_flight = df.groupby("time")["in_flight"].sum()
            if df["saturation"].notna().sum() == 0 and len(in_flight):
                ax.plot(
                    in_flight.index, in_flight.to_numpy(), label="in flight (all)", color="grey"
                )
                title = "saturation: requests in flight"
        ax.set_ylabel(title, fontsize=9)
        ax.grid(alpha=0.3)
        shade_faults(ax, faults, label=ax is axes[0])
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        above = {"bbox_to_anchor": (0, 1.35)} if len(axes) > 1 else {}
        axes[0].legend(handles, labels, fontsize=7, ncol=4, loc="upper left", **above)
    axes[-1].set_xlabel("time (UTC)")
    if len(axes) > 1:
        fig.suptitle(f"golden signals (window {timeline.window:g}s)", y=0.995)
        fig.tight_layout()
    else:
        axes[0].set_title(f"golden signals (window {timeline.window:g}s)")
    return axes[0]


def burn_chart(report: SLOReport, *, faults: Any = (), ax: Axes | None = None) -> Axes:
    """Burn rate per rule (long windows) against thresholds (top), and the budget remaining
    (bottom, or a right-hand axis of ``ax`` when given); returns the burn-rate Axes."""
    plt = _pyplot()
    df = report.df
    if ax is None:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    else:
        fig, top, bottom = ax.figure, ax, ax.twinx()
    colors = ["tab:red", "tab:orange", "tab:blue", "tab:green"]
    for rule, color in zip(report.slo.alert_rules(), colors * 2, strict=False):
        top.plot(
            df["time"],
            df[f"burn_long_{rule.name}"],
            color=color,
            linewidth=1.2,
            label=f"{rule.name} burn (long window)",
        )
        top.axhline(rule.burn_rate, color=color, linestyle="--", linewidth=0.8)
        firing = df[f"firing_{rule.name}"]
        if firing.any():
            top.scatter(df["time"][firing], [rule.burn_rate] * int(firing.sum()), color=color, s=8)
    top.set_yscale("symlog", linthresh=1.0)
    top.set_ylabel("burn rate (x budget)")
    top.legend(fontsize=7, loc="upper left")
    top.grid(alpha=0.3)
    bottom.plot(df["time"], df["budget_remaining"] * 100, color="black")
    bottom.axhline(0, color="tab:red", linewidth=0.8)
    bottom.set_ylabel("budget remaining (%)")
    bottom.set_xlabel("time (UTC)")
    bottom.grid(alpha=0.3)
    shade_faults(top, faults)
    shade_faults(bottom, faults, label=False)
    title = f"SLO {report.slo.name} {report.slo.objective:.2%}: burn and budget"
    if ax is None:
        fig.suptitle(title)
        fig.tight_layout()
    else:
        top.set_title(title)
    return top  # type: ignore[no-any-return]


def golden_bars(signals: GoldenSignals, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars of p95 latency per target, error ratio as text."""
    from pulsekit._plotting import axes_or_new

    ax = axes_or_new(ax, (8, 4))
    df = signals.df.fillna({"p95_ms": 0.0})
    ax.barh([str(i) for i in df.index], df["p95_ms"], color="tab:blue")
    for y, (_, row) in enumerate(df.iterrows()):
        if row.error_ratio == row.error_ratio and row.error_ratio > 0:
            ax.text(row.p95_ms, y, f" {row.error_ratio:.1%} errors", va="center", fontsize=8)
    ax.set_xlabel(f"p95 latency (ms) over {signals.window:g}s")
    ax.invert_yaxis()
    return ax
