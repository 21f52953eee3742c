"""examples/ci/test_resilience.py run by pytest's own pytester, plus a planted failure that must
print the threshold, the observed value, the window, the chart and the journal, and revert faults."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ci" / "test_resilience.py"

PLANTED = '''
import urllib.request, json

def test_planted_regression(pulsekit_sandbox, pulsekit_faults, pulsekit_load):
    """A 400 ms toxic on the search replica link breaks a 200 ms p95 budget."""
    for link in ("api->db-replica-1", "api->db-replica-2", "api->db-primary"):
        pulsekit_faults.latency(link, ms=400, ttl="1m")
    pulsekit_load(pulsekit_sandbox, rate=5, duration="2s", mix="vendor", seed=3,
                  thresholds=["http_req_duration: p(95)<200"])

def test_zz_faults_were_reverted(pulsekit_sandbox):
    """Runs after the failed test: no toxic is left on any link."""
    with urllib.request.urlopen(pulsekit_sandbox.proxy_url + "/proxies", timeout=10) as resp:
        proxies = json.loads(resp.read())
    assert all(not p.get("toxics") for p in proxies.values()), proxies
'''


def test_example_passes_and_a_planted_regression_fails_readably(
    pytester: pytest.Pytester, require_binary
) -> None:  # type: ignore[no-untyped-def]
    """The CI example's three tests pass; the planted one fails with a reviewer-readable report."""
    require_binary("chromium", install="sudo apt-get install chromium")
    pytester.makepyfile(test_resilience=EXAMPLE.read_text(), test_planted=PLANTED)
    pytester.makeini("[pytest]\nmarkers =\n    integration: real processes\n")
    reports = pytester.path / "reports"
    env_before = dict(os.environ)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--pulsekit-reports",
        str(reports),
        "-o",
        "junit_logging=system-out",
        "--junitxml",
        str(reports / "junit.xml"),
        timeout=280,
    )
    assert dict(os.environ) == env_before
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pulsekit load: 1 of 1 thresholds failed*",
            "*threshold  http_req_duration: p(95)<200*",
            "*observed   http_req_duration p(95) = * ms*",
            "*window     ????-??-??T??:??:??Z .. ??:??:??Z (*s, open model, * requests*",
            "*chart      *load.png*",
            "*journal    *journal.jsonl*",
        ]
    )
    folder = next(reports.glob("*test_planted_regression*"))
    assert (folder / "load.png").stat().st_size > 1000
    journal = (folder / "journal.jsonl").read_text()
    assert journal.count('"event": "fault.applied"') == 3
    assert journal.count('"event": "fault.reverted"') == 3
    observed = re.search(r"p\(95\) = ([\d.]+) ms", result.stdout.str())
    assert observed is not None and float(observed.group(1)) > 200
    assert "test_planted_regression" in (reports / "junit.xml").read_text()


def test_plugin_is_light_and_can_be_disabled(pytester: pytest.Pytester) -> None:
    """Loading the plugin imports no locust/pandas/playwright; `-p no:pulsekit` removes its fixtures."""
    pytester.makepyfile(
        test_light="""
import sys
def test_light(pulsekit_artifacts):
    heavy = [m for m in ("locust", "gevent", "pandas", "playwright", "matplotlib") if m in sys.modules]
    assert heavy == []
    assert pulsekit_artifacts.dir.name == "test_light.py_test_light"
"""
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    off = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:pulsekit")
    off.assert_outcomes(errors=1)
    off.stdout.fnmatch_lines(["*fixture 'pulsekit_artifacts' not found*"])
