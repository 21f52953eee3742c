"""Failure messages of the plugin's checks: threshold, observed value, window, where things are."""

from __future__ import annotations

from pulsekit.testing.artifacts import Artifacts, folder_name
from pulsekit.testing.checks import SloOutcome, window_text


def test_slo_message_has_the_four_lines() -> None:
    """A missed SLO names the objective, the good/total observed, the window and the journal."""
    outcome = SloOutcome(
        "gateway availability (non-5xx)", 0.99, 970, 1000, 1764630000.0, 1764630012.5
    )
    assert not outcome.passed and outcome.ratio == 0.97
    text = outcome.message(journal="reports/t/journal.jsonl")
    assert "threshold  >= 99.000%" in text
    assert "observed   97.000% (970 good of 1000 requests)" in text
    assert "window     2025-12-01T23:00:00Z .. 23:00:12Z (12.5 s, the test body)" in text
    assert "journal    reports/t/journal.jsonl" in text


def test_no_traffic_is_a_failure_not_a_pass() -> None:
    """An SLO over a window without requests cannot pass, and says why."""
    outcome = SloOutcome("gateway availability", 0.99, 0, 0, 0.0, 1.0)
    assert not outcome.passed
    assert "no requests in the window" in outcome.message()


def test_artifacts_journal_lines_and_safe_folder_names(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Node ids become folder names; each note is one JSON line."""
    assert folder_name("tests/x.py::test_a[p=1]") == "tests_x.py_test_a_p_1"
    art = Artifacts(tmp_path, "tests/x.py::test_a")
    art.note("fault.applied", kind="latency", target="api->payments")
    art.note("load.end", requests=10)
    lines = art.journal_path.read_text().splitlines()
    assert len(lines) == 2 and '"event": "fault.applied"' in lines[0]
    assert window_text(0.0, 2.0).endswith("(2.0 s)")
