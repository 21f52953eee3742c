"""Load billing files (FOCUS 1.0-1.4, AWS CUR 2.0; CSV or Parquet) into one canonical Parquet file.

A file is converted once and cached by path, size and modification time; every query then reads the
canonical Parquet file through DuckDB.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pulsekit.costs import _schema, cur
from pulsekit.costs._engine import (
    PARQUET_OPTIONS,
    connect,
    ident,
    interrupted,
    literal,
    one_line,
    path_literal,
)
from pulsekit.costs._schema import typed
from pulsekit.errors import CostError, SchemaError

if TYPE_CHECKING:
    import duckdb

SCHEMA_VERSION = "focus-1.2-pk1"


def default_cache_dir() -> Path:
    """Where converted files go: ``$PULSEKIT_CACHE_DIR`` or ``~/.cache/pulsekit/costs``."""
    if os.environ.get("PULSEKIT_CACHE_DIR"):
        return Path(os.environ["PULSEKIT_CACHE_DIR"]) / "costs"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulsekit" / "costs"


def _files(source: Path) -> list[Path]:
    if not source.exists():
        raise CostError(
            f"billing source {source} does not exist; pass a FOCUS or CUR 2.0 file or folder"
        )
    if source.is_dir():
        found = sorted(
            p
            for p in source.rglob("*")
            if p.is_file() and p.name.endswith((".parquet", ".csv", ".csv.gz"))
        )
        if not found:
            raise CostError(f"folder {source} holds no .parquet, .csv or .csv.gz file")
        return found
    return [source]


def _reader(files: list[Path]) -> str:
    # each file by its own name: DuckDB would read "x*.csv" as every file matching x*.csv
    names = "[" + ", ".join(path_literal(f) for f in files) + "]"
    if all(f.name.endswith(".parquet") for f in files):
        return f"read_parquet({names}, union_by_name=true)"
    if any(f.name.endswith(".parquet") for f in files):
        raise CostError("a billing folder mixes Parquet and CSV files; convert them to one format")
    return (
        f"read_csv({names}, header=true, all_varchar=true, union_by_name=true, "
        "nullstr=['NULL', ''])"
    )


def _sweep_stale_tmp(folder: Path) -> None:
    """Remove temp files of conversions whose process died (SIGKILL leaves them behind)."""
    for tmp in folder.glob(".*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def describe(con: duckdb.DuckDBPyConnection, reader: str) -> dict[str, str]:
    """Column name -> DuckDB type of a reader expression."""
    import duckdb

    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except (duckdb.Error, RuntimeError) as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from exc
        raise CostError(
            f"cannot read billing data: {one_line(exc)}; pass a complete FOCUS or AWS CUR 2.0 "
            "export (CSV, CSV.gz or Parquet)"
        ) from exc
    return {str(r[0]): str(r[1]) for r in rows}


def detect_kind(columns: dict[str, str]) -> str:
    """``"cur"`` for AWS CUR 2.0 (snake_case line_item_* columns), ``"focus"`` otherwise."""
    return "cur" if any(c.startswith("line_item_") for c in columns) else "focus"


def check_types(
    con: duckdb.DuckDBPyConnection, reader: str, checks: dict[str, tuple[str, str]], what: str
) -> None:
    """Raise SchemaError if the source has no rows or values that do not parse as their type.

    ``checks`` maps a canonical column to (raw SQL, typed SQL).
    """
    import duckdb

    parts = ["count(*)"]
    for raw, conv in checks.values():
        parts.append(f"count(*) FILTER (WHERE {raw} IS NOT NULL AND {conv} IS NULL)")
        parts.append(
            f"any_value(CAST({raw} AS VARCHAR)) FILTER (WHERE {raw} IS NOT NULL AND {conv} IS NULL)"
        )
    try:
        row = con.execute(f"SELECT {', '.join(parts)} FROM {reader}").fetchone()
    except (duckdb.Error, RuntimeError) as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from exc
        raise SchemaError(
            f"{what}: cannot read or convert columns: {one_line(exc)}; check the export is "
            "complete and not corrupted"
        ) from exc
    assert row is not None
    if row[0] == 0:
        raise SchemaError(f"{what} has no rows; export a billing period that has charges")
    bad = []
    for i, (name, _) in enumerate(checks.items()):
        count, example = row[1 + 2 * i], row[2 + 2 * i]
        if count:
            kind = "a number" if "DOUBLE" in checks[name][1] else "a timestamp"
            bad.append(f"{name} ({count} values are not {kind}, e.g. {example!r})")
    if bad:
        raise SchemaError(
            f"{what} has columns of the wrong type: {'; '.join(bad)}; fix the export or these values"
        )


def _focus_select(columns: dict[str, str], what: str) -> tuple[str, dict[str, tuple[str, str]]]:
    by_lower = {c.lower(): c for c in columns}
    mapping: dict[str, str] = {}
    for canonical in _schema.COLUMNS:
        if canonical.lower() in by_lower:
            mapping[canonical] = by_lower[canonical.lower()]
    for alias, canonical in _schema.ALIASES.items():
        if canonical not in mapping and alias.lower() in by_lower:
            mapping[canonical] = by_lower[alias.lower()]
    missing = [c for c in _schema.MANDATORY if c not in mapping]
    if missing:
        raise SchemaError(
            f"{what} is missing {len(missing)} mandatory FOCUS column(s): {', '.join(missing)}; "
            "export FOCUS 1.0-1.4 with all mandatory columns (a 1.3+ export may name "
            "ProviderName ServiceProviderName)"
        )
    select, checks = [], {}
    for canonical, target in _schema.COLUMNS.items():
        if canonical in mapping:
            src = mapping[canonical]
            conv = typed(ident(src), columns[src], target)
            if target != "VARCHAR" and columns[src].upper() == "VARCHAR":
                checks[canonical] = (ident(src), conv)
            select.append(f"{conv} AS {ident(canonical)}")
        else:
            select.append(f"CAST(NULL AS {target}) AS {ident(canonical)}")
    used = set(mapping.values())
    for col in columns:
        if col in used or col.lower() in {c.lower() for c in _schema.COLUMNS}:
            continue
        out = col if col.startswith("x_") else f"x_{col}"
        select.append(f"{ident(col)} AS {ident(out)}")
    return ",\n  ".join(select), checks


def is_canonical(columns: dict[str, str]) -> bool:
    """True when a Parquet file already has every canonical column with its canonical type."""
    return all(columns.get(c, "").upper() == t for c, t in _schema.COLUMNS.items())


def convert(
    source: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    kind: str = "auto",
    force: bool = False,
) -> Path:
    """Convert a FOCUS or CUR 2.0 file (or folder) to canonical Parquet once; return its path.

    Already-canonical Parquet (for example the bundled sample) is returned as is.
    """
    path = Path(source).expanduser().resolve()
    files = _files(path)
    what = f"billing file {path}"
    for f in files:
        if f.stat().st_size == 0:
            raise SchemaError(
                f"billing file {f} is empty; export a billing period that has charges"
            )
    con = connect()
    try:
        reader = _reader(files)
        columns = describe(con, reader)
        if kind == "auto":
            kind = detect_kind(columns)
        if kind not in ("focus", "cur"):
            raise CostError(f"kind={kind!r} is unknown; use 'auto', 'focus' or 'cur'")
        canonical = reader.startswith("read_parquet") and is_canonical(columns)
        if kind == "focus" and canonical and len(files) == 1:
            return files[0]
        stat = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
        key = hashlib.sha256(repr((stat, kind, SCHEMA_VERSION)).encode()).hexdigest()[:16]
        target_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        target = target_dir / f"{path.name.split('.')[0]}-{key}.parquet"
        if target.exists() and not force:
            return target
        if kind == "focus":
            select, checks = _focus_select(columns, what)
        else:
            select, checks = cur.cur_select(columns, what)
        check_types(con, reader, checks, what)
        target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        _sweep_stale_tmp(target_dir)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            con.execute(
                f"COPY (SELECT {select} FROM {reader} ORDER BY ChargePeriodStart) "
                f"TO {literal(str(tmp))} ({PARQUET_OPTIONS})"
            )
            os.chmod(tmp, 0o600)  # account IDs and costs: private, as every pulsekit record
            os.replace(tmp, target)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if interrupted(exc):
                raise KeyboardInterrupt from exc
            if not isinstance(exc, Exception):
                raise
            raise CostError(
                f"{what}: conversion to Parquet failed: {one_line(exc)}; check the export "
                "is complete and the cache folder is writable"
            ) from exc
        return target
    finally:
        con.close()
