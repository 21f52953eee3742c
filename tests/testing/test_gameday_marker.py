"""The plugin's ``gameday`` marker: a spec runs before the test, a refuted hypothesis fails the
test with the threshold, the observed value, the window and the files; ``expect`` flips it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.integration

SPEC = """\
title: marker check
sandbox: {replicas: 1, db_replicas: 1}
load: {users: 5, spawn_rate: 5, mix: vendor, think_time: [0.2, 0.5]}
duration: 6s
windows: {baseline: [1s, 3s], fault: [4s, 6s]}
hypothesis:
  baseline: ["http_reqs: count>0"]
  fault: ["http_req_duration: p(95)<0.001"]
steps: [{at: 3s, action: kill, target: db-replica-1}]
"""

TESTS = """\
import pytest

@pytest.mark.gameday("spec/gameday.yaml")
def test_refuted_fails(pulsekit_gameday):
    pass

@pytest.mark.gameday("spec/gameday.yaml", expect="refuted", duration="5s",
                     windows={"baseline": ["1s", "3s"], "fault": ["4s", "5s"]})
def test_refuted_expected(pulsekit_gameday):
    assert pulsekit_gameday.status == "completed"
    assert pulsekit_gameday.windows["fault"].requests > 0
    assert pulsekit_gameday.journal.exists()
"""


def test_gameday_marker_judges_the_hypothesis(pytester: pytest.Pytester) -> None:
    """A refuted hypothesis fails the marked test readably; expect='refuted' passes it."""
    (pytester.path / "spec").mkdir()
    (pytester.path / "spec" / "gameday.yaml").write_text(SPEC)
    pytester.makepyfile(test_marked=TESTS)
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pulsekit-reports", str(reports), timeout=280
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pulsekit gameday 'marker check': completed, hypothesis refuted (expected held)*",
            "*threshold  http_req_duration: p(95)<0.001*",
            "*observed   * (FAIL)*",
            "*window     ????-??-??T??:??:??Z .. ??:??:??Z (*fault, T+4s..T+6s, * requests*",
            "*journal    *journal.jsonl*",
        ]
    )
    assert list(reports.glob("*test_refuted_fails*/gameday/postmortem.md"))


def test_gameday_marker_needs_a_spec_that_exists(pytester: pytest.Pytester) -> None:
    """A marker whose spec is missing is a usage error naming the path, before anything starts."""
    pytester.makepyfile(
        test_missing="""
import pytest

@pytest.mark.gameday("nowhere/gameday.yaml")
def test_x():
    pass
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*'nowhere/gameday.yaml' not found*"])
