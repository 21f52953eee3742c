"""Hostile billing inputs: file names are literal, errors are one line, nothing reaches SQL raw."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import pulsekit.costs as pc
from pulsekit.costs.sources import convert
from pulsekit.errors import CostError
from tests.costs.conftest import DATA

SLICE = DATA / "focus_1_0_slice.csv"
ROWS = 259  # rows of the slice


def _rows(source: Path, cache: Path) -> int:
    with pc.open(source, cache_dir=cache) as data:
        return data.coverage()[2]


@pytest.mark.parametrize(
    ("odd", "others"),
    [("x*.csv", ["xy.csv", "xz.csv"]), ("x?.csv", ["xa.csv"]), ("[ab].csv", ["a.csv", "b.csv"])],
)
def test_glob_characters_in_file_names_are_taken_literally(
    tmp_path: Path, odd: str, others: list[str]
) -> None:
    """A file named x*.csv reads that file only; a folder of N files reads N x its rows."""
    folder = tmp_path / "glob"
    folder.mkdir()
    for name in [odd, *others]:
        shutil.copy(SLICE, folder / name)
    assert _rows(folder / odd, tmp_path / "c1") == ROWS
    assert _rows(folder, tmp_path / "c2") == ROWS * (1 + len(others))


def test_glob_characters_in_folders_and_parquet_names_are_literal(tmp_path: Path) -> None:
    """Canonical Parquet named p*.parquet, and a cache folder named c[1]*, are read literally."""
    cache = tmp_path / "c[1]*"
    canonical = convert(SLICE, cache_dir=cache)  # written to, then read back from, c[1]*
    assert _rows(SLICE, cache) == ROWS
    folder = tmp_path / "pq"
    folder.mkdir()
    for name in ("p*.parquet", "pa.parquet", "pb.parquet"):
        shutil.copy(canonical, folder / name)
    with pc.open(folder / "p*.parquet") as data:
        assert data.coverage()[2] == ROWS
    metrics = tmp_path / "m*.csv"
    metrics.write_text("date,service,requests,orders\n2024-09-01,web,10,1\n")
    (tmp_path / "mx.csv").write_text("date,service,requests,orders\n2024-09-01,web,90,9\n")
    with pc.open(folder / "p*.parquet", metrics=metrics) as data:
        assert data.sql("SELECT sum(requests) AS r FROM metrics")["r"][0] == 10


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text, text
    assert "LINE 1" not in text and "SELECT" not in text, text
    return text


def test_a_truncated_parquet_file_is_a_one_line_error(tmp_path: Path) -> None:
    """Half a Parquet file gives one line naming the problem and the fix, not DuckDB's SQL echo."""
    whole = convert(SLICE, cache_dir=tmp_path / "cache").read_bytes()
    broken = tmp_path / "truncated.parquet"
    broken.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CostError) as info:
        pc.open(broken, cache_dir=tmp_path / "c")
    assert "complete" in _one_line(info.value)


def test_a_binary_file_named_csv_is_a_one_line_error(tmp_path: Path) -> None:
    """Random bytes named .csv give one line, not the CSV sniffer's many-line dump."""
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 2000)
    with pytest.raises(CostError) as info:
        pc.open(garbage, cache_dir=tmp_path / "c")
    _one_line(info.value)


def test_memory_limit_is_quoted_like_every_other_value(tmp_path: Path) -> None:
    """A memory_limit carrying SQL is refused as a value; the SQL never runs."""
    pwned = tmp_path / "pwned.csv"
    hostile = f"1GB'; COPY (SELECT 'injected' AS x) TO '{pwned}'; SET threads=1; SELECT '"
    with pytest.raises(CostError, match="memory_limit"):
        pc.open(SLICE, cache_dir=tmp_path / "c", memory_limit=hostile)
    assert not pwned.exists()
    with pc.open(SLICE, cache_dir=tmp_path / "c", memory_limit="512MB") as data:
        assert data.coverage()[2] == ROWS


def test_conversion_cache_is_private_and_swept_of_dead_temp_files(tmp_path: Path) -> None:
    """The converted billing file is 0600 in a 0700 folder; temp files of dead converters go."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o755)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    stale = cache / f".focus-0123456789abcdef.parquet.{int(dead.stdout)}.tmp"
    stale.write_bytes(b"")
    target = convert(SLICE, cache_dir=cache)
    assert not stale.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    fresh = tmp_path / "fresh" / "cache"
    convert(SLICE, cache_dir=fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
