"""Results of a vitals measurement: one frozen record per run and the p75 result with ratings and score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, html_view, json_safe, no_time_axis
from pulsekit.vitals.scoring import performance_score
from pulsekit.vitals.thresholds import (
    CORE_METRICS,
    METRICS,
    THRESHOLDS,
    Rating,
    format_value,
    percentile,
    rate,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

_COLOURS = {"good": "#0cce6b", "needs-improvement": "#ffa400", "poor": "#ff4e42", None: "#9e9e9e"}


@dataclass(frozen=True)
class RunVitals:
    """The metrics of one page load (milliseconds, CLS unitless; ``None`` when not measured)."""

    lcp: float | None
    cls: float | None
    inp: float | None
    fcp: float | None
    ttfb: float | None
    tbt: float | None
    lcp_element: str | None = None
    interactions: int = 0
    status: int | None = None
    wall_s: float = 0.0
    warnings: tuple[str, ...] = ()

    def value(self, metric: str) -> float | None:
        """The value of ``metric`` ("LCP", "CLS", ...)."""
        return getattr(self, metric.lower())  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Bin:
    """One histogram bin of field data: ``start <= value < end`` holds ``density`` of the page loads."""

    start: float
    end: float | None
    density: float


@dataclass(frozen=True)
class VitalsResult(ResultMixin):
    """Web vitals of one page: every run, the p75 of each metric, ratings and a Lighthouse-style score.

    ``source`` is ``"lab"`` (measured here in Chromium) or ``"field"`` (CrUX). ``p75`` maps each metric in
    :data:`METRICS` to its 75th percentile over the runs (``None`` when not measured).
    """

    url: str
    profile: str
    runs: tuple[RunVitals, ...] = ()
    p75: Mapping[str, float | None] = field(default_factory=dict)
    source: str = "lab"
    scoring: str = "mobile"
    ttfb_excludes_latency_ms: float = 0.0
    histograms: Mapping[str, tuple[Bin, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @classmethod
    def from_runs(
        cls,
        url: str,
        runs: tuple[RunVitals, ...],
        *,
        profile: str,
        scoring: str,
        ttfb_excludes_latency_ms: float = 0.0,
        notes: tuple[str, ...] = (),
    ) -> VitalsResult:
        """Aggregate runs with the field rule: each metric at its 75th percentile."""
        p75 = {m: percentile(r.value(m) for r in runs) for m in METRICS}
        warnings = tuple(dict.fromkeys(w for r in runs for w in r.warnings))
        return cls(
            url=url,
            profile=profile,
            runs=runs,
            p75=p75,
            scoring=scoring,
            ttfb_excludes_latency_ms=ttfb_excludes_latency_ms,
            notes=(*notes, *warnings),
        )

    @property
    def ratings(self) -> dict[str, Rating | None]:
        """good / needs-improvement / poor for each metric's p75 (``None`` when not measured)."""
        return {m: rate(m, self.p75.get(m)) for m in METRICS}

    @property
    def passed(self) -> bool | None:
        """Core Web Vitals assessment: LCP, CLS and INP all good (INP ignored when not measured)."""
        rated = [self.ratings[m] for m in CORE_METRICS if self.p75.get(m) is not None]
        if not rated:
            return None
        return all(r == "good" for r in rated)

    @property
    def score(self) -> int | None:
        """Lighthouse-style performance score 0-100 (lab only; Speed Index's weight is spread out)."""
        if self.source != "lab":
            return None
        return performance_score(self.p75, "desktop" if self.scoring == "desktop" else "mobile")[0]

    @property
    def metric_scores(self) -> dict[str, float]:
        """Per-metric log-normal scores (0-1) that make up :attr:`score`."""
        return performance_score(self.p75, "desktop" if self.scoring == "desktop" else "mobile")[1]

    @property
    def weights(self) -> dict[str, float]:
        """Effective weights (sum 1) of the metrics in :attr:`score`."""
        return performance_score(self.p75, "desktop" if self.scoring == "desktop" else "mobile")[2]

    @property
    def df(self) -> pd.DataFrame:
        """One row per run, one column per metric (plus the LCP element and wall time)."""
        import pandas as pd

        rows = [
            {
                "run": i + 1,
                **{m: r.value(m) for m in METRICS},
                "lcp_element": r.lcp_element,
                "wall_s": r.wall_s,
            }
            for i, r in enumerate(self.runs)
        ]
        return pd.DataFrame(rows, columns=["run", *METRICS, "lcp_element", "wall_s"])

    def summary(self) -> str:
        """A short text report: p75 and rating per metric, the verdict and the score."""
        n = len(self.runs)
        what = f"{n} run{'s' if n != 1 else ''}" if self.source == "lab" else "CrUX p75"
        head = f"{self.url} ({self.source}, {self.profile}, {what})"
        if self.score is not None:
            head += f"  score {self.score}"
        lines = [head]
        for m in METRICS:
            value = self.p75.get(m)
            if value is None and m == "INP" and self.source == "lab":
                lines.append(f"  {m:<5} {'-':>9}  not measured (no interaction ran)")
                continue
            if value is None:
                continue
            lines.append(f"  {m:<5} {format_value(m, value):>9}  {self.ratings[m]}")
        verdict = {True: "pass", False: "fail", None: "no data"}[self.passed]
        lines.append(f"  Core Web Vitals: {verdict}")
        if self.ttfb_excludes_latency_ms:
            lines.append(
                f"  note: TTFB excludes the emulated {self.ttfb_excludes_latency_ms:g} ms network latency"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: p75, its rating and the good/poor thresholds (``df`` has the runs)."""
        import pandas as pd

        rows = [
            {
                "metric": m,
                "p75": self.p75.get(m),
                "rating": self.ratings[m],
                "good": THRESHOLDS[m][0],
                "poor": THRESHOLDS[m][1],
            }
            for m in METRICS
        ]
        return pd.DataFrame(rows).set_index("metric")

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.df if self.runs else None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's ``--json``)."""
        return json_safe(self._dict())  # type: ignore[no-any-return]

    def _dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "source": self.source,
            "profile": self.profile,
            "p75": dict(self.p75),
            "ratings": self.ratings,
            "passed": self.passed,
            "score": self.score,
            "metric_scores": self.metric_scores,
            "weights": self.weights,
            "ttfb_excludes_latency_ms": self.ttfb_excludes_latency_ms,
            "runs": [
                {
                    **{m: r.value(m) for m in METRICS},
                    "lcp_element": r.lcp_element,
                    "wall_s": r.wall_s,
                }
                for r in self.runs
            ],
            "histograms": {
                m: [{"start": b.start, "end": b.end, "density": b.density} for b in bins]
                for m, bins in self.histograms.items()
            },
            "notes": list(self.notes),
        }

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Each metric's p75 as a multiple of its "good" threshold, coloured by rating, runs as dots
        (no time axis: ``faults`` must be empty)."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "VitalsResult.plot (p75 per metric)")
        ax = axes_or_new(ax, (8, 4))
        names = [m for m in METRICS if self.p75.get(m) is not None]
        for i, m in enumerate(names):
            good = THRESHOLDS[m][0]
            value = self.p75[m] or 0.0
            ax.bar(i, value / good, color=_COLOURS[self.ratings[m]], width=0.6)
            ax.text(i, value / good, format_value(m, value), ha="center", va="bottom", fontsize=8)
            dots = [r.value(m) for r in self.runs]
            ax.scatter(
                [i] * len([d for d in dots if d is not None]),
                [d / good for d in dots if d is not None],
                color="black",
                s=10,
                zorder=3,
            )
        ax.axhline(1.0, color="#0cce6b", linestyle="--", linewidth=1)
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel("p75 / good threshold")
        title = f"{self.url} ({self.source}, {self.profile})"
        ax.set_title(title if len(title) < 70 else title[:67] + "...", fontsize=9)
        return ax
