"""Turn any metrics source (scraper, samples DataFrame, Prometheus URL) into tidy samples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pulsekit.errors import ConfigError
from pulsekit.observe._series import check_samples

if TYPE_CHECKING:
    import pandas as pd


def to_samples(
    source: Any,
    metrics: Sequence[str],
    *,
    start: Any = None,
    end: Any = None,
    step: str | float = "1s",
    lookback: str | float = "5m",
) -> pd.DataFrame:
    """Tidy samples of ``metrics`` from a Scraper, a DataFrame, a Prometheus or its URL.

    A sandbox started with ``prometheus=True`` counts as its Prometheus.
    """
    import pandas as pd

    from pulsekit.observe.prometheus import Prometheus
    from pulsekit.observe.scrape import Scraper

    if isinstance(source, Scraper):
        frame = source.df
    elif isinstance(source, pd.DataFrame):
        frame = check_samples(source)
    else:
        if getattr(source, "prometheus_url", None):
            source = source.prometheus_url
        if isinstance(source, str) and source.startswith(("http://", "https://")):
            source = Prometheus(source)
        if not isinstance(source, Prometheus):
            raise ConfigError(
                f"source={source!r}: pass a Scraper (pulsekit.observe.scrape(...)), a samples "
                "DataFrame, a Prometheus(url) or a Prometheus URL such as http://127.0.0.1:9090"
            )
        return source.samples(list(metrics), start=start, end=end, step=step, lookback=lookback)
    if start is not None or end is not None:
        times = pd.to_datetime(frame["time"], utc=True)
        keep = pd.Series(True, index=frame.index)
        if start is not None:
            keep &= times >= to_timestamp(start)
        if end is not None:
            keep &= times <= to_timestamp(end)
        frame = frame[keep]
    return frame


def to_timestamp(value: Any) -> pd.Timestamp:
    """A UTC Timestamp from unix seconds, a datetime, a Timestamp or an ISO string."""
    import pandas as pd

    if isinstance(value, int | float):
        return pd.Timestamp(float(value), unit="s", tz="UTC")
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
