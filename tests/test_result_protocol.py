"""Every public result answers the same verbs: summary, to_frame, to_dict, plot(ax, faults), HTML.

Each result is built from a real small run or the data the other tests use: a 2-second load run
on the local target server, the bundled FOCUS sample, the observe tests' synthetic exporter samples,
an incident drill on a fake clock, a traced page's events, sampled stacks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest

import pulsekit
from pulsekit import FaultWindow
from pulsekit.errors import ConfigError

FLAGSHIP = Path(__file__).resolve().parents[1] / "gamedays" / "01_db_replica_loss"
START = 1_800_000_000.0


@dataclass(frozen=True)
class Case:
    """A result, the columns its main table must have, a figure its summary shows, and a fault
    window inside its time axis (None: the chart has no time axis)."""

    result: Any
    columns: tuple[str, ...]
    figure: str
    fault: FaultWindow | None


# ------------------------------------------------------------------------- builders
@pytest.fixture(scope="module")
def load_result() -> Iterator[Any]:
    """A real 2-second open-model run against the local target server."""
    from pulsekit.load import run
    from tests.load.conftest import start_target

    target = start_target()
    try:
        yield run(target.url, rate=20, duration="2s", progress=False)
    finally:
        target.proc.kill()
        target.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def costs() -> Iterator[Any]:
    """The bundled FOCUS sample."""
    import pulsekit.costs as pc

    with pc.open() as data:
        yield data


def _load(res: Any) -> Case:
    fault = FaultWindow.offsets(res.started_at, 0.5, 1.5, "latency api")
    return Case(res, ("requests", "failures", "p95_ms", "rps"), f"{res.requests} requests", fault)


def _gameday(res: Any) -> Case:
    from pulsekit.gameday import GameDayResult, WindowResult, load_spec
    from pulsekit.gameday.spec import Window

    stats = res.window(0, 2)
    window = WindowResult.build(Window("fault", 0, 2), stats, ())
    result = GameDayResult(
        spec=load_spec(FLAGSHIP),
        status="completed",
        hypothesis_held=True,
        abort_reason=None,
        windows={"fault": window},
        steps=(),
        alerts=(),
        stop_trips=(),
        load=res,
        slo_report=None,
        slo_from_t=None,
        golden={},
        started_at=res.started_at,
        load_started_at=res.started_at,
        out_dir=Path("."),
        journal=Path("journal.jsonl"),
    )
    fault = FaultWindow.offsets(res.started_at, 0.5, 1.5, "kill db-replica-1")
    return Case(result, ("window", "requests", "p95_ms"), f"{stats.requests} requests", fault)


def _samples() -> pd.DataFrame:
    from tests.observe.conftest import synthetic

    return synthetic(60, bad=lambda t: 0.5 if 20 < t <= 30 else 0.0, start=START)


def _golden(_: Any) -> Case:
    from pulsekit.observe import golden_signals

    res = golden_signals(_samples(), window="10s")
    return Case(res, ("target", "traffic_rps", "error_ratio", "p95_ms"), "gateway", None)


def _timeline(_: Any) -> Case:
    from pulsekit.observe import golden_timeline

    res = golden_timeline(_samples(), window="5s")
    fault = FaultWindow(START + 20, START + 30, "kill db-replica-1")
    return Case(res, ("time", "target", "traffic_rps", "p95_ms"), "over 60s", fault)


def _slo(_: Any) -> Case:
    from pulsekit.observe import SLO

    res = SLO(objective=0.99).compressed("10m").evaluate(_samples())
    fault = FaultWindow(START + 20, START + 30, "outage")
    figure = f"{res.total:.0f} valid"
    return Case(res, ("time", "good", "total", "budget_remaining"), figure, fault)


def _cost_table(data: Any) -> Case:
    res = data.cost_by("service", "month", top=5)
    return Case(res, tuple(res.df.columns[:2]), res.title, None)


def _forecast(data: Any) -> Case:
    res = data.forecast()
    last = res.df[res.df["kind"] == "actual"]["period"].iloc[-1]
    start = pd.Timestamp(last, tz="UTC").timestamp()
    fault = FaultWindow(start, start + 10 * 86400, "migration")
    return Case(res, ("period", "kind", "cost", "lower", "upper"), "next month", fault)


def _anomalies(data: Any) -> Case:
    res = data.anomalies()
    day = pd.Timestamp(res.anomalies[0].start, tz="UTC").timestamp()
    fault = FaultWindow(day, day + 86400, "GameDay")
    return Case(res, ("anomaly_id", "start", "impact"), f"{len(res)} anomalies", fault)


def _savings(data: Any) -> Case:
    res = data.savings()
    return Case(res, ("opportunity", "monthly_saving"), res.month, None)


def _vitals() -> Any:
    from pulsekit.vitals import RunVitals, VitalsResult

    runs = tuple(
        RunVitals(lcp=lcp, cls=0.02, inp=None, fcp=lcp * 0.8, ttfb=40.0, tbt=tbt)
        for lcp, tbt in ((1800.0, 120.0), (2100.0, 250.0), (2600.0, 90.0))
    )
    return VitalsResult.from_runs("http://127.0.0.1:1/", runs, profile="mobile", scoring="mobile")


def _vitals_case(_: Any) -> Case:
    res = _vitals()
    return Case(res, ("metric", "p75", "rating"), "Core Web Vitals", None)


def _comparison(_: Any) -> Case:
    from dataclasses import replace

    from pulsekit.vitals import compare

    before = _vitals()
    after = replace(before, p75={**before.p75, "LCP": 4100.0})
    res = compare(before, after)
    return Case(res, ("metric", "before", "after", "verdict"), "worse", None)


def _budgets(_: Any) -> Case:
    from pulsekit.vitals import check_budgets

    res = check_budgets(_vitals(), ["LCP<=2000", "TBT p75 < 200"])
    return Case(res, ("budget", "limit", "actual", "passed"), "FAIL", None)


def _mainthread(_: Any) -> Case:
    from pulsekit.vitals import analyse_trace
    from tests.vitals.test_mainthread import synthetic

    res = analyse_trace(synthetic(), url="https://shop/")
    return Case(res, ("start_ms", "duration_ms", "blocking_ms", "cause"), "long tasks", None)


def _incident() -> Any:
    from tests.incidents.conftest import FakeClock, drill

    return drill(None, FakeClock())


def _incident_metrics(_: Any) -> Case:
    res = _incident().metrics()
    return Case(res, ("metric", "seconds", "duration"), "time to mitigate: 7m 00s", None)


def _metrics_table(_: Any) -> Case:
    from pulsekit.incidents import metrics_table

    res = metrics_table([_incident()])
    return Case(res, ("id", "severity", "time_to_mitigate"), "1 incidents", None)


def _incident_cost(_: Any) -> Case:
    from pulsekit.incidents.metrics import cost

    res = cost(_incident(), hourly_rate=100.0)
    return Case(res, ("role", "hours"), "response cost", None)


def _fault_log(_: Any) -> Case:
    from pulsekit.faults.records import FaultLog, FaultRecord

    log = FaultLog()
    log.add(
        FaultRecord("latency", "gateway->api", (("ms", 200),), START, START + 20, "api", id="1")
    )
    log.add(FaultRecord("kill", "db-replica-1", (), START + 5, None, id="2"))
    fault = FaultWindow(START + 10, START + 15, "GameDay step")
    return Case(log, ("kind", "target", "applied_at", "duration_s"), "2 faults", fault)


def _profile() -> Any:
    from pulsekit.profile.result import Profile

    main, loop = ("<module>", "app.py"), ("serve", "app.py")
    stacks = {(main, loop, ("render", "views.py")): 60, (main, loop, ("query", "db.py")): 40}
    return Profile("api-1 (pid 1)", 1, 1.0, 100, stacks)


def _profile_case(_: Any) -> Case:
    return Case(_profile(), ("function", "file", "self_pct", "total_pct"), "100 samples", None)


def _profile_diff(_: Any) -> Case:
    from dataclasses import replace

    before = _profile()
    main, loop = ("<module>", "app.py"), ("serve", "app.py")
    after = replace(
        before,
        stacks={(main, loop, ("render", "views.py")): 20, (main, loop, ("query", "db.py")): 80},
    )
    res = before.compare(after)
    return Case(res, ("function", "before_pct", "after_pct", "delta_pp"), "query", None)


def _knee(_: Any) -> Case:
    from pulsekit.load import find_knee
    from tests.load.test_knee import fake_runner

    res = find_knee(
        "http://127.0.0.1:1", normal_rate=20, start=10, factor=2, refine=2, step_duration=2,
        run=fake_runner(50, []),
    )  # fmt: skip
    return Case(res, ("rate", "p95_ms", "passed"), "knee: 50/s", None)


BUILDERS: dict[str, tuple[str | None, Callable[[Any], Case]]] = {
    "LoadResult": ("load_result", _load),
    "GameDayResult": ("load_result", _gameday),
    "GoldenSignals": (None, _golden),
    "GoldenTimeline": (None, _timeline),
    "SLOReport": (None, _slo),
    "CostTable": ("costs", _cost_table),
    "ForecastTable": ("costs", _forecast),
    "AnomalyReport": ("costs", _anomalies),
    "SavingsReport": ("costs", _savings),
    "VitalsResult": (None, _vitals_case),
    "Comparison": (None, _comparison),
    "BudgetReport": (None, _budgets),
    "MainThreadProfile": (None, _mainthread),
    "IncidentMetrics": (None, _incident_metrics),
    "MetricsTable": (None, _metrics_table),
    "IncidentCost": (None, _incident_cost),
    "FaultLog": (None, _fault_log),
    "Profile": (None, _profile_case),
    "ProfileDiff": (None, _profile_diff),
    "KneeResult": (None, _knee),
}


@pytest.fixture(params=sorted(BUILDERS))
def case(request: pytest.FixtureRequest) -> Case:
    fixture, build = BUILDERS[request.param]
    built = build(None if fixture is None else request.getfixturevalue(fixture))
    assert type(built.result).__name__ == request.param
    return built


@pytest.fixture
def other_backend() -> Iterator[str]:
    """The caller's own backend (pdf) in force during the test, the previous one restored after."""
    import matplotlib.pyplot as plt

    before = matplotlib.get_backend()
    matplotlib.use("pdf")
    yield "pdf"
    plt.close("all")
    matplotlib.use(before)


