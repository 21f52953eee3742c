"""Counter and histogram math over tidy samples: reset-aware increases, windows, quantiles."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING

from pulsekit._types import Instant
from pulsekit.errors import ConfigError, MetricNotFoundError
from pulsekit.observe._exposition import parse_labels

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

REQUIRED = ("time", "target", "metric", "labels", "value")


def check_samples(samples: pd.DataFrame) -> pd.DataFrame:
    """Raise ConfigError unless ``samples`` has the tidy columns."""
    missing = [c for c in REQUIRED if c not in samples.columns]
    if missing:
        raise ConfigError(
            f"samples DataFrame lacks columns {missing}; expected {list(REQUIRED)} "
            "(as returned by Scraper.df or Prometheus.samples())"
        )
    return samples


def seconds(times: pd.Series) -> np.ndarray:
    """Unix seconds (float) of a datetime column."""
    import pandas as pd

    values = pd.to_datetime(times, utc=True)
    return ((values - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)


def require_metric(samples: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows of ``metric``, or :class:`MetricNotFoundError` listing the known metric names."""
    rows = samples[samples["metric"] == metric]
    if rows.empty:
        import difflib

        known = sorted(set(samples["metric"]))
        close = difflib.get_close_matches(metric, known, n=3, cutoff=0.6)
        hint = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        raise MetricNotFoundError(
            f"metric {metric!r} not found in {len(samples)} samples; "
            + (f"did you mean {', '.join(close)}? " if close else "")
            + f"known metrics: {hint or '(none: nothing scraped yet, or every scrape failed)'}"
        )
    return rows


def label_filter(matchers: dict[str, str] | None) -> Callable[[dict[str, str]], bool] | None:
    """A predicate for PromQL-like regex matchers ``{"status": "5.."}`` (fully anchored)."""
    if not matchers:
        return None
    compiled = {k: re.compile(v) for k, v in matchers.items()}
    return lambda labels: all(p.fullmatch(labels.get(k, "")) for k, p in compiled.items())


def _cumulate(column: np.ndarray, late: bool) -> np.ndarray:
    """Reset-aware cumulative increase of one counter series (NaN = no sample), forward-filled."""
    import numpy as np

    valid = ~np.isnan(column)
    idx = np.flatnonzero(valid)
    out = np.full(column.shape, np.nan)
    if idx.size == 0:
        return np.zeros(column.shape)
    vals = column[idx]
    # a series first seen after its target's first scrape was born in between: it counts from 0
    prev = np.concatenate([[0.0 if late else vals[0]], vals[:-1]])
    increase = np.where(vals >= prev, vals - prev, vals)  # a drop is a restart from 0
    out[idx] = np.cumsum(increase)
    out[: idx[0]] = 0.0
    filled = np.maximum.accumulate(np.nan_to_num(out, nan=-np.inf))
    return np.where(np.isinf(filled), 0.0, filled)


def cumulative(
    samples: pd.DataFrame,
    metric: str,
    *,
    where: Callable[[dict[str, str]], bool] | None = None,
    key: Callable[[dict[str, str]], Hashable] | None = None,
) -> dict[str, pd.DataFrame]:
    """Per target: a frame indexed by unix seconds whose columns (``key`` groups) hold reset-aware
    cumulative increases of ``metric`` since the first sample."""
    import numpy as np
    import pandas as pd

    rows = require_metric(samples, metric)
    first_seen = samples.groupby("target")["time"].min()
    out: dict[str, pd.DataFrame] = {}
    for target, group in rows.groupby("target", sort=True):
        wide = group.drop_duplicates(["time", "labels"], keep="last").pivot(
            index="time", columns="labels", values="value"
        )
        times = wide.index
        first = first_seen[target]
        columns: dict[Hashable, np.ndarray] = {}
        for labels_text in wide.columns:
            labels = parse_labels(str(labels_text))
            if where is not None and not where(labels):
                continue
            col = wide[labels_text].to_numpy(dtype=float)
            late = bool(times[int(np.flatnonzero(~np.isnan(col))[0])] > first)
            k = key(labels) if key else "value"
            cum = _cumulate(col, late)
            columns[k] = columns[k] + cum if k in columns else cum
        frame = pd.DataFrame(columns, index=seconds(pd.Series(times)))
        if frame.shape[1] == 0:
            frame = pd.DataFrame({"value": np.zeros(len(times))}, index=frame.index)
        out[str(target)] = frame
    return out


def gauge(samples: pd.DataFrame, metric: str) -> dict[str, pd.Series]:
    """Per target: the sum over series of a gauge, indexed by unix seconds."""
    import pandas as pd

    rows = samples[samples["metric"] == metric]
    out = {}
    for target, group in rows.groupby("target", sort=True):
        summed = group.groupby("time")["value"].sum()
        out[str(target)] = pd.Series(summed.to_numpy(), index=seconds(pd.Series(summed.index)))
    return out


def window_start(times: np.ndarray, window: float) -> np.ndarray:
    """Index of the first sample inside ``[t - window, t]`` for every ``t`` in ``times``."""
    import numpy as np

    return np.searchsorted(times, times - window - 1e-9, side="left")


def values_at(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Step (last observation carried forward) lookup of ``values`` at times ``at``; 0 before."""
    import numpy as np

    idx = np.searchsorted(times, at, side="right") - 1
    picked = values[np.clip(idx, 0, None)].astype(float)
    picked[idx < 0] = 0.0
    return picked


def bucket_quantile(q: float, bounds: Sequence[float], counts: Sequence[float]) -> float:
    """``histogram_quantile`` with PromQL semantics over cumulative bucket counts.

    ``bounds`` ascending upper bounds ending with +Inf; ``counts`` cumulative per bound.
    """
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    if not bounds or not math.isinf(bounds[-1]):
        return math.nan
    fixed: list[float] = []
    running = 0.0
    for c in counts:  # counts may dip through scrape skew: force monotonic as Prometheus does
        running = max(running, float(c))
        fixed.append(running)
    if len(bounds) < 2 or fixed[-1] <= 0:
        return math.nan
    rank = q * fixed[-1]
    b = next((i for i in range(len(bounds) - 1) if fixed[i] >= rank), len(bounds) - 1)
    if b == len(bounds) - 1:
        return float(bounds[-2])
    if b == 0 and bounds[0] <= 0:
        return float(bounds[0])
    start, end, count = 0.0, float(bounds[b]), fixed[b]
    if b > 0:
        start = float(bounds[b - 1])
        count -= fixed[b - 1]
        rank -= fixed[b - 1]
    return start + (end - start) * (rank / count)


def to_timestamp(value: Instant) -> pd.Timestamp:
    """A UTC Timestamp from unix seconds, a datetime, a Timestamp or an ISO string."""
    import pandas as pd

    if isinstance(value, int | float):
        return pd.Timestamp(float(value), unit="s", tz="UTC")
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
