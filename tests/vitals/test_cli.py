"""The `pulsekit vitals` command."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pulsekit.cli import cli

from .conftest import PageServer


@pytest.mark.integration
def test_json_output_and_failing_budget_exit_99(chromium: str, pages: PageServer) -> None:
    """--json prints exactly one JSON document; a broken budget makes the exit code 99."""
    runner = CliRunner(env={"PULSEKIT_CHROMIUM": chromium})
    out = runner.invoke(
        cli,
        [
            "vitals",
            pages.url + "/",
            "--runs",
            "1",
            "--profile",
            "none",
            "--click",
            "#buy",
            "--budget",
            "CLS<=0.25",
            "--budget",
            "LCP<=1",
            "--json",
        ],
    )
    assert out.exit_code == 99, out.output
    doc = json.loads(out.stdout)
    assert doc["profile"] == "none"
    assert doc["p75"]["INP"] is not None
    assert [c["passed"] for c in doc["budgets"]["checks"]] == [True, False]
    assert doc["budgets"]["passed"] is False


def test_bad_budget_fails_before_measuring() -> None:
    """A malformed --budget is a clean error (exit 1) naming the syntax, with no browser started."""
    out = CliRunner().invoke(cli, ["vitals", "http://127.0.0.1:9/", "--budget", "LCP about 2s"])
    assert out.exit_code == 1
    assert "budget 'LCP about 2s' is not understood" in out.output
    assert "Traceback" not in out.output


def test_unknown_profile_is_a_usage_error() -> None:
    """--profile accepts only mobile, desktop or none."""
    out = CliRunner().invoke(cli, ["vitals", "http://127.0.0.1:9/", "--profile", "5g"])
    assert out.exit_code == 2
    assert "'5g' is not one of" in out.output


def test_non_http_url_is_a_clean_error() -> None:
    """A URL without http(s) is rejected with an example of a valid one."""
    out = CliRunner().invoke(cli, ["vitals", "example.com"])
    assert out.exit_code == 1
    assert "is not an http(s) URL" in out.output