# ------------------------------------------------------------------------- the protocol
def test_every_result_is_a_pulsekit_result(case: Case) -> None:
    """The runtime-checkable Protocol recognises the result: it has all five verbs."""
    assert isinstance(case.result, pulsekit.Result)


def test_summary_is_text_with_the_key_figure(case: Case) -> None:
    """summary() is a str holding the figure a reader looks for first."""
    text = case.result.summary()
    assert isinstance(text, str) and case.figure in text


def test_to_frame_is_the_main_table(case: Case) -> None:
    """to_frame() is a non-empty DataFrame with the expected columns (the index may carry one)."""
    frame = case.result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    names = {*map(str, frame.columns), *(str(n) for n in frame.index.names if n)}
    assert set(case.columns) <= names, (case.columns, sorted(names))


def test_to_dict_survives_a_strict_json_round_trip(case: Case) -> None:
    """to_dict() is JSON as it is: no NaN, no numpy scalars, no timestamps (allow_nan=False)."""
    data = case.result.to_dict()
    assert isinstance(data, dict) and data
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_html_repr_shows_the_summary(case: Case) -> None:
    """The notebook view holds the summary's key figure, HTML-escaped."""
    import html

    view = case.result._repr_html_()
    assert isinstance(view, str) and html.escape(case.figure) in view


