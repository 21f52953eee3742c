"""The Chaos Toolkit extension: discovery, the real `chaos` CLI, the safety control, the GameDay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pulsekit.faults import FaultProxy

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CHAOS = str(Path(sys.executable).with_name("chaos"))
GAMEDAY = ROOT / "gamedays" / "01_db_replica_loss" / "experiment.yaml"


@pytest.fixture(scope="module")
def proxy() -> Iterator[FaultProxy]:
    """A fault proxy for the experiments of this module."""
    with FaultProxy(port=0) as fault_proxy:
        yield fault_proxy


def _chaos(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHAOS, "--log-file", str(cwd / "chaos.log"), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


def _run(experiment: dict | Path, tmp_path: Path, env: dict[str, str], *extra: str) -> dict:
    path = experiment
    if isinstance(experiment, dict):
        path = tmp_path / "experiment.json"
        path.write_text(json.dumps(experiment))
    journal = tmp_path / "journal.json"
    result = _chaos(["run", *extra, "--journal-path", str(journal), str(path)], tmp_path, env)
    assert journal.exists(), result.stderr[-2000:]
    return json.loads(journal.read_text())


def _python(kind: str, title: str, module: str, func: str, **arguments: object) -> dict:
    provider = {"type": "python", "module": module, "func": func, "arguments": arguments}
    return {"type": kind, "name": title, "provider": provider}


def test_discover_lists_typed_actions_and_probes() -> None:
    """discover() returns every action and probe with portable argument types."""
    from pulsekit.chaos import actions, discover, probes

    found = discover()["activities"]
    names = {a["name"] for a in found}
    assert set(actions.__all__) | set(probes.__all__) == names
    latency = next(a for a in found if a["name"] == "add_latency")
    types = {arg["name"]: arg.get("type") for arg in latency["arguments"]}
    assert types["link"] == "string" and types["latency_ms"] == "integer"
    assert latency["return_type"] == "mapping"


def test_chaos_discover_cli_finds_pulsekit(tmp_path: Path) -> None:
    """`chaos discover --no-install pulsekit` writes a discovery file with pulsekit's activities."""
    result = _chaos(
        ["discover", "--no-install", "--discovery-path", "d.json", "pulsekit"], tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # needs `discover` exported by the top-level package (pulsekit/__init__.py)
    assert (tmp_path / "d.json").exists(), (tmp_path / "chaos.log").read_text()[-2000:]
    discovery = json.loads((tmp_path / "d.json").read_text())
    assert discovery["extension"]["name"] == "pulsekit"
    assert any(a["name"] == "kill_service" for a in discovery["activities"])


def test_control_replays_skipped_rollbacks(
    proxy: FaultProxy, upstream_link, tmp_path: Path
) -> None:
    """When Chaos Toolkit skips rollbacks (after-probe raises: failed run), the control plays them."""
    link, port = upstream_link
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"services": {"svc": {"port": port}}}))
    alive = _python("probe", "svc-alive", "pulsekit.chaos.probes", "service_alive", name="svc")
    experiment = {
        "title": "rollbacks are guaranteed",
        "description": "the state file vanishes, so the after-probe raises and chaoslib skips rollbacks",
        "controls": [
            {
                "name": "pulsekit",
                "provider": {
                    "type": "python",
                    "module": "pulsekit.chaos.controls",
                    "arguments": {"reset_at_end": False},
                },
            }
        ],
        "steady-state-hypothesis": {"title": "svc alive", "probes": [{**alive, "tolerance": True}]},
        "method": [
            _python(
                "action", "slow", "pulsekit.chaos.actions", "add_latency", link=link, latency_ms=5
            ),
            {
                "type": "action",
                "name": "lose-state",
                "provider": {"type": "process", "path": "rm", "arguments": [str(state)]},
            },
        ],
        "rollbacks": [
            _python(
                "action",
                "unslow",
                "pulsekit.chaos.actions",
                "remove_toxic",
                link=link,
                name="latency_downstream",
            )
        ],
    }
    env = {"PULSEKIT_PROXY_URL": proxy.url, "PULSEKIT_SANDBOX_STATE": str(state)}
    journal = _run(experiment, tmp_path, env)
    assert journal["status"] == "failed"
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["unslow"]
    assert journal["rollbacks"][0]["output"] is True
    from pulsekit.faults import Faults

    assert Faults(proxy.url).status()["active"] == []


def test_control_can_start_its_own_proxy(tmp_path: Path) -> None:
    """start_proxy: true starts a FaultProxy in the chaos process that the activities then use."""
    experiment = {
        "title": "own proxy",
        "description": "the control starts the proxy",
        "controls": [
            {
                "name": "pulsekit",
                "provider": {
                    "type": "python",
                    "module": "pulsekit.chaos.controls",
                    "arguments": {"start_proxy": True},
                },
            }
        ],
        "steady-state-hypothesis": {
            "title": "proxy up and not halted",
            "probes": [
                {
                    **_python("probe", "not-halted", "pulsekit.chaos.probes", "faults_halted"),
                    "tolerance": False,
                }
            ],
        },
        "method": [],
    }
    env = {"PULSEKIT_PROXY_URL": "http://127.0.0.1:9"}  # overridden by the control
    journal = _run(experiment, tmp_path, env)
    assert journal["status"] == "completed"
    assert journal["steady_states"]["before"]["steady_state_met"] is True


def test_gameday_runs_with_the_real_chaos_cli(shop, tmp_path: Path) -> None:
    """`chaos run` on the GameDay experiment: steady state met before and after losing a replica."""
    assert yaml.safe_load(GAMEDAY.read_text())["title"]
    state = tmp_path / "state.json"
    state.write_text(json.dumps(shop.state()))
    env = {
        "PULSEKIT_SHOP_URL": shop.url,
        "PULSEKIT_PROXY_URL": shop.proxy_url,
        "PULSEKIT_SANDBOX_STATE": str(state),
    }
    try:
        journal = _run(GAMEDAY, tmp_path, env, "--rollback-strategy", "always")
        assert not shop.is_running("db-replica-1")
    finally:
        if not shop.is_running("db-replica-1"):
            shop.restart("db-replica-1")
        shop.wait_healthy(timeout=30)
    assert journal["status"] == "completed" and journal["deviated"] is False
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    assert [r["status"] for r in journal["run"]] == ["succeeded"] * 3
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["remove-every-fault"]
