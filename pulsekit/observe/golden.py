"""The four golden signals per service: traffic, errors, latency (p50/p95/p99), saturation."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, frame_records, html_view, no_time_axis
from pulsekit._types import Instant
from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError
from pulsekit.observe._series import (
    bucket_quantile,
    cumulative,
    gauge,
    label_filter,
    require_metric,
    seconds,
    values_at,
)
from pulsekit.observe._source import MetricsSource, to_samples

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes

COLUMNS = ["traffic_rps", "error_ratio", "p50_ms", "p95_ms", "p99_ms", "in_flight", "saturation"]


@dataclass(frozen=True)
class GoldenMetrics:
    """Which metrics carry each signal (defaults: the sandbox's ``shop_*`` names)."""

    requests: str = "shop_http_requests_total"
    duration: str = "shop_http_request_duration_seconds"
    in_flight: str = "shop_http_requests_in_flight"
    pool_in_use: str = "shop_db_pool_in_use"
    pool_size: str = "shop_db_pool_size"
    status_label: str = "status"
    errors: str = "5.."

    def sample_names(self) -> list[str]:
        """Sample names to fetch from a source."""
        return [
            self.requests,
            f"{self.duration}_bucket",
            self.in_flight,
            self.pool_in_use,
            self.pool_size,
            "up",
        ]


@dataclass(frozen=True, eq=False)
class GoldenSignals(ResultMixin):
    """Golden signals per target over the last ``window`` seconds (``df`` indexed by target)."""

    df: pd.DataFrame
    window: float
    at: pd.Timestamp | None = None

    def summary(self) -> str:
        """A small fixed-width table, rounded for reading."""
        lines = [
            f"golden signals over {self.window:g}s",
            f"{'target':<14}{'rps':>8}{'errors':>8}{'p50ms':>8}{'p95ms':>8}{'p99ms':>8}"
            f"{'inflt':>7}{'sat':>6}",
        ]
        for target, row in self.df.iterrows():
            lines.append(
                f"{target!s:<14}{_fmt(row.traffic_rps, '.1f'):>8}{_fmt(row.error_ratio, '.1%'):>8}"
                f"{_fmt(row.p50_ms, '.0f'):>8}{_fmt(row.p95_ms, '.0f'):>8}"
                f"{_fmt(row.p99_ms, '.0f'):>8}{_fmt(row.in_flight, '.0f'):>7}"
                f"{_fmt(row.saturation, '.0%'):>6}"
            )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per target: the signals over the window (a copy of ``df``)."""
        return self.df.copy()

    def to_dict(self) -> dict[str, Any]:
        """Window, time and one record per target, JSON-safe."""
        at = None if self.at is None else self.at.isoformat()
        return {"window_s": self.window, "at": at, "targets": frame_records(self.df)}

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.df)

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Horizontal bars of p95 latency per target (no time axis: ``faults`` must be empty)."""
        from pulsekit.observe.charts import golden_bars

        no_time_axis(faults, "GoldenSignals.plot (p95 per target)")
        return golden_bars(self, ax=ax)


@dataclass(frozen=True, eq=False)
class GoldenTimeline(ResultMixin):
    """Golden signals per target over time (long ``df``: time, target, signals)."""

    df: pd.DataFrame
    window: float
    metrics: GoldenMetrics = field(default_factory=GoldenMetrics)

    def summary(self) -> str:
        """Row counts and the time span."""
        if self.df.empty:
            return "golden timeline: no samples"
        span = (self.df["time"].max() - self.df["time"].min()).total_seconds()
        targets = sorted(set(self.df["target"]))
        return f"golden timeline: {len(targets)} targets over {span:.0f}s (window {self.window:g}s)"

    def to_frame(self) -> pd.DataFrame:
        """One row per (time, target) with the signals over the trailing window (a copy of ``df``)."""
        return self.df.copy()

    def to_dict(self) -> dict[str, Any]:
        """Window and one record per (time, target), JSON-safe."""
        return {"window_s": self.window, "rows": frame_records(self.df)}

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.df)

    def plot(
        self,
        ax: Axes | None = None,
        *,
        faults: Any = (),
        targets: Any = None,
        signal: str = "p95_ms",
    ) -> Axes:
        """The golden-signals panel (four stacked Axes, the top one returned), shading ``faults``;
        with ``ax``, just ``signal`` (``traffic_rps``, ``error_ratio``, ``p95_ms``, ``saturation``)."""
        from pulsekit.observe.charts import golden_panel

        return golden_panel(self, faults=faults, targets=targets, ax=ax, signal=signal)


def _fmt(value: float, spec: str) -> str:
    return (
        "-"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else format(value, spec)
    )


