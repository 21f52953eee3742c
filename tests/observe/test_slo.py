"""SLO math: budget, burn rate, the multiwindow multi-burn-rate table, compression, evaluation."""

from __future__ import annotations

import pytest

from pulsekit.errors import ConfigError
from pulsekit.observe import SLO, availability, latency
from pulsekit.observe.guard import Verdict, guard

from .conftest import synthetic


def test_workbook_table_for_30_days() -> None:
    """30 days reproduces the SRE workbook's 14.4 / 6 / 1 plus Sloth's quick ticket at 3."""
    table = SLO(objective=0.999, window="30d").alert_table()
    assert list(table["burn_rate"]) == [14.4, 6.0, 3.0, 1.0]
    assert list(table["severity"]) == ["page", "page", "ticket", "ticket"]
    assert list(table["long_window"]) == ["1h", "6h", "1d", "3d"]
    assert list(table["short_window"]) == ["5m", "30m", "2h", "6h"]
    assert list(table["budget_consumed"]) == [0.02, 0.05, 0.10, 0.10]
    assert table["error_ratio"].iloc[0] == pytest.approx(0.0144)


def test_28_day_window_keeps_windows_and_scales_thresholds() -> None:
    """A 28-day SLO keeps absolute windows, so thresholds become 13.44 / 5.6 / 2.8 (as Sloth)."""
    table = SLO(objective=0.999, window="28d").alert_table()
    assert list(table["burn_rate"][:3]) == pytest.approx([13.44, 5.6, 2.8])


def test_budget_and_burn_rate() -> None:
    """99.9% over 30 days allows 43.2 minutes; 1.44% errors burn at 14.4x and empty it in 50 h."""
    slo = SLO(objective=0.999, window="30d")
    assert slo.error_budget == pytest.approx(0.001)
    assert slo.budget_seconds == pytest.approx(43.2 * 60)
    assert slo.burn_rate(0.0144) == pytest.approx(14.4)
    assert slo.time_to_exhaustion(14.4) == pytest.approx(50 * 3600)


def test_compressed_for_a_gameday_keeps_thresholds_and_scales_windows() -> None:
    """30 days squeezed into 10 minutes: same burn thresholds, windows x1/4320, floors flagged."""
    slo = SLO(objective=0.999, window="30d").compressed("10m", min_window="2s")
    assert slo.period == 600
    rules = slo.alert_rules()
    assert [r.burn_rate for r in rules] == [14.4, 6.0, 3.0, 1.0]
    assert [r.name for r in rules] == ["page-1h", "page-6h", "ticket-1d", "ticket-3d"]
    assert (rules[3].long_window, rules[3].short_window) == (60.0, 5.0)  # 3d -> 60s, 6h -> 5s
    assert rules[1].long_window == pytest.approx(5.0)  # 6h -> 5s
    assert rules[0].long_window == 2.0 and rules[0].clamped  # 1h -> 0.83s, raised to the floor
    assert not rules[3].clamped


@pytest.mark.parametrize("objective", [0, 1, 99.9, -0.1, True, "0.99"])
def test_objective_outside_zero_one_is_refused(objective: object) -> None:
    """Objectives must be ratios strictly inside (0, 1); the message shows the 0.999 form."""
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        SLO(objective=objective)  # type: ignore[arg-type]


def test_bad_windows_and_slis_are_refused() -> None:
    """An unparsable window, a latency SLI without threshold and an unknown kind are ConfigErrors."""
    with pytest.raises(ConfigError, match="window"):
        SLO(objective=0.99, window="a month")
    with pytest.raises(ConfigError, match="threshold"):
        latency(threshold=0)
    from pulsekit.observe import SLI

    with pytest.raises(ConfigError, match="availability"):
        SLI(kind="freshness")


def test_evaluate_fires_page_during_outage_and_resets_after() -> None:
    """A 50% error burst fires the fast page rule during the burst; it stops firing afterwards."""
    samples = synthetic(120, rps=20, bad=lambda t: 0.5 if 40 < t <= 60 else 0.0)
    slo = SLO(objective=0.99, sli=availability("gateway")).compressed("10m")
    report = slo.evaluate(samples)
    page = report.alerts[report.alerts["rule"] == "page-1h"]
    assert len(page) == 1
    start = (page["start"].iloc[0] - report.df["time"].iloc[0]).total_seconds()
    end = (page["end"].iloc[0] - report.df["time"].iloc[0]).total_seconds()
    assert 40 < start <= 43 and 60 < end <= 64
    assert report.firing == []  # long after the burst nothing fires any more
    assert report.total == pytest.approx(20 * 120)
    assert report.error_ratio == pytest.approx(200 / 2400)
    # 8.3% errors for 120 s of a 600 s, 1% budget: 8.33 x 0.2 = 1.67 budgets spent
    assert report.budget_remaining == pytest.approx(1 - (200 / 2400) / 0.01 * 120 / 600)
    assert "alert page-1h: fired 1 time(s)" in report.summary()


def test_evaluate_healthy_service_keeps_budget() -> None:
    """No bad events: nothing fires and the whole budget remains."""
    report = SLO(objective=0.999).compressed("10m").evaluate(synthetic(30))
    assert report.alerts.empty and report.budget_remaining == 1.0
    assert "alerts: none fired" in report.summary()


def test_evaluate_unknown_service_lists_targets() -> None:
    """An SLI service matching no target raises ConfigError listing the known targets."""
    slo = SLO(objective=0.99, sli=availability("checkout"))
    with pytest.raises(ConfigError, match="known targets: \\['gateway'\\]"):
        slo.evaluate(synthetic(10))


def test_guard_continues_then_aborts_with_reason() -> None:
    """The guard says continue on a healthy window and abort with the burn rate on a bad one."""
    import pandas as pd

    slo = SLO(objective=0.99).compressed("10m")
    now = pd.Timestamp.now(tz="UTC").timestamp()
    healthy = synthetic(20, start=now - 20)
    burning = synthetic(20, start=now - 20, bad=lambda t: 0.5 if t > 10 else 0.0)
    ok = guard(slo, max_burn=14.4, source=healthy, window="5s")()
    assert isinstance(ok, Verdict) and ok.ok and ok.action == "continue"
    verdict = guard(slo, max_burn=14.4, source=burning, window="5s")()
    assert verdict.action == "abort" and not verdict
    assert verdict.burn_rate == pytest.approx(50.0)
    assert "burn rate 50.0 > 14.4" in verdict.reason
    with pytest.raises(AttributeError):
        verdict.action = "continue"  # type: ignore[misc]


def test_guard_needs_enough_events() -> None:
    """Too few events in the window is not a reason to abort."""
    import pandas as pd

    now = pd.Timestamp.now(tz="UTC").timestamp()
    samples = synthetic(10, rps=1, start=now - 10, bad=lambda t: 1.0)
    verdict = guard(SLO(objective=0.99), source=samples, window="5s", min_events=20)()
    assert verdict.ok and "not enough" in verdict.reason
    with pytest.raises(ConfigError):
        guard(SLO(objective=0.99), max_burn=0, source=samples)
