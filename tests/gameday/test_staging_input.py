"""Bad staging targets fail before the run starts, with one line naming the fix; service actions
run with a timeout and their output kept."""

from __future__ import annotations

import http.server
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulsekit import gameday
from pulsekit.errors import GameDayError, NotAllowedError, SpecError, TargetError
from pulsekit.faults import FaultProxy
from pulsekit.faults._http import call
from pulsekit.gameday import load_spec
from pulsekit.gameday.staging import run_action
from pulsekit.gameday.target import ServiceAction


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    """A tiny HTTP server standing for the system's URL."""

    class Quiet(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def toxiproxy() -> Iterator[str]:
    with FaultProxy(port=0, plain=True) as proxy:
        body = {"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"}
        call(proxy.url, "POST", "/proxies", body)
        yield proxy.url


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def spec(target: Any, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": "t",
        "target": target,
        "load": {"users": 1},
        "duration": "5s",
        "steps": [{"at": "1s", "action": "latency", "target": "db", "ms": 10}],
    }
    out.update(changes)
    return out


def assert_nothing_started(out: Path, exc: BaseException) -> None:
    assert "\n" not in str(exc)
    assert not (out / "journal.jsonl").exists()


def test_a_target_url_not_allow_listed_is_refused(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("PULSEKIT_ALLOW_HOSTS", raising=False)
    target = {"url": "http://staging.example.com"}
    with pytest.raises(NotAllowedError, match=r"host staging.example.com is not loopback.*--allow"):
        gameday.run(spec(target, steps=[]), out=tmp_path, progress=False)
    assert_nothing_started(tmp_path, NotAllowedError("x"))


def test_allow_lists_come_from_the_spec_the_call_and_the_target(web: str, tmp_path: Path) -> None:
    """A non-loopback Toxiproxy passes the allow-list with allow= and then fails on not answering."""
    target = {"url": web, "toxiproxy": "http://toxiproxy.invalid:8474"}
    with pytest.raises(NotAllowedError, match="target toxiproxy"):
        gameday.start(spec(target), out=tmp_path)
    for how in ({"allow": ["toxiproxy.invalid"]}, {}):
        raw = spec({**target, "allow": ["toxiproxy.invalid"]}) if not how else spec(target)
        with pytest.raises(TargetError, match="target toxiproxy .* does not answer") as caught:
            gameday.start(raw, out=tmp_path, **how)
        assert_nothing_started(tmp_path, caught.value)


def test_a_toxiproxy_that_does_not_answer_is_refused(web: str, tmp_path: Path) -> None:
    port = closed_port()
    with pytest.raises(TargetError, match=f"target toxiproxy {port} does not answer") as caught:
        gameday.run(spec({"url": web, "toxiproxy": port}), out=tmp_path, progress=False)
    assert "Nothing was started" in str(caught.value)
    assert_nothing_started(tmp_path, caught.value)


def test_a_prometheus_that_does_not_answer_is_refused(
    web: str, toxiproxy: str, tmp_path: Path
) -> None:
    port = closed_port()
    target = {"url": web, "toxiproxy": toxiproxy, "prometheus": port}
    with pytest.raises(TargetError, match=f"target prometheus {port} does not answer") as caught:
        gameday.run(spec(target), out=tmp_path, progress=False)
    assert_nothing_started(tmp_path, caught.value)


def test_a_link_the_toxiproxy_lacks_is_refused(web: str, toxiproxy: str, tmp_path: Path) -> None:
    steps = [{"at": "1s", "action": "down", "target": "payments"}]
    with pytest.raises(TargetError, match=r"has no link 'payments'; its proxies are: db") as caught:
        gameday.run(
            spec({"url": web, "toxiproxy": toxiproxy}, steps=steps), out=tmp_path, progress=False
        )
    assert_nothing_started(tmp_path, caught.value)


def test_a_link_step_without_a_toxiproxy_is_refused(web: str) -> None:
    with pytest.raises(SpecError, match="needs a Toxiproxy; add toxiproxy: URL"):
        load_spec(spec({"url": web}))


@pytest.mark.parametrize(
    ("services", "action", "message"),
    [
        ({}, "kill", r"'api' is not a service of the target"),
        (
            {"api": {"restart": "true"}},
            "kill",
            "service 'api' has no kill command for the kill step",
        ),
        ({"api": {"freeze": "true"}}, "freeze", "has no thaw command to undo the freeze"),
        ({"api": {"kill": "true"}}, "restart", "has no restart command"),
    ],
)
def test_a_service_without_the_command_a_step_needs_is_refused(
    web: str, services: dict[str, Any], action: str, message: str
) -> None:
    target = {"url": web, "services": services}
    steps = [{"at": "1s", "action": action, "target": "api"}]
    with pytest.raises(SpecError, match=message) as caught:
        load_spec(spec(target, steps=steps))
    assert "\n" not in str(caught.value)


def test_a_target_file_is_read_relative_to_the_spec(web: str, tmp_path: Path) -> None:
    (tmp_path / "staging.yaml").write_text(
        yaml.safe_dump({"url": web, "services": {"api": {"kill": "true"}}})
    )
    (tmp_path / "gameday.yaml").write_text(
        yaml.safe_dump(
            spec("staging.yaml", steps=[{"at": "1s", "action": "kill", "target": "api"}])
        )
    )
    loaded = load_spec(tmp_path)
    assert loaded.staging is not None and loaded.staging.path == tmp_path / "staging.yaml"
    assert loaded.target == web and not loaded.uses_sandbox
    (tmp_path / "staging.yaml").write_text(yaml.safe_dump({"url": web, "ssh": "x"}))
    with pytest.raises(SpecError, match=r"staging.yaml: ssh is not a known key"):
        load_spec(tmp_path)
    with pytest.raises(SpecError, match="neither sandbox, a mapping nor an existing target file"):
        load_spec(spec("missing.yaml"))


def test_a_missing_chaos_toolkit_module_is_refused(web: str, tmp_path: Path) -> None:
    target = {
        "url": web,
        "services": {"api": {"kill": {"module": "chaosk8s_missing.pod.actions", "func": "x"}}},
    }
    steps = [{"at": "1s", "action": "kill", "target": "api"}]
    with pytest.raises(TargetError, match="chaosk8s_missing.pod.actions' is not installed"):
        gameday.run(spec(target, steps=steps), out=tmp_path, progress=False)


def test_a_service_command_runs_with_a_timeout_and_keeps_its_output() -> None:
    done = run_action(ServiceAction(command="echo out; echo err >&2; exit 3"), timeout=10)
    assert (done["exit_code"], done["stdout"], done["stderr"]) == (3, "out\n", "err\n")
    slow = run_action(ServiceAction(command="sleep 30"), timeout=0.5)
    assert slow["timed_out"] and slow["seconds"] < 20


def test_a_chaos_toolkit_style_python_action_runs_in_a_subprocess(tmp_path: Path) -> None:
    made = tmp_path / "made"
    action = ServiceAction(module="os", func="makedirs", arguments=(("name", str(made)),))
    done = run_action(action, timeout=30)
    assert done["exit_code"] == 0, done["stderr"]
    assert made.is_dir() and done["command"] == f"os.makedirs(name={str(made)!r})"


def test_a_failing_service_command_fails_the_step_with_its_last_line(tmp_path: Path) -> None:
    from pulsekit.faults import FaultLog
    from pulsekit.gameday.journal import Journal
    from pulsekit.gameday.staging import StagingFaults
    from pulsekit.gameday.target import parse_target

    target = parse_target(
        {
            "url": "http://127.0.0.1:9",
            "services": {"api": {"kill": "echo no such pod >&2; exit 1"}},
        },
        where="t",
    )
    journal = Journal(tmp_path / "j.jsonl")
    faults = StagingFaults(target, journal, log=FaultLog(), allow=())
    with pytest.raises(GameDayError, match="services.api.kill exit 1 .*: no such pod"):
        faults.kill("api")
    from pulsekit.gameday import read_events

    (event,) = read_events(journal.path)
    assert event["type"] == "service.command" and event["data"]["ok"] is False
    assert sys.executable  # the python action path uses it


def test_the_flagship_reads_the_example_staging_target() -> None:
    """The same GameDay on staging: the example target file replaces the sandbox (no network)."""
    example = Path(__file__).parents[2] / "examples" / "staging" / "staging.yaml"
    flagship = Path(__file__).parents[2] / "gamedays" / "01_db_replica_loss"
    loaded = load_spec(flagship, target=str(example), price__instances=6)
    assert loaded.staging is not None and not loaded.uses_sandbox
    assert loaded.target == "https://staging.example.com"
    assert loaded.staging.services["payments"]["kill"].module == "chaosk8s.pod.actions"
    assert [(s.action, s.target) for s in loaded.steps] == [("kill", "db-replica-1")]


def test_every_allow_list_reaches_the_load_and_the_toxiproxy_client(
    web: str, tmp_path: Path
) -> None:
    """The spec's, the target's and the call's allow-lists are all handed to the run (the load
    checks its URL against them), as a test on other addresses (network namespaces) needs."""
    from pulsekit.gameday.runner import prepare

    raw = spec({"url": web, "allow": ["target.internal"]}, steps=[], allow=["spec.internal"])
    runner = prepare(raw, tmp_path, False, None, {}, allow=["call.internal"])
    assert set(runner.allow) == {"target.internal", "spec.internal", "call.internal"}
