"""`pulsekit faults serve|halt|release|status` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from pulsekit._util import free_port
from pulsekit.faults._cli import faults as faults_cli
from tests.faults.helpers import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture()
def served() -> Iterator[str]:
    """`pulsekit faults serve` as a real process on a free port; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulsekit.cli", "faults", "serve", "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            with urllib.request.urlopen(url + "/version", timeout=1) as response:
                return response.status == 200
        except OSError:
            return proc.poll() is not None  # stop polling if it died; asserted below

    wait_for(up, what="faults serve")
    assert proc.poll() is None
    yield url
    proc.terminate()
    assert proc.wait(10) == 0  # SIGTERM stops the server cleanly


def test_halt_status_release_round_trip(served) -> None:
    """halt engages the lever (JSON), status reports it, release lifts it."""
    runner = CliRunner()
    result = runner.invoke(faults_cli, ["halt", "--proxy", served, "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["halted"] is True
    text = runner.invoke(faults_cli, ["status", "--proxy", served]).output
    assert "HALTED" in text
    result = runner.invoke(faults_cli, ["release", "--proxy", served, "--json"])
    assert json.loads(result.output)["halted"] is False


def test_serve_answers_the_toxiproxy_api(served) -> None:
    """The serve process answers the Toxiproxy API and exits 0 on SIGTERM (fixture teardown)."""
    with urllib.request.urlopen(served + "/version", timeout=5) as response:
        assert json.loads(response.read()) == {"version": "2.12.0"}


def test_unreachable_proxy_is_a_clean_error() -> None:
    """A CLI call to a proxy that is not running fails with a clean message, no traceback."""
    from pulsekit.cli import cli

    result = CliRunner().invoke(
        cli, ["faults", "status", "--proxy", f"http://127.0.0.1:{free_port()}"]
    )
    assert result.exit_code != 0 and "pulsekit faults serve" in result.output
    assert "Traceback" not in result.output
