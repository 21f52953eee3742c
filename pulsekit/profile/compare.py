"""Before/after profiles: the change of each function's share, against the sampling noise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, html_view, json_safe, no_time_axis
from pulsekit.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.profile.result import Profile

Z95 = 1.96
WIDEN = 2.0  # samples are autocorrelated: flag a change only past twice the binomial half-width


@dataclass(frozen=True)
class ProfileDiff(ResultMixin):
    """Shares (%) of each function before and after, Δ in percentage points and its noise."""

    before: str
    after: str
    by: str  # "total" (on stack) or "self" (leaf)
    table: pd.DataFrame  # function, file, before_pct, after_pct, delta_pp, noise_pp, significant

    def to_frame(self) -> pd.DataFrame:
        """One row per function: before/after share, Δ, noise and whether Δ is past it."""
        return self.table.copy()

    def significant(self) -> pd.DataFrame:
        """Rows whose change is past the noise (``|Δ| > noise_pp``), biggest first."""
        return self.table[self.table["significant"]].reset_index(drop=True)

    def summary(self, n: int = 5) -> str:
        lines = [f"{self.by} share, {self.before} -> {self.after} (Δ in percentage points):"]
        rows = self.significant().head(n)
        if rows.empty:
            lines.append("  no function changed by more than the sampling noise")
        for row in rows.itertuples():
            lines.append(
                f"  {row.delta_pp:+6.1f} pp  {row.before_pct:5.1f}% -> {row.after_pct:5.1f}%  "
                f"{row.function} ({row.file})  noise ±{row.noise_pp:.1f}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Both targets and the significant changes, JSON-safe."""
        return json_safe(self._dict())  # type: ignore[no-any-return]

    def _dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "by": self.by,
            "rows": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                for r in self.significant().to_dict(orient="records")
            ],
        }

    def plot(self, ax: Axes | None = None, *, n: int = 10, faults: Any = ()) -> Axes:
        """Horizontal bars of the biggest significant changes (red: grew, green: shrank); no time
        axis: ``faults`` must be empty."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "ProfileDiff.plot (change per function)")
        ax = axes_or_new(ax, (9, 4))
        rows = self.significant().head(n).iloc[::-1]
        colors = ["tab:red" if d > 0 else "tab:green" for d in rows["delta_pp"]]
        ax.barh(
            [f"{f} ({p})" for f, p in zip(rows["function"], rows["file"], strict=True)],
            rows["delta_pp"],
            xerr=rows["noise_pp"],
            color=colors,
        )
        ax.set_xlabel(f"Δ {self.by} share (percentage points)")
        ax.set_title(f"{self.before} -> {self.after}")
        return ax

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.significant())


def compare(before: Profile, after: Profile, *, by: str = "total") -> ProfileDiff:
    """Join two profiles on (function, file); noise = 2 × the 95% binomial half-width of Δ."""
    if by not in ("self", "total"):
        raise ConfigError(f"by={by!r} must be 'self' or 'total'")
    if before.samples == 0 or after.samples == 0:
        raise ConfigError(
            "one of the profiles has no samples; record under load (the process was idle)"
        )
    col = f"{by}_pct"
    left = before.to_frame()[["function", "file", col]].rename(columns={col: "before_pct"})
    right = after.to_frame()[["function", "file", col]].rename(columns={col: "after_pct"})
    table = left.merge(right, on=["function", "file"], how="outer").fillna(
        {"before_pct": 0.0, "after_pct": 0.0}
    )
    table["delta_pp"] = table["after_pct"] - table["before_pct"]
    n1, n2 = before.samples, after.samples

    def noise(p1: float, p2: float) -> float:
        a, b = p1 / 100.0, p2 / 100.0
        return WIDEN * Z95 * 100.0 * math.sqrt(a * (1 - a) / n1 + b * (1 - b) / n2)

    table["noise_pp"] = [
        noise(p1, p2) for p1, p2 in zip(table["before_pct"], table["after_pct"], strict=True)
    ]
    table["significant"] = table["delta_pp"].abs() > table["noise_pp"]
    table = table.reindex(table["delta_pp"].abs().sort_values(ascending=False).index)
    return ProfileDiff(before.target, after.target, by, table.reset_index(drop=True))
