"""The load child's config: a frozen dataclass that survives the trip through JSON to the child."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pulsekit.errors import LoadError
from pulsekit.load._child import Invocation
from pulsekit.load._config import ChildConfig, RemoteWorkers
from pulsekit.load._request import plain_request
from pulsekit.load.shapes import Stage, stages_for


def _open_plan() -> ChildConfig:
    return ChildConfig(
        url="http://127.0.0.1:9",
        model="open",
        duration=10.0,
        stages=stages_for("ramp", 40.0, 10.0),
        workers=2,
        max_in_flight=200,
        seed=7,
        mix="request",
        think=(0.0, 0.0),
        request=plain_request(
            "http://u:p@127.0.0.1:9/healthz?x=1", method="post", headers=["X-A: 1"], body="{}"
        ),
    )


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    """What the parent writes, the child reads back equal, field for field (stages, request, think)."""
    cfg = _open_plan().with_log(tmp_path / "locust.log")
    path = tmp_path / "config.json"
    cfg.write(path)
    back = ChildConfig.read(path)
    assert back == cfg
    assert back.request is not None and back.request.headers[0] == ("X-A", "1")
    assert back.request.headers[1][0] == "Authorization"  # user:password became Basic auth
    assert back.stages[1] == Stage(5.0, 40.0)
    assert back.log == str(tmp_path / "locust.log")


def test_closed_model_round_trip() -> None:
    """A closed plan with a locustfile keeps its users and has no request."""
    cfg = ChildConfig(
        url="http://127.0.0.1:9",
        model="closed",
        duration=3.0,
        stages=stages_for("constant", 5.0, 3.0),
        users=5,
        spawn_rate=5.0,
        locustfile="/tmp/lf.py",
    )
    back = ChildConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg and back.request is None and back.users == 5


def test_remote_worker_fields_round_trip() -> None:
    """The controller's remote-worker plan, and what a joined worker is told, survive JSON."""
    remote = RemoteWorkers("10.0.0.5", 5557, 30.0, ("loadgen-1", "loadgen-2"))
    cfg = dataclasses.replace(
        _open_plan(), remote=remote, locustfile_sha256="a" * 64, fail_on_worker_loss=True
    )
    data = json.loads(json.dumps(cfg.to_dict()))
    assert data["remote"] == {
        "host": "10.0.0.5",
        "port": 5557,
        "wait": 30.0,
        "names": ["loadgen-1", "loadgen-2"],
    }
    back = ChildConfig.from_dict(data)
    assert back == cfg and back.remote == remote and back.fail_on_worker_loss
    anyone = dataclasses.replace(cfg, remote=RemoteWorkers("::1", 6000, 5.0))
    assert ChildConfig.from_dict(json.loads(json.dumps(anyone.to_dict()))) == anyone
    worker = dataclasses.replace(cfg, remote=None, master_host="10.0.0.5", worker_name="w1")
    back = ChildConfig.from_dict(json.loads(json.dumps(worker.to_dict())))
    assert back == worker and back.remote is None and back.worker_name == "w1"
    with pytest.raises(LoadError, match="incomplete or malformed"):
        ChildConfig.from_dict({**data, "remote": {"host": "10.0.0.5"}})


def test_json_holds_no_live_objects() -> None:
    """The serialised config is plain JSON: no socket, no pipe number, no Python object."""
    data = _open_plan().to_dict()
    text = json.dumps(data)  # raises on anything that is not JSON
    assert "fd" not in data and "_sock" not in text
    assert data["stages"] == [[0.0, 0.0], [5.0, 40.0], [5.0, 40.0]]


def test_frozen() -> None:
    """A config cannot change after it is built (the parent and every worker see the same plan)."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        _open_plan().workers = 3  # type: ignore[misc]


def test_stages_are_typed_by_model() -> None:
    """An open plan's stages are rates, a closed plan's are users; asking for the other is an error."""
    cfg = _open_plan()
    assert cfg.rate_stages() == cfg.stages
    with pytest.raises(LoadError, match="arrival rates, not users"):
        cfg.user_stages()
    closed = dataclasses.replace(cfg, model="closed", users=3)
    with pytest.raises(LoadError, match="users, not arrival rates"):
        closed.rate_stages()


def test_unknown_and_missing_fields() -> None:
    """A config from another pulsekit version fails with a LoadError, not a KeyError in the child."""
    data = _open_plan().to_dict()
    with pytest.raises(LoadError, match=r"unknown fields \['fd'\]"):
        ChildConfig.from_dict({**data, "fd": 5})
    del data["stages"]
    with pytest.raises(LoadError, match="incomplete or malformed"):
        ChildConfig.from_dict(data)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["c.json"], Invocation("c.json", "local")),
        (["c.json", "local", "--fd", "9"], Invocation("c.json", "local", fd=9)),
        (["c.json", "master", "--fd", "9"], Invocation("c.json", "master", fd=9)),
        (["c.json", "worker", "5557", "2"], Invocation("c.json", "worker", port=5557, index=2)),
    ],
)
def test_child_command_line(argv: list[str], expected: Invocation) -> None:
    """The pipe travels on the command line (it is inherited), apart from the JSON config."""
    assert Invocation.parse(argv) == expected


def test_child_command_line_bad_role() -> None:
    """An unknown role is refused."""
    with pytest.raises(ValueError, match="role 'boss'"):
        Invocation.parse(["c.json", "boss"])
