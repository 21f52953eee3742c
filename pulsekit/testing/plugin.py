"""The pytest plugin (entry point ``pytest11``): resilience fixtures for a test suite and for CI.

Fixture names start with ``pulsekit_`` so they never meet Locust's own pytest plugin (``session``,
``fastsession``) or a project's fixtures. Heavy modules are imported inside the fixtures: pytest
loads this module in every run of every project that installs pulsekit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pulsekit.testing.artifacts import Artifacts

if TYPE_CHECKING:
    from pulsekit.faults import Faults
    from pulsekit.sandbox import Sandbox

REPORTS_DEFAULT = "pulsekit-reports"
# Markers this plugin registers; a new one (e.g. a GameDay marker) joins this tuple and gets a
# hook below that reads ``item.get_closest_marker(name)``.
MARKERS = (
    "pulsekit: a resilience test that uses the pulsekit fixtures (select with -m pulsekit)",
    "gameday(path, expect='held', **params): run a GameDay spec (pulsekit.gameday.run) before the "
    "test and fail it unless the hypothesis verdict is `expect`; the result is the "
    "`pulsekit_gameday` fixture",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pulsekit", "pulsekit resilience tests")
    group.addoption(
        "--pulsekit-reports",
        dest="pulsekit_reports",
        default=None,
        metavar="DIR",
        help=f"folder for each test's journal and charts (default: {REPORTS_DEFAULT})",
    )
    parser.addini("pulsekit_reports", "folder for journals and charts", default=REPORTS_DEFAULT)


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)


def _reports_root(config: pytest.Config) -> Path:
    chosen = config.getoption("pulsekit_reports") or config.getini("pulsekit_reports")
    root = Path(str(chosen))
    return root if root.is_absolute() else Path(config.rootpath) / root


@pytest.fixture
def pulsekit_artifacts(request: pytest.FixtureRequest) -> Artifacts:
    """This test's report folder (``pulsekit-reports/<test id>/``): journal.jsonl and charts."""
    return Artifacts(_reports_root(request.config), request.node.nodeid)


@pytest.fixture(scope="session")
def pulsekit_sandbox_options() -> dict[str, Any]:
    """Keyword arguments of the session's Sandbox; override this fixture in a conftest.py."""
    return {}


@pytest.fixture(scope="session")
def pulsekit_sandbox(
    request: pytest.FixtureRequest, pulsekit_sandbox_options: dict[str, Any]
) -> Iterator[Sandbox]:
    """A running sandbox for the session (parametrise with ``indirect=True`` to vary its options).

    Stopped at the end of the session; its services' logs stay in ``shop.run_dir``.
    """
    from pulsekit.sandbox import Sandbox

    options = dict(pulsekit_sandbox_options)
    options.update(getattr(request, "param", None) or {})
    with Sandbox(**options) as shop:
        yield shop


class _TrackedFaults:
    """A :class:`pulsekit.faults.Faults` whose every fault is reverted when the test ends."""

    def __init__(self, faults: Faults, artifacts: Artifacts) -> None:
        self._faults = faults
        self._artifacts = artifacts
        self.applied: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._faults, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        def tracked(*args: Any, **kwargs: Any) -> Any:
            value = attr(*args, **kwargs)
            if hasattr(value, "remove") and hasattr(value, "record"):
                self.applied.append(value)
                rec = value.record
                self._artifacts.note("fault.applied", kind=rec.kind, target=rec.target)
            return value

        return tracked

    def windows(self) -> list[tuple[float, float, str]]:
        """(start, end, label) of each fault in epoch seconds (end: now when still active)."""
        out = []
        for fault in self.applied:
            rec = fault.record
            out.append((rec.applied_at, rec.reverted_at or time.time(), f"{rec.kind} {rec.target}"))
        return out

    def revert(self) -> list[str]:
        """Revert every fault still active, newest first; returns the errors (never raises)."""
        errors = []
        for fault in reversed(self.applied):
            if fault.active:
                try:
                    fault.remove()
                    rec = fault.record
                    self._artifacts.note("fault.reverted", kind=rec.kind, target=rec.target)
                except Exception as exc:  # keep reverting the others, report at the end
                    errors.append(f"{fault!r}: {exc}")
        with contextlib.suppress(Exception):
            self._faults.revert_all(by="pytest teardown")
        return errors