def test_plot_draws_on_the_given_axes_and_shades_the_fault(case: Case, other_backend: str) -> None:
    """plot(ax=ax) returns that ax; on a time axis the fault window is shaded and labelled, and
    a chart without one refuses the window with a one-line ConfigError."""
    import matplotlib.pyplot as plt

    plain = plt.figure().add_subplot()
    assert case.result.plot(ax=plain) is plain
    shaded = plt.figure().add_subplot()
    assert matplotlib.get_backend() == other_backend
    if case.fault is None:
        with pytest.raises(ConfigError, match="faults=: .* no time axis"):
            case.result.plot(ax=shaded, faults=[FaultWindow(START, START + 1, "x")])
        return
    assert case.result.plot(ax=shaded, faults=[case.fault]) is shaded
    assert len(shaded.patches) > len(plain.patches)
    assert case.fault.label in [t.get_text().strip() for t in shaded.texts]


def test_plot_leaves_the_callers_backend_alone(case: Case, other_backend: str) -> None:
    """plot() with no ax makes its own figure without switching the backend the caller chose."""
    ax = case.result.plot()
    assert ax.figure is not None
    assert matplotlib.get_backend() == other_backend


def test_no_plot_module_switches_the_backend() -> None:
    """Only pulsekit/_plotting.py makes figures, and nothing in the package calls matplotlib.use."""
    root = Path(pulsekit.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "matplotlib.use(" in p.read_text() and p.name != "_plotting.py"
    ]
    assert offenders == []