def _evaluate(
    samples: pd.DataFrame, at: np.ndarray, window: float, metrics: GoldenMetrics
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    require_metric(samples, metrics.requests)
    total = cumulative(samples, metrics.requests)
    errors = cumulative(
        samples, metrics.requests, where=label_filter({metrics.status_label: metrics.errors})
    )
    bucket_name = f"{metrics.duration}_bucket"
    has_buckets = bool((samples["metric"] == bucket_name).any())
    buckets = (
        cumulative(samples, bucket_name, key=lambda lab: float(lab.get("le", "nan")))
        if has_buckets
        else {}
    )
    in_flight = gauge(samples, metrics.in_flight)
    in_use, size = gauge(samples, metrics.pool_in_use), gauge(samples, metrics.pool_size)
    frames = []
    for target, tot in total.items():
        t = tot.index.to_numpy()
        c = tot.sum(axis=1).to_numpy()
        e_frame = errors[target]
        e = values_at(e_frame.index.to_numpy(), e_frame.sum(axis=1).to_numpy(), t)
        last = np.searchsorted(t, at, side="right") - 1
        first = np.searchsorted(t, at - window - 1e-9, side="left")
        ok = (last >= 0) & (first < last)
        li, fi = np.clip(last, 0, None), np.clip(first, 0, len(t) - 1)
        dt = np.where(ok, t[li] - t[fi], np.nan)
        dc = np.where(ok, c[li] - c[fi], np.nan)
        de = np.where(ok, e[li] - e[fi], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            rows: dict[str, Any] = {
                "traffic_rps": dc / dt,
                "error_ratio": np.where(dc > 0, de / np.where(dc > 0, dc, 1), np.nan),
            }
        quantiles = np.full((len(at), 3), np.nan)
        if target in buckets:
            b = buckets[target]
            cols = sorted((k for k in b.columns if not math.isnan(float(k))), key=float)
            bounds = [float(k) for k in cols]
            matrix = values_at(b.index.to_numpy(), b[cols].to_numpy(), t)
            for n in np.flatnonzero(ok):
                delta = matrix[li[n]] - matrix[fi[n]]
                quantiles[n] = [bucket_quantile(q, bounds, delta) for q in (0.5, 0.95, 0.99)]
        rows["p50_ms"], rows["p95_ms"], rows["p99_ms"] = (quantiles * 1000.0).T
        rows["in_flight"] = _gauge_at(in_flight.get(target), at, window)
        pool_used, pool_size = (
            _gauge_at(in_use.get(target), at, window),
            _gauge_at(size.get(target), at, window),
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            rows["saturation"] = np.where(pool_size > 0, pool_used / pool_size, np.nan)
        frame = pd.DataFrame(rows)
        frame.insert(0, "target", target)
        frame.insert(0, "time", pd.to_datetime(at, unit="s", utc=True))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _gauge_at(series: pd.Series | None, at: np.ndarray, window: float) -> np.ndarray:
    """Last gauge value at each time, NaN when the latest sample is older than ``window``."""
    import numpy as np

    if series is None or series.empty:
        return np.full(len(at), np.nan)
    t = series.index.to_numpy()
    idx = np.searchsorted(t, at, side="right") - 1
    values = series.to_numpy()[np.clip(idx, 0, None)]
    fresh = (idx >= 0) & (at - t[np.clip(idx, 0, None)] <= window)
    return np.where(fresh, values, np.nan)


def _select(samples: pd.DataFrame, targets: str | Iterable[str] | None) -> pd.DataFrame:
    if targets is None:
        return samples
    wanted = [targets] if isinstance(targets, str) else list(targets)
    unknown = sorted(set(wanted) - set(samples["target"]))
    if unknown:
        raise ConfigError(
            f"targets {unknown} not in the samples; known targets: {sorted(set(samples['target']))}"
        )
    return samples[samples["target"].isin(wanted)]


def golden_signals(
    source: MetricsSource,
    *,
    window: str | float = "30s",
    targets: str | Iterable[str] | None = None,
    metrics: GoldenMetrics | None = None,
) -> GoldenSignals:
    """Golden signals per target over the last ``window`` of a scraper, DataFrame or Prometheus.

    >>> golden_signals(scraper, window="30s").summary()  # doctest: +SKIP
    """
    import numpy as np
    import pandas as pd

    metrics = metrics or GoldenMetrics()
    w = parse_duration(window, field="window")
    samples = _select(
        to_samples(source, metrics.sample_names(), lookback=max(w * 2, 60.0)), targets
    )
    require_metric(samples, metrics.requests)
    now = float(seconds(samples["time"]).max())
    frame = _evaluate(samples, np.asarray([now]), w, metrics)
    frame = frame.drop(columns=["time"]).set_index("target")
    return GoldenSignals(df=frame, window=w, at=pd.Timestamp(now, unit="s", tz="UTC"))


def golden_timeline(
    source: MetricsSource,
    *,
    window: str | float = "10s",
    step: str | float = "1s",
    start: Instant | None = None,
    end: Instant | None = None,
    targets: str | Iterable[str] | None = None,
    metrics: GoldenMetrics | None = None,
) -> GoldenTimeline:
    """Golden signals per target every ``step``, each over the trailing ``window``."""
    import numpy as np

    metrics = metrics or GoldenMetrics()
    w, s = parse_duration(window, field="window"), parse_duration(step, field="step")
    if s <= 0:
        raise ConfigError(f"step={step!r} must be positive, e.g. '1s'")
    samples = _select(
        to_samples(source, metrics.sample_names(), start=start, end=end, step=s), targets
    )
    t = seconds(require_metric(samples, metrics.requests)["time"])
    at = np.arange(t.min(), t.max() + s / 2, s)
    return GoldenTimeline(df=_evaluate(samples, at, w, metrics), window=w, metrics=metrics)
