"""DuckDB plumbing: a configured connection, quoting, and queries that raise CostError."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pulsekit.errors import CostError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


# How pulsekit writes the canonical Parquet files it queries (converted exports, Cost Explorer
# pulls): LZ4 decodes about twice as fast as zstd for about 30% more bytes on disk, and these
# files are a local cache read by every query (docs/benchmarks.md, "the monthly group-by").
PARQUET_CODEC = "lz4_raw"
PARQUET_OPTIONS = f"FORMAT parquet, COMPRESSION {PARQUET_CODEC}"


def connect(*, threads: int = 2, memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with bounded threads and memory, times in UTC, caching
    Parquet metadata (a dataset keeps its connection for all its queries)."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET threads={int(threads)}")
        con.execute(f"SET memory_limit={literal(memory_limit)}")
    except duckdb.Error as exc:
        con.close()
        raise CostError(
            f"threads={threads!r} / memory_limit={memory_limit!r} refused: {one_line(exc)}; "
            "use a whole number of threads and a size like '1GB'"
        ) from exc
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


_GLOB = {"*": "[*]", "?": "[?]", "[": "[[]"}


def path_literal(path: str | os.PathLike[str]) -> str:
    """A file path as a literal that DuckDB's readers take literally, never as a glob pattern.

    ``read_csv('x*.csv')`` reads every file matching ``x*.csv``; a file really named so must be
    written ``x[*].csv``.
    """
    return literal("".join(_GLOB.get(c, c) for c in str(path)))


def interrupted(exc: BaseException) -> bool:
    """True when DuckDB stopped a query because of Ctrl-C (then raise KeyboardInterrupt)."""
    import duckdb

    # a COPY interrupted by SIGINT surfaces as a plain RuntimeError("Query interrupted")
    return isinstance(exc, duckdb.InterruptException) or str(exc).startswith(
        ("Query interrupted", "INTERRUPT Error")
    )


def one_line(exc: BaseException) -> str:
    """The first line of a (DuckDB) error, without the SQL it echoes."""
    text = str(exc).strip().splitlines()
    first = text[0].strip() if text else type(exc).__name__
    return first if len(first) <= 300 else first[:297] + "..."


def query_df(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> pd.DataFrame:
    """Run ``sql`` and return the whole (aggregated) result as a DataFrame."""
    import duckdb

    try:
        return con.execute(sql, list(params or [])).df()
    except (duckdb.Error, RuntimeError) as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from exc
        if not isinstance(exc, duckdb.Error):
            raise
        raise CostError(f"cost query failed: {exc}") from exc


def query_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run ``sql`` and return all rows as tuples."""
    import duckdb

    try:
        return con.execute(sql, list(params or [])).fetchall()
    except (duckdb.Error, RuntimeError) as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from exc
        if not isinstance(exc, duckdb.Error):
            raise
        raise CostError(f"cost query failed: {exc}") from exc
