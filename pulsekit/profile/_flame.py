"""Flame graphs of a Profile with matplotlib: drawn in a notebook or saved as SVG."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pulsekit.profile.result import Profile


def _tree(profile: Profile) -> dict[str, Any]:
    root: dict[str, Any] = {"n": 0, "kids": {}}
    for stack, count in profile.stacks.items():
        root["n"] += count
        node = root
        for frame in stack:
            node = node["kids"].setdefault(frame, {"n": 0, "kids": {}})
            node["n"] += count
    return root


def _color(name: str) -> tuple[float, float, float]:
    h = zlib.crc32(name.encode()) % 1000 / 1000.0  # stable colour per function, warm palette
    return (0.85 + 0.15 * h, 0.35 + 0.45 * h, 0.1 + 0.2 * (1 - h))


def draw(profile: Profile, *, ax: Axes | None = None, min_pct: float = 1.0) -> Axes:
    if ax is None:
        from pulsekit._plotting import subplots

        _, ax = subplots(figsize=(12, 6))
    root = _tree(profile)
    total = max(1, root["n"])
    depth_max = 0

    def walk(node: dict[str, Any], x: float, depth: int) -> None:
        nonlocal depth_max
        for (fn, _file), kid in sorted(node["kids"].items(), key=lambda kv: kv[0]):
            width = kid["n"] / total
            if width * 100.0 >= min_pct:
                depth_max = max(depth_max, depth)
                ax.barh(
                    depth,
                    width,
                    left=x,
                    height=0.95,
                    color=_color(fn),
                    edgecolor="white",
                    linewidth=0.3,
                )
                if width > 0.04:
                    label = fn if len(fn) * 0.006 < width else fn[: max(3, int(width / 0.006))]
                    ax.text(
                        x + 0.002, depth, label, va="center", ha="left", fontsize=6, clip_on=True
                    )
                walk(kid, x, depth + 1)
            x += width

    walk(root, 0.0, 0)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, depth_max + 0.5)
    ax.set_yticks([])
    ax.set_xlabel(f"share of {profile.samples} samples (frames under {min_pct:g}% hidden)")
    ax.set_title(f"flame graph: {profile.target}, {profile.duration_s:.0f} s")
    return ax


def write_svg(profile: Profile, path: Path, *, min_pct: float = 0.5) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(14, 7))
    ax = fig.add_subplot()
    draw(profile, ax=ax, min_pct=min_pct)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg")
    return path
