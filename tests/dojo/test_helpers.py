"""Verdicts, the shared scenario file and the set-up cell's clean-up."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pulsekit import dojo
from pulsekit.errors import ConfigError

SCENARIO = Path(__file__).parents[2] / "dojos" / "scenario.yaml"


class TestVerdict:
    def test_bars(self) -> None:
        """A value is within or over an upper bar, at least or under a lower one."""
        assert dojo.verdict("p95", 120.0, at_most=250) == "p95: within 250 ms"
        assert dojo.verdict("p95", 900.0, at_most=250) == "p95: over 250 ms"
        assert dojo.verdict("rps", 3.0, at_least=10, unit="req/s") == "rps: under 10 req/s"
        assert dojo.verdict("p95", float("nan"), at_most=1) == "p95: not measured"

    def test_needs_exactly_one_bar(self) -> None:
        """Giving both bars or none is a programming error."""
        with pytest.raises(ValueError):
            dojo.verdict("x", 1.0)

    def test_magnitude(self) -> None:
        """Durations are named by their order of magnitude."""
        assert dojo.magnitude(4) == "under 10 ms"
        assert dojo.magnitude(40) == "tens of milliseconds"
        assert dojo.magnitude(400) == "hundreds of milliseconds"
        assert dojo.magnitude(1984.5) == "seconds"


class TestScenario:
    def test_course_scenario(self) -> None:
        """dojos/scenario.yaml has the three SLOs with a reason each and the stop conditions."""
        sc = dojo.load_scenario(SCENARIO)
        assert set(sc.slos) == {"gateway-availability", "gateway-latency", "dashboard-latency"}
        assert sc.threshold_ms("gateway-latency") == 250
        assert sc.threshold_ms("dashboard-latency") == 500
        assert sc.slo("dashboard-latency").sli.route == "/api/vendors/{id}/dashboard"
        assert all(sc.why[name] for name in sc.slos)
        assert sc.max_burn == 14.4 and sc.max_p95_ms == 2000
        assert "why:" in sc.summary()

    def test_errors_name_the_fix(self, tmp_path) -> None:
        """A missing file, an unknown SLO and a non-latency bar each raise a clear ConfigError."""
        with pytest.raises(ConfigError, match="dojos/scenario.yaml"):
            dojo.load_scenario(tmp_path / "missing.yaml")
        sc = dojo.load_scenario(SCENARIO)
        with pytest.raises(ConfigError, match="has no SLO 'nope'"):
            sc.slo("nope")
        with pytest.raises(ConfigError, match="not a latency SLO"):
            sc.threshold_ms("gateway-availability")
        bad = tmp_path / "bad.yaml"
        bad.write_text("slos: [{objective: 0.9}]\n")
        with pytest.raises(ConfigError, match="needs a 'name'"):
            dojo.load_scenario(bad)


class TestClosePrevious:
    class _Thing:
        def __init__(self) -> None:
            self.stopped = 0

        def stop(self) -> None:
            self.stopped += 1

    def test_stops_what_is_bound(self, capsys) -> None:
        """Bound names are stopped in order; unbound ones (a first run) are skipped."""
        shop, traffic = self._Thing(), self._Thing()
        assert dojo.close_previous({"shop": shop, "traffic": traffic}, "traffic", "shop", "x") == [
            "traffic",
            "shop",
        ]
        assert shop.stopped == traffic.stopped == 1
        assert "stopped the previous run's traffic, shop" in capsys.readouterr().out

    def test_first_run_prints_nothing(self, capsys) -> None:
        """Nothing bound: nothing stopped and nothing printed (the stored output stays stable)."""
        assert dojo.close_previous({}, "shop") == []
        assert capsys.readouterr().out == ""

    def test_a_real_sandbox_is_not_leaked(self) -> None:
        """Re-running a set-up cell stops the first sandbox before the second starts."""
        from pulsekit.sandbox import Sandbox

        first = Sandbox(replicas=1, db_replicas=1).start()
        pids = [s.pid for s in first.services.values()]
        try:
            dojo.close_previous({"shop": first}, "shop")
        finally:
            first.stop()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:  # a zombie is not running
        return fh.read().split(") ")[-1][0] != "Z"
