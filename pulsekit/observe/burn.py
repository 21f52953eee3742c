"""Evaluate an SLO over good/total events: burn rates, budget remaining, alert firing timeline."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, frame_records, html_view
from pulsekit._types import Instant
from pulsekit._util import format_duration, parse_duration
from pulsekit.errors import ConfigError, ObserveError
from pulsekit.observe._series import cumulative, label_filter, values_at
from pulsekit.observe._source import MetricsSource, to_samples

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.observe.slo import SLI, SLO


@dataclass(frozen=True, eq=False)
class SLOReport(ResultMixin):
    """An SLO evaluated over a span: ``df`` per step, ``alerts`` as firing intervals."""

    slo: SLO
    df: pd.DataFrame
    alerts: pd.DataFrame
    step: float

    @property
    def good(self) -> float:
        """Good events over the span."""
        return float(self.df["good"].sum())

    @property
    def total(self) -> float:
        """Valid events over the span."""
        return float(self.df["total"].sum())

    @property
    def error_ratio(self) -> float:
        """Bad over valid events over the whole span (NaN without traffic)."""
        return math.nan if self.total == 0 else 1.0 - self.good / self.total

    @property
    def budget_remaining(self) -> float:
        """Share of the error budget left at the end (negative: overspent)."""
        return float(self.df["budget_remaining"].iloc[-1]) if len(self.df) else 1.0

    @property
    def firing(self) -> list[str]:
        """Rules firing at the last step."""
        if self.df.empty:
            return []
        last = self.df.iloc[-1]
        return [r.name for r in self.slo.alert_rules() if bool(last[f"firing_{r.name}"])]

    def fired(self, severity: str | None = None) -> bool:
        """Whether any rule (of ``severity``) fired during the span."""
        rows = self.alerts if severity is None else self.alerts[self.alerts["severity"] == severity]
        return not rows.empty

    def summary(self) -> str:
        """A few lines: events, error ratio, budget, which alerts fired."""
        slo = self.slo
        scale = "" if slo.time_scale == 1 else f" (compressed x{1 / slo.time_scale:,.0f})"
        lines = [
            f"SLO {slo.name}: {slo.objective:.2%} over {_dur(slo.period)}{scale}",
            f"events: {self.total:.0f} valid, {self.total - self.good:.0f} bad "
            f"(error ratio {self.error_ratio:.3%})",
            f"budget remaining: {self.budget_remaining:.0%}"
            + (" (exhausted)" if self.budget_remaining <= 0 else ""),
        ]
        if self.alerts.empty:
            lines.append("alerts: none fired")
        for rule, group in self.alerts.groupby("rule", sort=False):
            lines.append(f"alert {rule}: fired {len(group)} time(s)")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per step: good, total, error ratio, budget remaining, burn rates, firing."""
        return self.df.copy()

    def to_dict(self) -> dict[str, Any]:
        """The SLO, the span's figures, the alerts fired and the per-step rows, JSON-safe."""
        slo = self.slo
        return {
            "slo": {"name": slo.name, "objective": slo.objective, "period_s": slo.period},
            "step_s": self.step,
            "good": self.good,
            "total": self.total,
            "error_ratio": self.error_ratio,
            "budget_remaining": self.budget_remaining,
            "firing": self.firing,
            "alerts": frame_records(self.alerts),
            "rows": frame_records(self.df),
        }

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.alerts if not self.alerts.empty else None)

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """The burn chart (burn rates against thresholds, budget remaining), shading ``faults``;
        returns the burn-rate Axes (budget below it, or on its right-hand axis with ``ax``)."""
        from pulsekit.observe.charts import burn_chart

        return burn_chart(self, faults=faults, ax=ax)


def _dur(seconds_: float) -> str:
    return format_duration(seconds_)


def sli_samples(sli: SLI) -> list[str]:
    """Sample names an SLI needs."""
    return [sli.metric] if sli.kind == "availability" else [f"{sli.metric}_bucket"]


