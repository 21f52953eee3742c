"""The load plan handed to the Locust child process: one frozen dataclass that writes and reads itself.

The parent validates ``run()``'s arguments into a :class:`ChildConfig`, writes it as JSON next to the
child's log, and the child (and each of its workers) reads it back. Live objects (the pipe the child
reports on) travel separately, on the command line as inherited file descriptors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, cast

from pulsekit._types import JSONObject, JSONValue, LoadModel, Seconds
from pulsekit.errors import LoadError
from pulsekit.load._request import PlainRequest
from pulsekit.load.shapes import RateStages, Stage, UserStages


@dataclass(frozen=True)
class RemoteWorkers:
    """Workers on other hosts: where the master listens, how long it waits, whom it expects."""

    host: str
    port: int
    wait: Seconds  # how long the master waits for every expected worker to join
    names: tuple[str, ...] | None = None  # the workers' --name values (None: any names)

    def to_dict(self) -> JSONObject:
        names: JSONValue = list(self.names) if self.names is not None else None
        return {"host": self.host, "port": self.port, "wait": self.wait, "names": names}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RemoteWorkers:
        names = data.get("names")
        return cls(
            host=str(data["host"]),
            port=int(data["port"]),
            wait=float(data["wait"]),
            names=tuple(str(n) for n in names) if names is not None else None,
        )


@dataclass(frozen=True)
class ChildConfig:
    """Everything a Locust process needs to run its part of a load plan (JSON-safe by design)."""

    url: str
    model: LoadModel
    duration: Seconds
    stages: tuple[Stage, ...]  # targets are users (closed model) or requests/s (open model)
    workers: int = 0
    users: int | None = None
    spawn_rate: float = 1.0
    shaped: bool = False  # drive users along the stages (closed model)
    shape_class: str | None = None  # "module:Class" of a LoadTestShape
    max_in_flight: int = 100
    seed: int | None = None
    mix: str | None = None  # "shopper", "vendor" or "request" (the plain request below)
    think: tuple[float, float] = (0.5, 1.5)
    request: PlainRequest | None = None
    locustfile: str | None = None
    user_class: str | None = None  # "module:Class"
    log: str = ""  # the child's log file (set by the parent when it starts the child)
    # workers on other hosts (the controller's master only)
    remote: RemoteWorkers | None = None
    locustfile_sha256: str | None = None  # a joining worker's locustfile must match it
    fail_on_worker_loss: bool = False
    # what a worker on another host was told when it joined
    master_host: str = "127.0.0.1"  # where a worker reaches its master
    worker_name: str | None = None  # its --name (None: a local worker)

    def user_stages(self) -> UserStages:
        """The stages as numbers of users (closed model only)."""
        if self.model != "closed":
            raise LoadError("the open model's stages are arrival rates, not users")
        return UserStages(self.stages)

    def rate_stages(self) -> RateStages:
        """The stages as arrival rates in requests/s (open model only)."""
        if self.model != "open":
            raise LoadError("the closed model's stages are users, not arrival rates")
        return RateStages(self.stages)

    def with_log(self, log: str | Path) -> ChildConfig:
        return replace(self, log=str(log))

    def to_dict(self) -> JSONObject:
        """The JSON object :meth:`from_dict` reads back (stages as ``[duration, target]`` pairs)."""
        out: JSONObject = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "stages":
                out[f.name] = [[s.duration, s.target] for s in value]
            elif f.name == "think":
                out[f.name] = list(value)
            elif f.name == "request":
                out[f.name] = cast(JSONObject, value.to_config()) if value is not None else None
            elif f.name == "remote":
                out[f.name] = value.to_dict() if value is not None else None
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChildConfig:
        """Read back what :meth:`to_dict` wrote; an unknown or missing field is a LoadError."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise LoadError(
                f"load child config has unknown fields {unknown}; parent and child differ"
            )
        values = dict(data)
        try:
            values["stages"] = tuple(Stage(float(d), float(t)) for d, t in data["stages"])
            if "think" in data:
                low, high = data["think"]
                values["think"] = (float(low), float(high))
            request = data.get("request")
            if request is not None:
                values["request"] = PlainRequest(
                    method=request["method"],
                    url=request["url"],
                    name=request["name"],
                    headers=tuple((str(k), str(v)) for k, v in request["headers"]),
                    body=request["body"],
                )
            remote = data.get("remote")
            if remote is not None:
                values["remote"] = RemoteWorkers.from_dict(remote)
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise LoadError(f"load child config is incomplete or malformed: {exc!r}") from exc

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict()), encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> ChildConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
