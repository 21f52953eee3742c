"""FinOps cost queries: FOCUS billing data (FOCUS, AWS CUR 2.0, Cost Explorer) in DuckDB.

>>> costs = pulsekit.costs.open()          # the bundled marketplace sample
>>> costs.cost_by("service", "month").summary()
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pulsekit.costs.egress import classify_usage_type
from pulsekit.errors import CostError, SchemaError

if TYPE_CHECKING:
    import pandas as pd

    from pulsekit.costs.dataset import CostData

__all__ = [
    "CostData",
    "CostError",
    "SchemaError",
    "classify_usage_type",
    "convert",
    "generate_sample",
    "load_cost_explorer",
    "open",
    "open_sample",
]


def open(
    source: str | os.PathLike[str] | None = None,
    *,
    metrics: str | os.PathLike[str] | pd.DataFrame | None = None,
    kind: str = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    threads: int = 2,
    memory_limit: str = "1GB",
) -> CostData:
    """Open billing data for queries; no ``source`` opens the bundled sample (with its metrics).

    ``source`` is a FOCUS 1.0-1.4 or AWS CUR 2.0 file or folder (CSV, CSV.gz or Parquet), converted
    once to canonical Parquet in ``cache_dir``. ``metrics`` is a business-metrics table (date,
    service, requests, orders) for unit costs.
    """
    from pulsekit.costs.dataset import CostData
    from pulsekit.costs.sample import SAMPLE_DIR
    from pulsekit.costs.sources import convert

    if source is None:
        return CostData(
            SAMPLE_DIR / "focus.parquet",
            metrics=SAMPLE_DIR / "business_metrics.parquet" if metrics is None else metrics,
            threads=threads,
            memory_limit=memory_limit,
            label="bundled sample",
        )
    parquet = convert(source, cache_dir=cache_dir, kind=kind)
    return CostData(
        parquet,
        metrics=metrics,
        threads=threads,
        memory_limit=memory_limit,
        label=os.fspath(source),
    )


def open_sample(**kwargs: Any) -> CostData:
    """The bundled marketplace sample (same as ``open()``)."""
    return open(None, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "CostData":
        from pulsekit.costs.dataset import CostData

        return CostData
    if name == "convert":
        from pulsekit.costs.sources import convert

        return convert
    if name == "generate_sample":
        from pulsekit.costs.sample import generate

        return generate
    if name == "load_cost_explorer":
        from pulsekit.costs.explorer import load_cost_explorer

        return load_cost_explorer
    raise AttributeError(f"module 'pulsekit.costs' has no attribute {name!r}")
