"""GameDay results: window figures from merged histograms, the exit-code contract, the JSON shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulsekit.gameday import GameDayResult, WindowResult, load_spec
from pulsekit.gameday.spec import Window
from pulsekit.load._aggregate import WindowStats, _hist
from pulsekit.load.thresholds import evaluate, parse_threshold

FLAGSHIP = Path(__file__).resolve().parents[2] / "gamedays" / "01_db_replica_loss"


def second(latencies_ms: list[float]) -> object:
    hist = _hist()
    for value in latencies_ms:
        hist.record_value(int(value * 1000))
    return hist


def test_a_window_p95_comes_from_the_merged_seconds_not_their_median() -> None:
    """Two fast seconds and one slow one: the window's p95 is the slow tail, where the median of
    per-second p95s would report the fast one."""
    stats = WindowStats(0, 3)
    for lat in ([10.0] * 100, [10.0] * 100, [900.0] * 100):
        stats.add(100, 0, second(lat), second(lat))
    assert stats.requests == 300 and stats.seconds == 3
    assert stats.percentile(95) == pytest.approx(900, rel=0.01)
    assert stats.percentile(50) == pytest.approx(10, rel=0.01)
    verdict = evaluate(parse_threshold("http_req_duration: p(95)<500"), stats)
    assert verdict.passed is False and verdict.observed == pytest.approx(900, rel=0.01)


def result(status: str, held: bool) -> GameDayResult:
    stats = WindowStats(27, 60)
    stats.add(200, 4, second([50.0] * 200), second([50.0] * 200))
    window = WindowResult.build(
        Window("fault", 27, 60), stats, (("http_req_failed: rate<0.01", False, 0.02),)
    )
    return GameDayResult(
        spec=load_spec(FLAGSHIP),
        status=status,
        hypothesis_held=held,
        abort_reason=None,
        windows={"fault": window},
        steps=(),
        alerts=(),
        stop_trips=(),
        load=None,
        slo_report=None,
        slo_from_t=None,
        golden={},
        started_at=1_700_000_000.0,
        load_started_at=1_700_000_000.4,
        out_dir=Path("."),
        journal=Path("journal.jsonl"),
    )


@pytest.mark.parametrize(
    ("status", "held", "code"),
    [
        ("completed", True, 0),
        ("completed", False, 99),
        ("aborted", False, 99),
        ("error", False, 1),
        ("interrupted", False, 130),
    ],
)
def test_exit_codes_follow_the_contract(status: str, held: bool, code: int) -> None:
    """0 held, 99 refuted or aborted, 1 error, 130 interrupted."""
    assert result(status, held).exit_code == code


def test_to_dict_has_the_json_contract() -> None:
    """--json: status, hypothesis_held, abort_reason, windows with their figures and thresholds, paths."""
    data = result("completed", False).to_dict()
    assert {"status", "hypothesis_held", "abort_reason", "journal", "report", "postmortem"} <= set(
        data
    )
    fault = data["windows"]["fault"]
    assert fault["requests"] == 200 and fault["error_rate"] == 0.02 and fault["rps"] == 200.0
    assert fault["thresholds"] == [
        {"expr": "http_req_failed: rate<0.01", "passed": False, "observed": 0.02}
    ]
    assert (
        fault["start_s"] == 27
        and fault["end_s"] == 60
        and fault["p95_ms"] == pytest.approx(50, rel=0.01)
    )


def test_alerts_say_whether_they_came_before_or_after_the_step() -> None:
    """An alert firing from the SLO's first judged seconds or before the step is not counted as
    caused by it; one after the step says how long after."""
    from dataclasses import replace

    from pulsekit.gameday.result import AlertResult

    alerts = (
        AlertResult("page-1h", "page", 15.0, 16.0, -10.0),
        AlertResult("page-6h", "page", 19.0, 20.0, -6.0),
        AlertResult("page-1h", "page", 28.5, None, 3.5),
    )
    res = replace(result("completed", False), alerts=alerts, slo_from_t=15.0)
    assert (
        res.alert_when(alerts[0])
        == "fired at T+15s, already when the SLO could first be judged (T+15s)"
    )
    assert res.alert_when(alerts[1]) == "fired at T+19s, 6s before the first step"
    assert res.alert_when(alerts[2]) == "fired at T+28.5s, 3.5s after the first step"
    assert res.caused_alerts("page") == [alerts[2]]