def good_total(
    sli: SLI, samples: pd.DataFrame, grid: np.ndarray | None = None, step: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid times and cumulative good and total events on it (reset-aware, summed over targets)."""
    import numpy as np

    pattern = re.compile(sli.service)
    targets = sorted(t for t in set(samples["target"]) if pattern.fullmatch(str(t)))
    if not targets:
        raise ConfigError(
            f"SLI service={sli.service!r} matches no target; known targets: "
            f"{sorted(set(samples['target']))}"
        )
    samples = samples[samples["target"].isin(targets)]
    route = {"route": sli.route} if sli.route else {}
    if sli.kind == "availability":
        total = cumulative(samples, sli.metric, where=label_filter(route))
        bad = cumulative(
            samples, sli.metric, where=label_filter({**route, sli.status_label: sli.errors})
        )
        good = None
    else:
        name = f"{sli.metric}_bucket"
        by_le = cumulative(
            samples, name, where=label_filter(route), key=lambda lab: float(lab.get("le", "nan"))
        )
        bounds = sorted({float(b) for f in by_le.values() for b in f.columns})
        if sli.threshold not in bounds:
            finite = [f"{b:g}" for b in bounds if not math.isinf(b)]
            raise ConfigError(
                f"latency SLI threshold={sli.threshold:g}s is not a bucket bound of {name}; "
                f"pick one of {finite} (seconds)"
            )
        total = {t: f[[math.inf]] for t, f in by_le.items()}
        good = {t: f[[sli.threshold]] for t, f in by_le.items()}
        bad = None
    if grid is None:
        times = np.concatenate([f.index.to_numpy() for f in total.values()])
        grid = np.arange(times.min(), times.max() + step / 2, step)
    t_sum = np.zeros(len(grid))
    g_sum = np.zeros(len(grid))
    for target, frame in total.items():
        t_sum += values_at(frame.index.to_numpy(), frame.sum(axis=1).to_numpy(), grid)
        other = (bad or good or {})[target]
        part = values_at(other.index.to_numpy(), other.sum(axis=1).to_numpy(), grid)
        g_sum += part if good is not None else -part
    if good is None:
        g_sum += t_sum
    return grid, g_sum, t_sum


def window_ratio(bad: np.ndarray, total: np.ndarray, steps: int) -> np.ndarray:
    """Error ratio over a trailing window of ``steps`` grid steps (NaN without traffic)."""
    import numpy as np

    idx = np.clip(np.arange(len(bad)) - max(1, steps), 0, None)
    db, dt = bad - bad[idx], total - total[idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dt > 0, db / np.where(dt > 0, dt, 1.0), np.nan)


def evaluate(
    slo: SLO,
    source: MetricsSource,
    *,
    start: Instant | None = None,
    end: Instant | None = None,
    step: str | float = "1s",
) -> SLOReport:
    """Evaluate ``slo`` over a Scraper, samples DataFrame or Prometheus, every ``step``.

    >>> report = SLO(objective=0.999).compressed("10m").evaluate(scraper)  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    """
    import numpy as np
    import pandas as pd

    s = parse_duration(step, field="step")
    if s <= 0:
        raise ConfigError(f"step={step!r} must be positive")
    samples = to_samples(source, sli_samples(slo.sli), start=start, end=end, step=s)
    if samples.empty:
        raise ObserveError("no samples to evaluate the SLO on; scrape for a few seconds first")
    grid, good, total = good_total(slo.sli, samples, step=s)
    bad = total - good
    frame = pd.DataFrame({"time": pd.to_datetime(grid, unit="s", utc=True)})
    frame["good"] = np.diff(good, prepend=good[0])
    frame["total"] = np.diff(total, prepend=total[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["error_ratio"] = np.where(
            frame["total"] > 0,
            1 - frame["good"] / frame["total"].where(frame["total"] > 0, 1),
            np.nan,
        )
    budget = slo.error_budget
    period_steps = max(1, round(slo.period / s))
    idx = np.clip(np.arange(len(grid)) - period_steps, 0, None)
    span = np.minimum(grid - grid[0], slo.period)
    db, dt = bad - bad[idx], total - total[idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        consumed = (
            np.where(dt > 0, db / (budget * np.where(dt > 0, dt, 1.0)), 0.0) * span / slo.period
        )
    frame["budget_remaining"] = 1.0 - consumed
    alerts = []
    for rule in slo.alert_rules():
        long_b = window_ratio(bad, total, round(rule.long_window / s)) / budget
        short_b = window_ratio(bad, total, round(rule.short_window / s)) / budget
        firing = np.nan_to_num(long_b) > rule.burn_rate
        firing &= np.nan_to_num(short_b) > rule.burn_rate
        frame[f"burn_long_{rule.name}"] = long_b
        frame[f"burn_short_{rule.name}"] = short_b
        frame[f"firing_{rule.name}"] = firing
        alerts.extend(_intervals(rule.name, rule.severity, rule.burn_rate, frame["time"], firing))
    columns = ["rule", "severity", "burn_rate", "start", "end"]
    return SLOReport(slo=slo, df=frame, alerts=pd.DataFrame(alerts, columns=columns), step=s)


def _intervals(
    name: str, severity: str, burn: float, times: pd.Series, firing: np.ndarray
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    start = None
    for i, on in enumerate(firing):
        if on and start is None:
            start = times.iloc[i]
        elif not on and start is not None:
            out.append(
                {
                    "rule": name,
                    "severity": severity,
                    "burn_rate": burn,
                    "start": start,
                    "end": times.iloc[i],
                }
            )
            start = None
    if start is not None:
        out.append(
            {"rule": name, "severity": severity, "burn_rate": burn, "start": start, "end": None}
        )
    return out
