"""Long tasks and the main-thread breakdown from Chromium's trace: the parser, then a real page."""

from __future__ import annotations

import pytest

from pulsekit.errors import VitalsError
from pulsekit.vitals import analyse_trace, main_thread


def synthetic() -> dict[str, object]:
    def x(name: str, ts: float, dur: float, **data: object) -> dict[str, object]:
        return {
            "ph": "X",
            "pid": 2,
            "tid": 7,
            "name": name,
            "ts": ts,
            "dur": dur,
            "args": {"data": data},
        }

    return {
        "traceEvents": [
            {
                "ph": "M",
                "pid": 2,
                "tid": 7,
                "name": "thread_name",
                "args": {"name": "CrRendererMain"},
            },
            {
                "ph": "M",
                "pid": 3,
                "tid": 9,
                "name": "thread_name",
                "args": {"name": "CrRendererMain"},
            },
            {
                "name": "TracingStartedInBrowser",
                "ph": "I",
                "pid": 1,
                "tid": 1,
                "ts": 0,
                "args": {"data": {"frames": [{"processId": 2, "isOutermostMainFrame": True}]}},
            },
            x("RunTask", 1000, 120_000),
            x("FunctionCall", 1000, 100_000, url="https://shop/app.js"),
            x("Layout", 101_000, 15_000),
            {"ph": "B", "pid": 2, "tid": 7, "name": "ParseHTML", "ts": 200_000},
            {"ph": "E", "pid": 2, "tid": 7, "name": "ParseHTML", "ts": 210_000},
            x("RunTask", 199_000, 20_000),
            x(
                "RunTask",
                500,
                10,
            ),
            {"ph": "X", "pid": 3, "tid": 9, "name": "RunTask", "ts": 0, "dur": 900_000},
        ]
    }


def test_long_tasks_causes_and_self_time_breakdown() -> None:
    """Only the outermost frame's renderer counts; nested events give self time by Lighthouse group."""
    mt = analyse_trace(synthetic(), url="https://shop/")
    assert len(mt.long_tasks) == 1
    task = mt.long_tasks.iloc[0]
    assert task["duration_ms"] == 120.0 and task["blocking_ms"] == 70.0
    assert task["cause"] == "script evaluation" and task["script"] == "https://shop/app.js"
    groups = dict(zip(mt.breakdown["group"], mt.breakdown["ms"], strict=True))
    assert groups["script evaluation"] == 100.0
    assert groups["style and layout"] == 15.0
    assert groups["HTML and CSS parsing"] == 10.0  # a B/E pair
    assert groups["other"] == pytest.approx(5.0 + 10.0 + 0.01)  # RunTask self time
    assert mt.blocking_ms == 70.0
    assert "1 long tasks, 70 ms blocking" in mt.summary()


def test_a_trace_without_a_renderer_is_refused() -> None:
    """A trace with no CrRendererMain thread says what to trace."""
    with pytest.raises(VitalsError, match="renderer main thread"):
        analyse_trace({"traceEvents": []})


@pytest.mark.integration
def test_a_busy_click_is_a_long_task_of_script_evaluation(pages, chromium) -> None:  # type: ignore[no-untyped-def]
    """The reference page's 150 ms click handler shows as a long task caused by script evaluation."""
    mt = main_thread(f"{pages.url}/", clicks=["#buy"], chromium=chromium, settle="0.5s")
    clicks = mt.long_tasks[mt.long_tasks["duration_ms"] >= 140]
    assert len(clicks) >= 1, mt.summary()
    # the click's task is script evaluation; on a busy machine page-load layout can pass 140 ms too
    assert "script evaluation" in set(clicks["cause"]), mt.summary()
    assert mt.breakdown.set_index("group").loc["script evaluation", "ms"] >= 140
    assert mt.to_dict()["blocking_ms"] >= 90
