"""Workers on other hosts (``pulsekit load worker --master``), here on 127.0.0.1: the join
handshake, refusals and bad input before the run starts, and a worker lost mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulsekit import __version__
from pulsekit._util import free_port
from pulsekit.errors import ConfigError
from pulsekit.load import run
from pulsekit.load._remote import parse_master, refusal
from tests.load.conftest import Target

HERE = Path(__file__).parent
PING = str(HERE / "locustfiles" / "ping.py")
FAILING = str(HERE / "locustfiles" / "failing.py")


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    """Worker processes a test starts; every one is stopped afterwards."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def start_worker(
    procs: list[subprocess.Popen[str]], port: int, name: str, locustfile: str | None = PING
) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "pulsekit", "load", "worker", "--master", f"127.0.0.1:{port}"]
    argv += ["--name", name, "--wait", "60s"]
    if locustfile:
        argv += ["--locustfile", locustfile]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    procs.append(proc)
    return proc


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expect_workers": 0, "master_bind": "127.0.0.1:5557"}, "expect_workers=0 must be"),
        ({"expect_workers": 2}, "together with master_bind"),
        ({"expect_workers": ["a", "a"], "master_bind": "127.0.0.1"}, "distinct worker names"),
        ({"expect_workers": [], "master_bind": "127.0.0.1"}, "distinct worker names"),
        ({"master_bind": "127.0.0.1"}, "together with master_bind"),
        ({"expect_workers": 2, "master_bind": "127.0.0.1:99999"}, "port must be 1..65535"),
        ({"expect_workers": 2, "master_bind": "a b:5557"}, "must be HOST or HOST:PORT"),
        ({"expect_workers": 2, "master_bind": "192.0.2.77:5557"}, "cannot listen there"),
        ({"expect_workers": 2, "master_bind": "127.0.0.1", "workers": 2}, "workers= (local"),
        (
            {"expect_workers": 1, "master_bind": "127.0.0.1", "worker_wait": "0s"},
            "worker_wait='0s'",
        ),
    ],
)
def test_bad_remote_options_fail_before_the_run(
    target: Target, kwargs: dict[str, object], message: str
) -> None:
    """Each bad option is one clear ConfigError naming the field, before anything starts."""
    with pytest.raises(ConfigError) as err:
        run(target.url, rate=5, duration="1s", progress=False, **kwargs)  # type: ignore[arg-type]
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_worker_cli_rejects_a_bad_master_address() -> None:
    """``pulsekit load worker --master`` with a bad address exits 2 with the fix, at once."""
    for bad, message in (("a:b:c:", "must be HOST or HOST:PORT"), ("h:0", "port must be")):
        argv = [sys.executable, "-m", "pulsekit", "load", "worker", "--master", bad]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 1, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr


def test_worker_without_a_master_gives_up_after_wait() -> None:
    """Nobody listening at --master: the worker waits --wait, then says what to start."""
    master = f"127.0.0.1:{free_port()}"
    argv = [sys.executable, "-m", "pulsekit", "load", "worker", "--master", master, "--wait", "1s"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert f"no answer from the master at {master} within 1 s" in done.stderr


def test_parse_master_defaults_to_locusts_port() -> None:
    assert parse_master("10.0.0.5") == ("10.0.0.5", 5557)
    assert parse_master("10.0.0.5:6000") == ("10.0.0.5", 6000)
    assert parse_master("[::1]:6000") == ("::1", 6000)
    assert parse_master("fd00::5") == ("fd00::5", 5557)


def test_refusal_names_the_version_or_locustfile_difference() -> None:
    """A worker with another pulsekit or another locustfile is refused, saying which and why."""
    cfg = "a" * 64  # the run's locustfile SHA-256
    same = {"name": "w1", "address": "10.0.0.9", "pulsekit": __version__}
    assert refusal(cfg, {**same, "locustfile_sha256": "a" * 64}) is None
    other = refusal(cfg, {**same, "pulsekit": "0.0.1", "locustfile_sha256": "a" * 64})
    assert other and "runs pulsekit 0.0.1" in other and "'w1' (10.0.0.9)" in other
    changed = refusal(cfg, {**same, "locustfile_sha256": "b" * 64})
    assert changed and "different locustfile" in changed
    assert "no locustfile" in str(refusal(cfg, {**same, "locustfile_sha256": None}))
    extra = refusal(None, {**same, "locustfile_sha256": "b" * 64})
    assert extra and "uses none" in extra


def test_worker_with_another_locustfile_is_refused_before_load(
    fresh_target: Target, workers: list[subprocess.Popen[str]]
) -> None:
    """The master refuses the join; no request reaches the target; the worker says why."""
    port = free_port()
    proc = start_worker(workers, port, "odd-one", locustfile=FAILING)
    with pytest.raises(ConfigError, match="'odd-one' .* different locustfile"):
        run(
            fresh_target.url,
            rate=10,
            duration="2s",
            locustfile=PING,
            expect_workers=1,
            master_bind=f"127.0.0.1:{port}",
            worker_wait="60s",
            progress=False,
        )
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "refused this worker" in out and "different locustfile" in out
    assert fresh_target.served() == 0


def test_master_names_who_joined_and_how_many_are_missing(
    target: Target, workers: list[subprocess.Popen[str]]
) -> None:
    """Waiting is bounded: after worker_wait the run fails, naming who joined and who did not."""
    port = free_port()
    proc = start_worker(workers, port, "only-one")
    with pytest.raises(ConfigError) as err:
        run(
            target.url,
            rate=10,
            duration="2s",
            locustfile=PING,
            expect_workers=["only-one", "second"],
            master_bind=f"127.0.0.1:{port}",
            worker_wait="8s",
            progress=False,
        )
    text = str(err.value)
    assert "only 1 of 2 expected workers joined within 8 s" in text
    assert "only-one (127.0.0.1)" in text and "1 missing (second)" in text
    assert f"pulsekit load worker --master 127.0.0.1:{port}" in text
    proc.wait(timeout=60)  # the master told it to quit


def test_worker_lost_mid_run_is_reported_and_can_stop_the_run(
    target: Target, workers: list[subprocess.Popen[str]]
) -> None:
    """A worker killed mid-run is named in the result; with fail_on_worker_loss the run stops."""
    port = free_port()
    keep = start_worker(workers, port, "keeps-going")
    doomed = start_worker(workers, port, "killed")
    result = run(
        target.url,
        rate=20,
        duration="30s",
        locustfile=PING,
        expect_workers=2,
        master_bind=f"127.0.0.1:{port}",
        fail_on_worker_loss=True,
        schedule=[("1s", lambda: os.killpg(doomed.pid, signal.SIGKILL))],
        progress=False,
    )
    assert result.lost_workers == ("killed",)
    assert result.status == "aborted" and result.duration_s < 20
    assert any("worker killed" in w and "was lost" in w for w in result.warnings)
    assert {w["name"] for w in result.joined_workers} == {"keeps-going", "killed"}
    assert result.worker_stats["keeps-going"]["requests"] > 0
    keep.wait(timeout=60)


def test_run_cli_passes_the_worker_options_and_refuses_bad_ones(target: Target) -> None:
    """``load run --expect-workers 0 --master-bind ...`` fails at once with the field named."""
    argv = [sys.executable, "-m", "pulsekit", "load", "run", target.url, "--rate", "5"]
    argv += ["--expect-workers", "0", "--master-bind", "127.0.0.1:5557"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "expect_workers=0 must be an integer from 1 to 64" in done.stderr
