"""The sample generator (deterministic, bundled copy current), egress classes, CLI, light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pulsekit.cli import cli
from pulsekit.costs import classify_usage_type
from pulsekit.costs.sample import SAMPLE_DIR, generate_frames


def test_bundled_sample_is_what_the_generator_writes() -> None:
    """The shipped Parquet equals generate(seed=42, months=13): regenerate it if the generator changes."""
    import pyarrow.parquet as pq

    focus, metrics = generate_frames(seed=42, months=13)
    assert focus.equals(pq.read_table(SAMPLE_DIR / "focus.parquet"))
    assert metrics.equals(pq.read_table(SAMPLE_DIR / "business_metrics.parquet"))
    size = (SAMPLE_DIR / "focus.parquet").stat().st_size
    assert size < 2_000_000


def test_generator_is_seeded() -> None:
    """The same seed gives the same rows; another seed gives other noise but the same shape."""
    a, _ = generate_frames(seed=7, months=1)
    b, _ = generate_frames(seed=7, months=1)
    c, _ = generate_frames(seed=8, months=1)
    assert a.equals(b)
    assert not a.equals(c) and a.num_rows == c.num_rows


@pytest.mark.parametrize(
    ("usage_type", "service", "expected"),
    [
        ("DataTransfer-Out-Bytes", None, "internet_out"),
        ("USW2-DataTransfer-Out-Bytes", None, "internet_out"),
        ("USE1-USW2-AWS-Out-Bytes", None, "inter_region"),
        ("EU-DataTransfer-Regional-Bytes", None, "inter_az"),
        ("NatGateway-Bytes", None, "nat_processing"),
        ("USE2-NatGateway-Bytes", None, "nat_processing"),
        ("US-DataTransfer-Out-Bytes", "Amazon CloudFront", "cloudfront"),
        ("EU-DataTransfer-Out-OBytes", "Amazon CloudFront", "cloudfront"),
        ("USE1-DataTransfer-xAZ-In-Bytes", None, "other_transfer"),
        ("BoxUsage:m6i.large", None, None),
        (None, None, None),
    ],
)
def test_classify_usage_type(usage_type, service, expected) -> None:
    """Each AWS usage type lands in its egress class (CloudFront recognised by its service)."""
    assert classify_usage_type(usage_type, service) == expected


def test_cli_report_json_is_one_document() -> None:
    """`pulsekit costs report --json` prints one JSON document with anomalies and savings."""
    result = CliRunner().invoke(cli, ["costs", "report", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["source"] == "bundled sample" and len(doc["months"]) == 13
    assert [a["top_usage_type"] for a in doc["anomalies"]] == [
        "DataTransfer-Regional-Bytes",
        "NatGateway-Bytes",
    ]
    assert doc["savings"]["prices_as_of"] == "2025-09"


def test_cli_sample_then_report_on_it(tmp_path: Path) -> None:
    """`costs sample --out DIR --months 2` writes files that `costs report DIR/...` reads."""
    runner = CliRunner()
    result = runner.invoke(cli, ["costs", "sample", "--out", str(tmp_path), "--months", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "README.md").exists()
    out = runner.invoke(cli, ["costs", "report", str(tmp_path / "focus.parquet")])
    assert out.exit_code == 0, out.output
    assert "Top services:" in out.stdout and "Anomalies: 0" in out.stdout


def test_cli_bad_file_is_a_clean_error(tmp_path: Path) -> None:
    """A billing file missing columns exits non-zero with one 'Error:' line, no traceback."""
    bad = tmp_path / "bad.csv"
    bad.write_text("BilledCost,ServiceName\n1.0,EC2\n")
    result = CliRunner().invoke(
        cli, ["costs", "report", str(bad), "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code != 0
    assert "Error: billing file" in result.output and "mandatory FOCUS column" in result.output
    assert "Traceback" not in result.output


def test_importing_costs_stays_light() -> None:
    """`import pulsekit.costs` pulls in none of duckdb, pandas, pyarrow, numpy, matplotlib."""
    code = (
        "import sys, pulsekit.costs; "
        "print([m for m in ('duckdb', 'pandas', 'pyarrow', 'numpy', 'matplotlib', 'boto3') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_report_on_a_one_month_real_export(tmp_path: Path) -> None:
    """A one-month real export reports totals and services, skipping movers and the forecast."""
    from tests.costs.conftest import DATA

    result = CliRunner().invoke(
        cli,
        ["costs", "report", str(DATA / "focus_1_0_slice.csv"), "--cache-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "Top services:" in result.stdout and "Anomalies: 0" in result.stdout
    assert "Top movers" not in result.stdout and "Forecast" not in result.stdout
