"""Lighthouse's log-normal scoring and weights."""

from __future__ import annotations

import pytest

from pulsekit.vitals.scoring import CURVES, WEIGHTS, log_normal_score, performance_score


@pytest.mark.parametrize("metric", ["FCP", "LCP", "TBT", "CLS"])
@pytest.mark.parametrize("device", ["mobile", "desktop"])
def test_control_points_score_point_nine_and_half(metric: str, device: str) -> None:
    """The p10 control point scores 0.9 and the median 0.5, on both devices."""
    p10, median = CURVES[device][metric]
    assert log_normal_score(p10, p10=p10, median=median) == pytest.approx(0.9, abs=1e-9)
    assert log_normal_score(median, p10=p10, median=median) == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize(
    ("value", "device", "expected"),
    [(408, "mobile", 0.67), (114.7, "mobile", 0.97), (69, "desktop", 0.99)],
)
def test_tbt_scores_match_lighthouse_reports(value: float, device: str, expected: float) -> None:
    """TBT scores equal the ones Lighthouse 12.2.3 printed for the same values (research notes §2)."""
    p10, median = CURVES[device]["TBT"]
    assert round(log_normal_score(value, p10=p10, median=median), 2) == expected


def test_score_is_clamped_to_its_band() -> None:
    """Just over the median never reaches 0.5 and zero or negative values score 1."""
    assert log_normal_score(600.0001, p10=200, median=600) < 0.5
    assert log_normal_score(0, p10=200, median=600) == 1.0
    assert log_normal_score(1e9, p10=200, median=600) == pytest.approx(0.0, abs=1e-6)


def test_invalid_control_points_are_rejected() -> None:
    """p10 must lie below the median."""
    with pytest.raises(ValueError, match="p10"):
        log_normal_score(1, p10=600, median=200)


def test_weights_are_lighthouse_10() -> None:
    """Weights are FCP 10, SI 10, LCP 25, TBT 30, CLS 25 (Lighthouse 10 and later)."""
    assert dict(WEIGHTS) == {"FCP": 10, "SI": 10, "LCP": 25, "TBT": 30, "CLS": 25}


def test_performance_score_spreads_speed_index_weight() -> None:
    """Without Speed Index the other weights are renormalised to sum to one."""
    score, scores, weights = performance_score({"FCP": 900, "LCP": 1200, "TBT": 0, "CLS": 0.0})
    assert score == 100
    assert set(weights) == {"FCP", "LCP", "TBT", "CLS"}
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["TBT"] == pytest.approx(30 / 90)


def test_performance_score_of_a_slow_page() -> None:
    """A page poor on every metric scores low and each metric score is below 0.5."""
    score, scores, _ = performance_score({"FCP": 6000, "LCP": 8000, "TBT": 2000, "CLS": 0.5})
    assert score is not None and score < 20
    assert all(s < 0.5 for s in scores.values())
    assert performance_score({})[0] is None
