"""``pulsekit load run``: JSON on stdout, exit 0 on pass, 99 on a failed threshold, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pulsekit.cli import cli
from tests.load.conftest import Target

PING = str(Path(__file__).parent / "locustfiles" / "ping.py")


@pytest.mark.integration
def test_json_document_and_exit_code_99(target: Target) -> None:
    """A failed threshold exits 99 and --json - prints exactly one JSON document."""
    args = ["load", "run", target.url, "--rate", "20", "--duration", "1s", "--locustfile", PING]
    args += ["--threshold", "http_req_duration: p(99)<0.001", "--json", "-"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 99, result.output
    doc = json.loads(result.stdout)
    assert doc["model"] == "open" and doc["passed"] is False
    assert doc["thresholds"][0]["passed"] is False
    assert doc["requests"] == sum(row["requests"] for row in doc["timeline"])


@pytest.mark.integration
def test_passing_run_exits_0_and_writes_file(target: Target, tmp_path: Path) -> None:
    """A run whose thresholds hold exits 0, prints the summary and writes the JSON file."""
    out = tmp_path / "result.json"
    args = ["load", "run", target.url, "--users", "2", "--duration", "1s", "--locustfile", PING]
    args += ["--threshold", "http_req_failed: rate<0.01", "--json", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "verdict: PASS" in result.stdout
    assert json.loads(out.read_text())["passed"] is True


def test_bad_input_is_a_clean_error() -> None:
    """Both --users and --rate give an 'Error:' line and a non-zero exit, no traceback."""
    result = CliRunner().invoke(
        cli, ["load", "run", "http://127.0.0.1:9", "--users", "1", "--rate", "1"]
    )
    assert result.exit_code not in (0, 99)
    assert "Error:" in result.output and "not both" in result.output
    assert "Traceback" not in result.output
