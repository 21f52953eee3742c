"""Loading FOCUS 1.0-1.4 exports: real quirks, renamed columns, bad input, one conversion."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

import pulsekit.costs as pc
from pulsekit.costs._schema import MANDATORY
from pulsekit.errors import CostError, SchemaError
from tests.costs.conftest import DATA, FULL_EXPORT

SLICE = DATA / "focus_1_0_slice.csv"


def _rewrite(src: Path, dst: Path, *, rename=None, drop=(), edit=None) -> Path:
    """Copy a CSV, renaming/dropping columns and editing the first data row."""
    with src.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header = [(rename or {}).get(c, c) for c in rows[0]]
    keep = [i for i, c in enumerate(header) if c not in drop]
    if edit:
        for col, value in edit.items():
            rows[1][header.index(col)] = value
    with dst.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([header[i] for i in keep])
        writer.writerows([[r[i] for i in keep] for r in rows[1:]])
    return dst


def test_real_focus_1_0_slice_loads_with_its_quirks(cache: Path) -> None:
    """The real FOCUS 1.0 export loads: literal NULLs, timestamps without T/zone, extra Id column."""
    with pc.open(SLICE, cache_dir=cache) as data:
        first, last, rows = data.coverage()
        assert rows == 259
        assert (first.year, first.month) == (2024, 9)
        assert first < last <= datetime(2024, 10, 1)
        got = data.sql(
            "SELECT count(*) FILTER (WHERE ChargeClass IS NULL) AS null_class, "
            "count(DISTINCT ProviderName) AS providers, count(x_Id) AS ids, "
            "count(*) FILTER (WHERE ChargeCategory = 'Credit') AS credits FROM focus"
        ).iloc[0]
        assert got["null_class"] == 259  # the literal NULL became a real null
        assert got["providers"] == 3
        assert got["ids"] == 259  # the non-FOCUS column kept, with the x_ prefix
        assert got["credits"] == 1


def test_full_shared_export_loads(cache: Path) -> None:
    """The whole 1,000-row real export shipped in tests/costs/data loads and keeps its totals."""
    with pc.open(FULL_EXPORT, cache_dir=cache) as data:
        assert data.coverage()[2] == 1000
        billed = data.cost_by("provider", "total", metric="BilledCost").df
        assert set(billed["provider"]) == {"AWS", "Microsoft", "Oracle"}
        assert round(float(billed["BilledCost"].sum()), 1) == 20.5


def test_conversion_happens_once(cache: Path) -> None:
    """A second open reuses the converted Parquet file instead of converting again."""
    first = pc.convert(SLICE, cache_dir=cache)
    stamp = first.stat().st_mtime_ns
    second = pc.convert(SLICE, cache_dir=cache)
    assert first == second and second.stat().st_mtime_ns == stamp
    assert first.suffix == ".parquet"
    # the cache is written in the codec every query is measured with (docs/benchmarks.md)
    import duckdb

    codecs = duckdb.sql(f"SELECT DISTINCT compression FROM parquet_metadata('{first}')").fetchall()
    assert codecs == [("LZ4_RAW",)]


def test_canonical_parquet_is_used_in_place(cache: Path) -> None:
    """Already-canonical Parquet (the bundled sample) is queried where it is, not copied."""
    from pulsekit.costs.sample import SAMPLE_DIR

    src = SAMPLE_DIR / "focus.parquet"
    assert pc.convert(src, cache_dir=cache) == src
    assert not cache.exists()


def test_focus_1_3_provider_columns_are_renamed(tmp_path: Path, cache: Path) -> None:
    """A 1.3-style export (ServiceProviderName/HostProviderName) maps to ProviderName/PublisherName."""
    src = _rewrite(
        SLICE,
        tmp_path / "focus13.csv",
        rename={"ProviderName": "ServiceProviderName", "PublisherName": "HostProviderName"},
    )
    with pc.open(src, cache_dir=cache) as data:
        providers = data.cost_by("provider", "total").df["provider"]
        assert set(providers) == {"AWS", "Microsoft", "Oracle"}


def test_focus_1_4_without_deprecated_columns(tmp_path: Path, cache: Path) -> None:
    """A 1.4-style export with only ServiceProviderName (no PublisherName) still loads."""
    src = _rewrite(
        SLICE,
        tmp_path / "focus14.csv",
        rename={"ProviderName": "ServiceProviderName", "PublisherName": "HostProviderName"},
    )
    with pc.open(src, cache_dir=cache) as data:
        assert data.coverage()[2] == 259


def test_iso_timestamps_with_zone_are_utc(tmp_path: Path, cache: Path) -> None:
    """ISO timestamps with a Z or an offset are converted to naive UTC."""
    src = _rewrite(
        SLICE,
        tmp_path / "tz.csv",
        edit={
            "ChargePeriodStart": "2024-09-18T23:00:00+02:00",
            "ChargePeriodEnd": "2024-09-19T00:00:00Z",
        },
    )
    with pc.open(src, cache_dir=cache) as data:
        n = data.sql(
            "SELECT count(*) AS n FROM focus WHERE ChargePeriodStart = TIMESTAMP "
            "'2024-09-18 21:00:00' AND ChargePeriodEnd = TIMESTAMP '2024-09-19 00:00:00'"
        )["n"][0]
        assert n == 1


def test_conformance_gap_nulls_are_tolerated(tmp_path: Path, cache: Path) -> None:
    """Nulls in mandatory columns (AWS's published conformance gaps) load as nulls, not errors."""
    src = _rewrite(
        SLICE,
        tmp_path / "gaps.csv",
        edit={"PublisherName": "NULL", "InvoiceIssuerName": "", "ListCost": "NULL"},
    )
    with pc.open(src, cache_dir=cache) as data:
        got = data.sql(
            "SELECT count(*) FILTER (WHERE PublisherName IS NULL) AS pub, "
            "count(*) FILTER (WHERE InvoiceIssuerName IS NULL) AS issuer, "
            "count(*) FILTER (WHERE ListCost IS NULL) AS list FROM focus"
        ).iloc[0]
        assert got["pub"] >= 1 and got["issuer"] >= 1 and got["list"] >= 1
        assert data.coverage()[2] == 259


def test_missing_mandatory_columns_all_named(tmp_path: Path, cache: Path) -> None:
    """Every missing mandatory column is listed in one SchemaError."""
    src = _rewrite(
        SLICE, tmp_path / "bad.csv", drop=("BilledCost", "ServiceName", "ChargeCategory")
    )
    with pytest.raises(SchemaError) as err:
        pc.open(src, cache_dir=cache)
    message = str(err.value)
    for col in ("BilledCost", "ServiceName", "ChargeCategory"):
        assert col in message
    assert "3 mandatory" in message
    assert all(c in MANDATORY for c in ("BilledCost", "ServiceName", "ChargeCategory"))


def test_wrong_types_are_reported_with_an_example(tmp_path: Path, cache: Path) -> None:
    """A cost that is not a number and a date that is not a date are named with a bad value."""
    src = _rewrite(
        SLICE,
        tmp_path / "types.csv",
        edit={"BilledCost": "twelve", "ChargePeriodStart": "yesterday"},
    )
    with pytest.raises(SchemaError) as err:
        pc.open(src, cache_dir=cache)
    assert "BilledCost (1 values are not a number, e.g. 'twelve')" in str(err.value)
    assert "ChargePeriodStart" in str(err.value) and "'yesterday'" in str(err.value)


def test_empty_file_and_header_only_file(tmp_path: Path, cache: Path) -> None:
    """An empty file and a file with a header but no rows both raise SchemaError."""
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SchemaError, match="is empty"):
        pc.open(empty, cache_dir=cache)
    header = tmp_path / "header.csv"
    header.write_text(SLICE.read_text().splitlines()[0] + "\n")
    with pytest.raises(SchemaError, match="has no rows"):
        pc.open(header, cache_dir=cache)


