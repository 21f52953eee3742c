"""CrUX API records parsed into a VitalsResult (fixture JSON, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulsekit.errors import VitalsError
from pulsekit.vitals import compare, from_crux

FIXTURE = Path(__file__).parent / "fixtures" / "crux_phone.json"


def test_p75_values_and_ratings_from_a_phone_record() -> None:
    """p75 values come straight from CrUX (CLS given as a string) and are rated with the thresholds."""
    result = from_crux(FIXTURE)
    assert result.source == "field"
    assert result.url == "https://shop.example.com"
    assert result.profile == "mobile"
    assert result.p75["LCP"] == 2531
    assert result.p75["CLS"] == pytest.approx(0.11)
    assert result.p75["INP"] == 163
    assert result.p75["TTFB"] == 1012
    assert result.ratings["LCP"] == "needs-improvement"
    assert result.ratings["INP"] == "good"
    assert result.passed is False
    assert result.score is None  # the score is a lab notion
    assert result.p75.get("TBT") is None


def test_histograms_are_kept_with_open_last_bin() -> None:
    """Each metric keeps its three bins; the last one has no end and densities sum to about 1."""
    result = from_crux(FIXTURE.read_text())
    bins = result.histograms["CLS"]
    assert [(b.start, b.end) for b in bins] == [(0.0, 0.1), (0.1, 0.25), (0.25, None)]
    assert sum(b.density for b in result.histograms["LCP"]) == pytest.approx(1.0, abs=0.01)


def test_collection_period_and_summary() -> None:
    """The 28-day collection period is noted and the summary shows field p75 values."""
    result = from_crux(json.loads(FIXTURE.read_text()))
    assert any("2026-10-25 to 2026-11-21" in note for note in result.notes)
    text = result.summary()
    assert "field" in text and "CrUX p75" in text and "2531 ms" in text
    assert result.to_dict()["histograms"]["INP"][2]["end"] is None


def test_field_and_lab_results_compare() -> None:
    """A field result has the same shape as a lab one, so the two compare metric by metric."""
    field = from_crux(FIXTURE)
    better = from_crux(FIXTURE.read_text().replace('"p75": 2531', '"p75": 1800'))
    assert compare(field, better).verdicts["LCP"] == "better"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not JSON"),
        ('{"error": {"code": 404}}', "record.key"),
        (
            '{"record": {"key": {}, "metrics": {"largest_contentful_paint": '
            '{"percentiles": {"p75": "fast"}}}}}',
            "p75='fast'",
        ),
    ],
)
def test_bad_records_raise_clear_errors(payload: str, message: str) -> None:
    """Malformed responses raise VitalsError naming what is wrong."""
    with pytest.raises(VitalsError, match=message):
        from_crux(payload)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    """A path that does not exist raises VitalsError with the path."""
    with pytest.raises(VitalsError, match="nope.json"):
        from_crux(tmp_path / "nope.json")


def test_bundled_sample_parses() -> None:
    """The sample record shipped with pulsekit parses into a phone field result with INP."""
    from pulsekit.vitals import sample_crux

    result = sample_crux()
    assert result.source == "field" and result.profile == "mobile"
    assert result.p75["INP"] is not None
