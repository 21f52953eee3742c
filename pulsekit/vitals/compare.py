"""Before/after comparison of two vitals results: a table of p75 changes with verdicts, and a chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, frame_records, no_time_axis
from pulsekit.vitals.result import VitalsResult
from pulsekit.vitals.thresholds import METRICS, THRESHOLDS, format_value, rate

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

#: Changes smaller than max(10 % of the before value, this floor) are "same" (lab noise).
NOISE_FLOOR = {"LCP": 100.0, "INP": 24.0, "CLS": 0.01, "FCP": 100.0, "TTFB": 50.0, "TBT": 50.0}


def verdict(metric: str, before: float | None, after: float | None) -> str:
    """``better``, ``worse``, ``same`` (within noise) or ``n/a`` for one metric (lower is better)."""
    if before is None or after is None:
        return "n/a"
    tolerance = max(0.1 * abs(before), NOISE_FLOOR[metric])
    if after > before + tolerance:
        return "worse"
    if after < before - tolerance:
        return "better"
    return "same"


@dataclass(frozen=True)
class Comparison(ResultMixin):
    """Two results of the same page side by side (``before`` then ``after``)."""

    before: VitalsResult
    after: VitalsResult

    @property
    def df(self) -> pd.DataFrame:
        """One row per metric: p75 before/after, change, ratings and the verdict."""
        import pandas as pd

        rows = []
        for m in METRICS:
            b, a = self.before.p75.get(m), self.after.p75.get(m)
            if b is None and a is None:
                continue
            rows.append(
                {
                    "metric": m,
                    "before": b,
                    "after": a,
                    "change": None if a is None or b is None else a - b,
                    "rating_before": rate(m, b),
                    "rating_after": rate(m, a),
                    "verdict": verdict(m, b, a),
                }
            )
        return pd.DataFrame(rows).set_index("metric")

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`df`: one row per metric, before/after p75 and the verdict."""
        return self.df

    def to_dict(self) -> dict[str, Any]:
        """The url, both scores, the regressed metrics and one record per metric, JSON-safe."""
        return {
            "url": self.before.url,
            "score_before": self.before.score,
            "score_after": self.after.score,
            "regressed": list(self.regressed),
            "metrics": frame_records(self.df),
        }

    @property
    def verdicts(self) -> dict[str, str]:
        """metric -> better/worse/same/n/a."""
        return {m: verdict(m, self.before.p75.get(m), self.after.p75.get(m)) for m in METRICS}

    @property
    def regressed(self) -> tuple[str, ...]:
        """Metrics that got worse beyond noise."""
        return tuple(m for m, v in self.verdicts.items() if v == "worse")

    def summary(self) -> str:
        """One line per metric: before -> after, ratings, verdict."""
        lines = [f"{self.before.url}  before -> after"]
        for m in METRICS:
            b, a = self.before.p75.get(m), self.after.p75.get(m)
            if b is None and a is None:
                continue
            lines.append(
                f"  {m:<5} {format_value(m, b):>9} -> {format_value(m, a):>9}  "
                f"{rate(m, b) or '-'} -> {rate(m, a) or '-'}  {verdict(m, b, a)}"
            )
        if self.before.score is not None and self.after.score is not None:
            lines.append(f"  score {self.before.score} -> {self.after.score}")
        return "\n".join(lines)

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Grouped bars: each metric's p75 before and after, as a multiple of its "good" threshold
        (no time axis: ``faults`` must be empty)."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "Comparison.plot (p75 before and after)")
        ax = axes_or_new(ax, (8, 4))
        names = [
            m
            for m in METRICS
            if self.before.p75.get(m) is not None or self.after.p75.get(m) is not None
        ]
        for offset, (label, result, colour) in enumerate(
            (("before", self.before, "#90a4ae"), ("after", self.after, "#1e88e5"))
        ):
            xs = [i + (offset - 0.5) * 0.38 for i in range(len(names))]
            ys = [(result.p75.get(m) or 0.0) / THRESHOLDS[m][0] for m in names]
            ax.bar(xs, ys, width=0.38, color=colour, label=label)
        ax.axhline(1.0, color="#0cce6b", linestyle="--", linewidth=1, label="good threshold")
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel("p75 / good threshold")
        ax.set_title(f"{self.before.profile} profile: before vs after", fontsize=9)
        ax.legend(fontsize=8)
        return ax


def compare(before: VitalsResult, after: VitalsResult) -> Comparison:
    """Compare two results (e.g. before and after a change); see :class:`Comparison`."""
    return Comparison(before, after)