@pytest.fixture
def pulsekit_faults(
    pulsekit_sandbox: Sandbox, pulsekit_artifacts: Artifacts
) -> Iterator[_TrackedFaults]:
    """Faults on the session sandbox (``latency``, ``down``, ``kill``, ``freeze``, ...).

    Every fault is reverted at teardown, also when the test failed, and killed services are
    restarted, so the next test gets a healthy sandbox.
    """
    from pulsekit.faults import Faults

    tracked = _TrackedFaults(
        Faults(pulsekit_sandbox.proxy_url, sandbox=pulsekit_sandbox, ttl="2m"), pulsekit_artifacts
    )
    try:
        yield tracked
    finally:
        errors = tracked.revert()
        for name in pulsekit_sandbox.services:
            if not pulsekit_sandbox.is_running(name):
                pulsekit_sandbox.restart(name)
                pulsekit_artifacts.note("service.restarted", service=name)
        if errors:
            pytest.fail("pulsekit could not revert every fault:\n  " + "\n  ".join(errors))


@pytest.fixture
def pulsekit_load(
    request: pytest.FixtureRequest, pulsekit_artifacts: Artifacts
) -> Callable[..., Any]:
    """``pulsekit_load(url_or_sandbox, rate=50, duration="10s", thresholds=[...])``: a bounded
    load run (pulsekit.load.run) that fails the test with the threshold report, the window, the
    chart and the journal when a threshold breaks (``check=False`` returns the result instead)."""

    def run(target: Any, *, check: bool = True, **kwargs: Any) -> Any:
        from pulsekit.load import run as load_run
        from pulsekit.testing.checks import load_failure, save_chart

        kwargs.setdefault("progress", False)
        pulsekit_artifacts.note(
            "load.start",
            target=getattr(target, "url", target),
            **{k: v for k, v in kwargs.items() if k in ("rate", "users", "duration", "mix")},
        )
        result = load_run(target, **kwargs)
        pulsekit_artifacts.note("load.end", **result.to_dict() | {"timeline": None})
        windows = []
        if "pulsekit_faults" in request.fixturenames:
            faults = request.getfixturevalue("pulsekit_faults")
            windows = [
                (s - result.started_at, e - result.started_at, label)
                for s, e, label in faults.windows()
            ]
        chart = save_chart(result, pulsekit_artifacts.path("load.png"), windows)
        message = load_failure(
            result,
            chart=pulsekit_artifacts.shown(chart) if chart else None,
            journal=pulsekit_artifacts.shown(pulsekit_artifacts.journal_path),
        )
        if message and check:
            pytest.fail(message, pytrace=False)
        return result

    return run


@pytest.fixture
def pulsekit_slo(pulsekit_sandbox: Sandbox, pulsekit_artifacts: Artifacts) -> Any:
    """An SLO window opened when the test starts: ``pulsekit_slo.check(0.99)`` (availability)
    or ``pulsekit_slo.check(0.95, latency="250ms")`` fails the test when the SLO was missed over
    the test's own window (counter deltas of the gateway's /metrics)."""
    from pulsekit.testing.checks import SloWindow

    window = SloWindow(pulsekit_sandbox.metrics_targets["gateway"], service="gateway")

    class _Checker:
        def check(self, objective: float = 0.99, **kwargs: Any) -> Any:
            outcome = window.check(objective, **kwargs)
            pulsekit_artifacts.note(
                "slo.check",
                description=outcome.description,
                objective=outcome.objective,
                good=outcome.good,
                total=outcome.total,
                passed=outcome.passed,
            )
            if not outcome.passed:
                journal = pulsekit_artifacts.shown(pulsekit_artifacts.journal_path)
                pytest.fail(outcome.message(journal=journal), pytrace=False)
            return outcome

    return _Checker()


