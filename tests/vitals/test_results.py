"""VitalsResult aggregation, budgets, comparisons and profiles (no browser)."""

from __future__ import annotations

import json

import matplotlib
import pytest

from pulsekit.errors import ConfigError
from pulsekit.vitals import (
    PROFILES,
    Budget,
    RunVitals,
    ThrottleProfile,
    VitalsResult,
    check_budgets,
    compare,
    get_profile,
)

matplotlib.use("Agg")


def run(lcp: float, cls: float = 0.0, inp: float | None = None, tbt: float = 0.0) -> RunVitals:
    return RunVitals(lcp=lcp, cls=cls, inp=inp, fcp=lcp * 0.8, ttfb=40.0, tbt=tbt)


def result(*runs: RunVitals, profile: str = "mobile") -> VitalsResult:
    return VitalsResult.from_runs(
        "http://127.0.0.1:1/", tuple(runs), profile=profile, scoring="mobile"
    )


def test_p75_ratings_and_verdict() -> None:
    """Each metric is aggregated at p75 over runs and rated; INP without interaction is missing."""
    res = result(run(1000), run(2000), run(3000), run(4000))
    assert res.p75["LCP"] == pytest.approx(3250)
    assert res.ratings["LCP"] == "needs-improvement"
    assert res.p75["INP"] is None and res.ratings["INP"] is None
    assert res.passed is False
    assert "not measured (no interaction ran)" in res.summary()


def test_score_and_weights_come_with_the_result() -> None:
    """A fast, stable page scores 100 with four weighted metrics; a slow one scores lower."""
    fast = result(run(800), run(900))
    slow = result(run(6000, cls=0.3, tbt=1500))
    assert fast.score == 100
    assert set(fast.weights) == {"FCP", "LCP", "TBT", "CLS"}
    assert slow.score is not None and slow.score < 30
    assert slow.metric_scores["CLS"] < 0.5


def test_ttfb_flag_and_json_round_trip() -> None:
    """A result measured under emulated latency says TTFB excludes it, also in its JSON form."""
    res = VitalsResult.from_runs(
        "http://x/",
        (run(1000),),
        profile="mobile",
        scoring="mobile",
        ttfb_excludes_latency_ms=562.5,
    )
    assert "excludes the emulated 562.5 ms" in res.summary()
    doc = json.loads(json.dumps(res.to_dict()))
    assert doc["ttfb_excludes_latency_ms"] == 562.5
    assert doc["runs"][0]["LCP"] == 1000
    assert doc["ratings"]["LCP"] == "good"


def test_dataframe_and_plot() -> None:
    """The per-run DataFrame has one row per run and plot() returns Axes of a fixed size."""
    res = result(run(1000, inp=120), run(1500, inp=80))
    assert list(res.df["LCP"]) == [1000, 1500]
    ax = res.plot()
    assert tuple(ax.figure.get_size_inches()) == (8, 4)
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["LCP", "INP", "CLS"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LCP<=2500", Budget("LCP", "<=", 2500, "p75")),
        ("cls p75 < 0.1", Budget("CLS", "<", 0.1, "p75")),
        ("INP max ≤ 0.2s", Budget("INP", "<=", 200, "max")),
        ("score>=90", Budget("score", ">=", 90, "")),
    ],
)
def test_budget_parsing(text: str, expected: Budget) -> None:
    """Budgets accept a metric, an optional statistic, an operator and a value in ms or s."""
    assert Budget.parse(text) == expected


@pytest.mark.parametrize("text", ["LCP", "FID<=100", "LCP == 2500", "LCP <= fast"])
def test_bad_budget_says_how_to_write_one(text: str) -> None:
    """An unparsable budget raises ConfigError with an example of the syntax."""
    with pytest.raises(ConfigError, match="LCP"):
        Budget.parse(text)


def test_budgets_pass_and_fail() -> None:
    """Budgets pass or fail on the chosen statistic; an unmeasured metric fails its budget."""
    res = result(run(1000), run(2000), run(5000))
    report = check_budgets(res, ["LCP<=4000", "LCP median <= 2500", "INP<=200", "CLS<0.1"])
    assert [o.passed for o in report.outcomes] == [True, True, False, True]
    assert report.outcomes[0].actual == pytest.approx(3500)
    assert not report.passed
    assert [str(o.budget) for o in report.failed] == ["INP p75 <= 200 ms"]
    assert "FAIL  INP p75 <= 200 ms  (actual not measured)" in report.summary()


def test_compare_marks_regressions_beyond_noise() -> None:
    """A jump in CLS and LCP is 'worse', a tiny wobble is 'same', and the table has both sides."""
    before = result(run(1000, cls=0.0, inp=100))
    after = result(run(3000, cls=0.18, inp=104))
    cmp = compare(before, after)
    assert cmp.verdicts["LCP"] == "worse"
    assert cmp.verdicts["CLS"] == "worse"
    assert cmp.verdicts["INP"] == "same"
    assert cmp.regressed == ("LCP", "CLS", "FCP")
    table = cmp.df
    assert table.loc["LCP", "rating_after"] == "needs-improvement"
    assert table.loc["CLS", "change"] == pytest.approx(0.18)
    assert "good -> needs-improvement" in cmp.summary()
    assert tuple(cmp.plot().figure.get_size_inches()) == (8, 4)


def test_profiles_are_lighthouse_values() -> None:
    """The mobile profile is Lighthouse's Slow 4G at request level and 4x CPU, in bytes per second."""
    mobile = get_profile("Mobile")
    assert mobile.latency_ms == pytest.approx(562.5)
    assert mobile.cpu_slowdown == 4
    conditions = mobile.network_conditions()
    assert conditions["downloadThroughput"] == int(1474.56 * 1024 / 8)
    assert conditions["uploadThroughput"] == int(675 * 1024 / 8)
    assert not PROFILES["none"].throttles_network
    assert PROFILES["desktop"].width == 1350 and PROFILES["desktop"].cpu_slowdown == 1
    custom = ThrottleProfile("3g", latency_ms=300 * 3.75, download_kbps=700 * 0.9)
    assert get_profile(custom) is custom


def test_unknown_profile_lists_the_known_ones() -> None:
    """An unknown profile name raises ConfigError listing mobile, desktop and none."""
    with pytest.raises(ConfigError, match="mobile, desktop, none"):
        get_profile("5g")