def test_missing_source_is_a_cost_error(tmp_path: Path) -> None:
    """A path that does not exist raises CostError naming it."""
    with pytest.raises(CostError, match="does not exist"):
        pc.open(tmp_path / "nope.csv")


def test_parquet_export_with_map_tags(tmp_path: Path, cache: Path) -> None:
    """A Parquet FOCUS export whose Tags column is a MAP is converted to JSON tags."""
    import duckdb

    src = tmp_path / "focus.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (MAP {{'team': 'payments'}} AS Tags) FROM read_csv('{SLICE}', "
        f"nullstr='NULL', header=true)) TO '{src}' (FORMAT parquet)"
    )
    con.close()
    with pc.open(src, cache_dir=cache) as data:
        teams = data.cost_by("tag:team", "total").df["tag:team"]
        assert list(teams) == ["payments"]


def test_a_folder_of_exports_is_one_dataset(tmp_path: Path, cache: Path) -> None:
    """A folder of CSV exports (e.g. one per billing period) loads as one dataset."""
    folder = tmp_path / "bill"
    folder.mkdir()
    for name in ("2024-09-a.csv", "2024-09-b.csv"):
        (folder / name).write_bytes(SLICE.read_bytes())
    with pc.open(folder, cache_dir=cache) as data:
        assert data.coverage()[2] == 2 * 259


def test_one_connection_per_dataset_caches_parquet_metadata(sample) -> None:
    """A dataset answers every query on its one DuckDB connection, with Parquet metadata cached."""
    con = sample.con
    sample.cost_by("service", "month")
    sample.cost_by("region", "total")
    assert sample.con is con
    setting = con.execute("SELECT current_setting('parquet_metadata_cache')").fetchone()
    assert setting is not None and setting[0] is True
