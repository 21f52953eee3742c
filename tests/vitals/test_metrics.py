"""Raw performance entries -> metrics, with web-vitals' rules."""

from __future__ import annotations

import pytest

from pulsekit.vitals import _metrics


def shift(t: float, value: float, input: bool = False) -> dict[str, object]:
    return {"t": t, "value": value, "input": input}


def test_cls_takes_the_worst_session_window() -> None:
    """Shifts less than 1 s apart add up; a 1 s gap starts a new window; CLS is the largest window."""
    shifts = [shift(100, 0.05), shift(600, 0.05), shift(2000, 0.2), shift(2500, 0.01)]
    assert _metrics.cls(shifts) == pytest.approx(0.21)


def test_cls_windows_are_capped_at_five_seconds() -> None:
    """A window closes 5 s after its first shift even if shifts keep coming every 900 ms."""
    shifts = [shift(t, 0.01) for t in range(0, 9000, 900)]  # 10 shifts
    # window 1: t=0..4500 (6 shifts, the one at 5400 is > 5 s after 0), window 2: the other 4
    assert _metrics.cls(shifts) == pytest.approx(0.06)


def test_cls_ignores_shifts_after_input_and_is_zero_without_shifts() -> None:
    """Shifts flagged hadRecentInput do not count; a stable page has CLS 0."""
    assert _metrics.cls([shift(100, 0.3, input=True), shift(200, 0.02)]) == pytest.approx(0.02)
    assert _metrics.cls([]) == 0.0


def test_flagged_shifts_count_unless_real_input_preceded_them() -> None:
    """Mobile emulation flags early shifts as "after input" with no input: with the page's input
    times known, a flagged shift is left out only when an input came in the 500 ms before it."""
    early = shift(300, 0.05, input=True)  # flagged by the emulation, nothing was input
    tapped = shift(2300, 0.4, input=True)  # 100 ms after a real tap at 2200
    assert _metrics.cls([early, tapped], inputs=[2200.0]) == pytest.approx(0.05)
    assert _metrics.cls([early, tapped], inputs=[]) == pytest.approx(0.4)  # not in one window
    assert _metrics.cls([early, tapped], inputs=None) == 0.0  # no input times: trust the flag
    assert _metrics.after_input(shift(2800, 0.1, input=True), [2200.0]) is False  # 600 ms later
    assert _metrics.after_input(shift(2100, 0.1, input=True), [2200.0]) is False  # before it
    assert _metrics.after_input(shift(2300, 0.1), [2200.0]) is False  # not flagged at all


def test_lcp_is_the_last_candidate_before_input() -> None:
    """Candidates rendered after the first input are ignored (LCP is final on input)."""
    entries = [{"t": 300, "el": "h1"}, {"t": 1200, "el": "img#hero"}, {"t": 2500, "el": "p.late"}]
    assert _metrics.lcp(entries, 0.0, final_at=2000) == (1200.0, "img#hero")
    assert _metrics.lcp(entries, 100.0, final_at=None) == (2400.0, "p.late")
    assert _metrics.lcp([], 0.0, None) == (None, None)


def test_inp_reports_worst_interaction_below_fifty() -> None:
    """With fewer than 50 interactions INP is the longest; an interaction's latency is its longest event."""
    events = [
        {"id": 1, "d": 40},
        {"id": 1, "d": 160},
        {"id": 2, "d": 88},
        {"id": 0, "d": 900},  # hover events carry no interactionId and never count
    ]
    assert _metrics.inp(events, interactions=2, count=2) == 160


def test_inp_skips_one_outlier_per_fifty_interactions() -> None:
    """With 120 interactions INP is the third longest (index 120 // 50 = 2), about the p98."""
    events = [{"id": i, "d": float(d)} for i, d in enumerate([500, 400, 300, 200, 100], start=1)]
    assert _metrics.inp(events, interactions=0, count=120) == 300


def test_inp_missing_without_interaction_and_zero_when_all_were_fast() -> None:
    """No interaction gives no INP; interactions too fast for Event Timing give 0, like web-vitals."""
    assert _metrics.inp([], interactions=0, count=0) is None
    assert _metrics.inp([], interactions=1, count=None) == 0.0


def test_tbt_counts_time_over_fifty_ms_after_fcp() -> None:
    """Each long task adds its time after FCP beyond 50 ms; tasks before FCP do not block."""
    tasks = [{"t": 0, "d": 120}, {"t": 500, "d": 150}, {"t": 900, "d": 40}, {"t": 280, "d": 100}]
    # FCP at 300: task 1 ends before (0), task 4 has 80 ms after FCP (30), task 2 counts 100
    assert _metrics.tbt(tasks, 300) == pytest.approx(130)
    assert _metrics.tbt([], 300) == 0.0


def test_ttfb_from_navigation_timing() -> None:
    """TTFB is responseStart minus activationStart and never negative."""
    assert _metrics.ttfb({"responseStart": 42.5, "activationStart": 0}) == 42.5
    assert _metrics.ttfb({"responseStart": 10, "activationStart": 30}) == 0.0
    assert _metrics.ttfb(None) is None


def test_compute_combines_a_snapshot() -> None:
    """A whole observer snapshot turns into every metric, with FCP before the page was hidden."""
    raw = {
        "nav": {"responseStart": 20.0, "activationStart": 0.0},
        "paints": [{"name": "first-paint", "t": 100}, {"name": "first-contentful-paint", "t": 110}],
        "lcp": [{"t": 110, "el": "h1"}, {"t": 900, "el": "img"}],
        "shifts": [shift(300, 0.04)],
        "events": [{"id": 7, "d": 168}],
        "longtasks": [{"t": 1000, "d": 170}],
        "firstHidden": 5000.0,
        "inputAt": 1500.0,
        "interactionCount": 1,
    }
    values = _metrics.compute(raw, interactions=1)
    assert values == {
        "LCP": 900.0,
        "CLS": 0.04,
        "INP": 168.0,
        "FCP": 110.0,
        "TTFB": 20.0,
        "TBT": 120.0,
        "lcp_element": "img",
    }