@pytest.fixture
def pulsekit_vitals_budget(pulsekit_artifacts: Artifacts) -> Callable[..., Any]:
    """``pulsekit_vitals_budget(url, ["LCP<=2500", "CLS<0.1"], runs=3, profile="desktop")``:
    measures the page in headless Chromium and fails the test when a budget breaks."""

    def check(url: str, budgets: list[str], **kwargs: Any) -> Any:
        from pulsekit.testing.checks import vitals_failure
        from pulsekit.vitals import check_budgets, collect

        kwargs.setdefault("runs", 3)
        started = time.time()
        result = collect(url, **kwargs)
        report = check_budgets(result, budgets)
        ended = time.time()
        pulsekit_artifacts.note(
            "vitals.budgets",
            url=url,
            budgets=[str(o.budget) for o in report.outcomes],
            actual=[o.actual for o in report.outcomes],
            passed=report.passed,
        )
        message = vitals_failure(
            report,
            result,
            started=started,
            ended=ended,
            journal=pulsekit_artifacts.shown(pulsekit_artifacts.journal_path),
        )
        if message:
            pytest.fail(message, pytrace=False)
        return report

    return check


@pytest.fixture
def pulsekit_gameday(request: pytest.FixtureRequest, pulsekit_artifacts: Artifacts) -> Any:
    """The :class:`~pulsekit.gameday.GameDayResult` of the test's ``@pytest.mark.gameday(path,
    **params)`` run; report, journal and postmortem go to the test's report folder.

    ``path`` (a spec file or a folder holding ``gameday.yaml``) is taken relative to the test
    file's folder first, then to pytest's root folder; ``params`` override spec keys
    (``duration="20s"``, ``load__users=50``).
    """
    marker = request.node.get_closest_marker("gameday")
    if marker is None or not marker.args:
        raise pytest.UsageError(
            f"{request.node.nodeid}: pulsekit_gameday needs @pytest.mark.gameday(PATH, **params)"
        )
    from pulsekit.gameday import run

    params = {k: v for k, v in marker.kwargs.items() if k != "expect"}
    return run(
        _spec_path(request, str(marker.args[0])),
        out=pulsekit_artifacts.path("gameday"),
        progress=False,
        **params,
    )


@pytest.fixture(autouse=True)
def _pulsekit_gameday_marker(request: pytest.FixtureRequest) -> None:
    """Runs the GameDay of a test marked ``gameday`` during its set-up (the verdict is judged
    in the call phase, so a refuted hypothesis is a test failure, not an error)."""
    if request.node.get_closest_marker("gameday") is not None:
        request.getfixturevalue("pulsekit_gameday")


def _spec_path(request: pytest.FixtureRequest, given: str) -> Path:
    path = Path(given)
    if path.is_absolute():
        return path
    for base in (Path(str(request.node.path)).parent, Path(request.config.rootpath)):
        if (base / path).exists():
            return base / path
    raise pytest.UsageError(
        f"{request.node.nodeid}: GameDay spec {given!r} not found next to the test file or under "
        f"{request.config.rootpath}; give a path relative to one of them"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    marker = item.get_closest_marker("gameday")
    result = getattr(item, "funcargs", {}).get("pulsekit_gameday")
    if marker is None or result is None:
        return
    expect = marker.kwargs.get("expect", "held")
    if expect not in ("held", "refuted"):
        raise pytest.UsageError(
            f"{item.nodeid}: gameday expect={expect!r}; use 'held' or 'refuted'"
        )
    verdict = "held" if result.hypothesis_held else "refuted"
    if result.status != "completed" or verdict != expect:
        from pulsekit.testing.checks import gameday_failure

        pytest.fail(gameday_failure(result, expect=expect), pytrace=False)
