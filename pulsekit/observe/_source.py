"""Turn any metrics source (scraper, samples DataFrame, Prometheus URL) into tidy samples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

from pulsekit._types import HasPrometheusURL, Instant
from pulsekit.errors import ConfigError
from pulsekit.observe._series import check_samples
from pulsekit.observe._series import to_timestamp as to_timestamp  # re-exported: its old home
from pulsekit.observe.prometheus import Prometheus
from pulsekit.observe.scrape import Scraper

if TYPE_CHECKING:
    import pandas as pd

MetricsSource: TypeAlias = "Scraper | pd.DataFrame | Prometheus | str | HasPrometheusURL"
"""Where samples come from: a Scraper, a samples DataFrame, a Prometheus, its URL, or a Sandbox
started with ``prometheus=True``."""


def to_samples(
    source: MetricsSource,
    metrics: Sequence[str],
    *,
    start: Instant | None = None,
    end: Instant | None = None,
    step: str | float = "1s",
    lookback: str | float = "5m",
) -> pd.DataFrame:
    """Tidy samples of ``metrics`` from a Scraper, a DataFrame, a Prometheus or its URL.

    A sandbox started with ``prometheus=True`` counts as its Prometheus.
    """
    import pandas as pd

    if isinstance(source, Scraper):
        frame = source.df
    elif isinstance(source, pd.DataFrame):
        frame = check_samples(source)
    else:
        found: object = getattr(source, "prometheus_url", None) or source
        if isinstance(found, str) and found.startswith(("http://", "https://")):
            found = Prometheus(found)
        if not isinstance(found, Prometheus):
            raise ConfigError(
                f"source={found!r}: pass a Scraper (pulsekit.observe.scrape(...)), a samples "
                "DataFrame, a Prometheus(url) or a Prometheus URL such as http://127.0.0.1:9090"
            )
        return found.samples(list(metrics), start=start, end=end, step=step, lookback=lookback)
    if start is not None or end is not None:
        times = pd.to_datetime(frame["time"], utc=True)
        keep = pd.Series(True, index=frame.index)
        if start is not None:
            keep &= times >= to_timestamp(start)
        if end is not None:
            keep &= times <= to_timestamp(end)
        frame = frame[keep]
    return frame
