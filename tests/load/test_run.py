"""Load runs on Locust child processes against a local target: closed, open, stalls, workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from pulsekit.load import run
from tests.load.conftest import Target, wait_for

pytestmark = pytest.mark.integration
HERE = Path(__file__).parent
PING = str(HERE / "locustfiles" / "ping.py")


def test_closed_model_mix_timeline_and_verdict(target: Target) -> None:
    """A closed shopper run returns a per-second timeline, per-endpoint rows and a verdict."""
    result = run(
        target.url,
        users=3,
        duration="2s",
        mix="shopper",
        seed=7,
        think_time=(0.05, 0.1),
        progress=False,
        thresholds=["http_req_failed: rate<0.01", "http_req_duration: p(95)<0.001"],
    )
    assert result.status == "completed" and result.model == "closed"
    assert result.requests > 10 and result.failures == 0
    assert result.timeline["requests"].sum() == result.requests
    assert result.timeline["users"].max() == 3
    assert {"GET /", "GET /api/search", "POST /api/cart"} <= set(result.endpoints.index)
    assert (result.endpoints["requests"] == result.endpoints["locust_requests"]).all()
    assert result.latency_ms["p50"] <= result.latency_ms["p99"] <= result.latency_ms["max"]
    assert [t.passed for t in result.thresholds] == [True, False]
    stricter = result.check(["http_reqs{name:/api/search}: count>0", "http_req_failed: rate>0.5"])
    assert [t.passed for t in stricter] == [True, False]
    assert result.check("http_req_duration: p(95)<0.001")[0].observed == pytest.approx(
        result.thresholds[1].observed
    )
    assert not result.passed and result.exit_code == 99
    assert "verdict: FAIL" in result.summary()
    assert json.loads(json.dumps(result.to_dict()))["requests"] == result.requests
    ax = result.plot(windows=[(0.5, 1.0, "fault")])
    assert ax.get_ylabel() == "latency (ms)"


def test_open_model_corrects_coordinated_omission(fresh_target: Target) -> None:
    """With a 2 s stall, latency from the intended start shows it: p99 >= 1.5 s, nothing dropped."""
    stall = [("1s", lambda: fresh_target.stall(2.0))]
    result = run(
        fresh_target.url, rate=40, duration="4s", locustfile=PING, schedule=stall, progress=False
    )
    assert result.model == "open" and result.status == "completed"
    assert result.arrivals == 160  # 40/s for 4 s, every planned arrival made
    assert result.dropped == 0
    assert result.requests == result.arrivals
    assert result.latency_ms["p99"] >= 1500
    assert result.percentile(99) == pytest.approx(result.latency_ms["p99"])
    assert result.timeline["p99_ms"].max() >= 1000
    assert result.timeline["in_flight"].max() >= 20


def test_in_flight_limit_drops_arrivals(fresh_target: Target) -> None:
    """Arrivals beyond max_in_flight are dropped and counted, as k6 does, with a warning."""
    result = run(
        fresh_target.url,
        rate=40,
        duration="2s",
        locustfile=PING,
        max_in_flight=5,
        schedule=[("0.3s", lambda: fresh_target.stall(1.5))],
        progress=False,
    )
    assert result.dropped > 10
    assert result.requests + result.dropped == result.arrivals == 80
    assert any("dropped" in w for w in result.warnings)
    assert result.timeline["dropped"].sum() == result.dropped


def test_two_workers_merge_exactly(target: Target) -> None:
    """workers=2 runs Locust master/workers; the merged histogram counts equal Locust's counts."""
    result = run(target.url, rate=30, duration="2s", locustfile=PING, workers=2, progress=False)
    assert result.workers == 2 and result.status == "completed"
    assert result.arrivals == 60  # the rate split across the two workers
    assert result.requests == int(result.endpoints["locust_requests"].sum())
    hist_total = int(result.timeline["requests"].sum())
    assert hist_total == result.requests


def test_abort_on_fail_stops_early(target: Target) -> None:
    """An abortOnFail threshold that fails stops the run early and fails the verdict."""
    result = run(
        target.url,
        users=2,
        duration="60s",
        locustfile=str(HERE / "locustfiles" / "failing.py"),
        thresholds=["http_req_failed: rate<0.5 abortOnFail delayAbortEval=1s"],
        progress=False,
    )
    assert result.status == "aborted"
    assert result.duration_s < 30
    assert result.failures > 0 and not result.passed
    assert any("aborted early" in w for w in result.warnings)


def test_locustfile_shape_drives_users(target: Target) -> None:
    """A LoadTestShape in a locustfile sets the user count over time and ends the run."""
    result = run(
        target.url,
        users=1,
        duration="20s",
        locustfile=str(HERE / "locustfiles" / "stepped.py"),
        progress=False,
    )
    assert result.status == "completed"
    assert result.duration_s < 15
    assert result.timeline["users"].max() == 3
    assert result.timeline["users"].iloc[0] <= 1


SCRIPT = """
import json, sys
from pulsekit.load import run
r = run(sys.argv[1], users=2, duration="60s", locustfile=sys.argv[2], progress=False)
print(json.dumps({"status": r.status, "requests": r.requests}))
"""


def test_ctrl_c_returns_partial_result_and_leaves_no_process(fresh_target: Target) -> None:
    """SIGINT during a run returns the partial result and every Locust process is gone."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, fresh_target.url, PING],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        wait_for(lambda: fresh_target.served() >= 20, timeout=60)
        family = psutil.Process(proc.pid).children(recursive=True)
        assert family
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["status"] == "interrupted" and doc["requests"] >= 20
    wait_for(lambda: not any(p.is_running() and p.status() != "zombie" for p in family), 30)
