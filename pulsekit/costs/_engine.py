"""DuckDB plumbing: a configured connection, quoting, and queries that raise CostError."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pulsekit.errors import CostError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def connect(*, threads: int = 2, memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with bounded threads and memory, times in UTC, caching
    Parquet metadata (a dataset keeps its connection for all its queries)."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads={int(threads)}")
    con.execute(f"SET memory_limit='{memory_limit}'")
    con.execute("SET TimeZone='UTC'")
    # no progress bar on stdout; in Jupyter it is already off and cannot be changed
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar=false")
    # one connection serves every query of a dataset: keep each Parquet file's footer (schema,
    # row groups, statistics) after the first read instead of parsing it again per query
    with contextlib.suppress(duckdb.Error):
        con.execute("SET parquet_metadata_cache=true")
    return con


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """``value`` as a quoted SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def query_df(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> pd.DataFrame:
    """Run ``sql`` and return the whole (aggregated) result as a DataFrame."""
    import duckdb

    try:
        return con.execute(sql, list(params or [])).df()
    except duckdb.Error as exc:
        raise CostError(f"cost query failed: {exc}") from exc


def query_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run ``sql`` and return all rows as tuples."""
    import duckdb

    try:
        return con.execute(sql, list(params or [])).fetchall()
    except duckdb.Error as exc:
        raise CostError(f"cost query failed: {exc}") from exc