# ------------------------------------------------------------------------- the package facade
@pytest.mark.parametrize(
    "name", ["chaos", "costs", "gameday", "incidents", "load", "observe", "profile", "vitals"]
)
def test_practices_are_reachable_after_import_pulsekit(name: str) -> None:
    """``import pulsekit`` then ``pulsekit.<practice>`` works, and the name is in dir()."""
    import subprocess
    import sys

    code = f"import pulsekit; m = pulsekit.{name}; print(m.__name__, {name!r} in dir(pulsekit))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [f"pulsekit.{name}", "True"]


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    """A typo is an AttributeError naming it, not an import of something else."""
    with pytest.raises(AttributeError, match="'lod'"):
        pulsekit.lod  # type: ignore[attr-defined]  # noqa: B018


def test_json_safe_handles_what_results_hold() -> None:
    """NaN/inf become None; numpy scalars, timestamps, NaT, paths and tuples become JSON types."""
    import numpy as np

    from pulsekit._result import json_safe

    value = {
        "nan": float("nan"),
        "inf": np.float64("inf"),
        "n": np.int64(3),
        "t": pd.Timestamp("2026-12-01T10:00:00Z"),
        "nat": pd.NaT,
        "d": datetime(2026, 12, 1, 10, tzinfo=UTC),
        "td": timedelta(seconds=90),
        "p": Path("/tmp/x"),
        "tup": (1, 2.5),
        1: "int key",
    }
    assert json_safe(value) == {
        "nan": None,
        "inf": None,
        "n": 3,
        "t": "2026-12-01T10:00:00+00:00",
        "nat": None,
        "d": "2026-12-01T10:00:00+00:00",
        "td": 90.0,
        "p": "/tmp/x",
        "tup": [1, 2.5],
        "1": "int key",
    }


def test_an_incident_timeline_honours_ax_and_hatches_faults(other_backend: str) -> None:
    """Incident.plot(ax=ax, faults=...) draws on that ax, with the fault window hatched and named."""
    import matplotlib.pyplot as plt

    from tests.incidents.conftest import T0

    inc = _incident()
    ax = plt.figure().add_subplot()
    start = T0.timestamp() - 120
    assert inc.plot(ax=ax, faults=[FaultWindow(start, start + 60, "kill db-replica-1")]) is ax
    assert any(p.get_hatch() == "//" for p in ax.patches)
    assert "kill db-replica-1" in [t.get_text() for t in ax.texts]
    assert matplotlib.get_backend() == other_backend
