"""The ``pulsekit observe`` command group."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pulsekit.cli import cli


def test_table_json_reproduces_workbook() -> None:
    """`observe table --json` prints one JSON document with the 14.4/6/3/1 rules."""
    result = CliRunner().invoke(cli, ["observe", "table", "--objective", "0.999", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [r["burn_rate"] for r in doc["rules"]] == [14.4, 6.0, 3.0, 1.0]


def test_bad_objective_is_a_clean_error() -> None:
    """An objective of 99.9 exits non-zero with our message and no traceback."""
    result = CliRunner().invoke(cli, ["observe", "table", "--objective", "99.9"])
    assert result.exit_code != 0
    assert "strictly between 0 and 1" in result.output and "Traceback" not in result.output


def test_rules_from_spec_file_pass_promtool(
    tmp_path: Path, require_binary: Callable[..., str]
) -> None:
    """`observe rules slo.yaml --out` writes rules that promtool accepts."""
    promtool = require_binary("promtool", install="sudo apt-get install prometheus")
    spec = tmp_path / "slo.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": "dashboard-latency",
                "objective": 0.99,
                "window": "28d",
                "sli": {"kind": "latency", "service": "gateway", "threshold": "500ms"},
            }
        )
    )
    out = tmp_path / "rules.yml"
    result = CliRunner().invoke(cli, ["observe", "rules", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "dashboard-latency" in out.read_text()
    check = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, timeout=60)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"window": "30d"}, "missing field 'objective'"),
        ({"objective": 0.99, "sli": {"kind": "freshness"}}, "sli.kind"),
        ({"objective": 0.99, "budget": 3}, "unknown fields"),
    ],
)
def test_bad_spec_files_name_the_field(
    tmp_path: Path, spec: dict[str, object], message: str
) -> None:
    """A spec missing or misspelling fields fails with a message naming the field."""
    path = tmp_path / "slo.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = CliRunner().invoke(cli, ["observe", "rules", str(path)])
    assert result.exit_code != 0 and message in result.output


@pytest.mark.integration
def test_golden_json_from_an_exporter(api_exporter: str) -> None:
    """`observe golden NAME=URL --json` scrapes and prints per-target signals and failed scrapes."""
    args = ["observe", "golden", f"api={api_exporter}", "dead=http://127.0.0.1:9/metrics"]
    result = CliRunner().invoke(cli, [*args, "--every", "0.5s", "--duration", "2s", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["targets"]["api"]["error_ratio"] == pytest.approx(0.1, abs=0.04)
    assert doc["failed_scrapes"]["dead"] >= 2
