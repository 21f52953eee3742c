"""What a sandbox service process is told at start: one frozen dataclass that writes and reads itself.

The controller builds a :class:`ServiceConfig` for each service (gateway, api replicas, database
nodes, payments, PostgreSQL exporters) and passes it, as JSON, as the one argument of
``python -m pulsekit.sandbox._service``; the service reads it back with :meth:`ServiceConfig.from_json`,
which rejects an unknown field or a value of the wrong type with a one-line error naming the field.
The listening socket itself travels as an inherited file descriptor, named by ``fd``.
"""

from __future__ import annotations

import json
import types
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from pulsekit.errors import SandboxError

Role = Literal["gateway", "api", "db-primary", "db-replica", "payments", "pg-exporter"]
"""What a service process serves (``_service.main`` picks the app to build by it)."""
DBTier = Literal["embedded", "postgres"]
"""The database tier: SQLite nodes with replication in this project, or real PostgreSQL."""
Version = Literal["good", "faulty", "slow"]
"""The builds an api replica can run (``Sandbox.deploy``)."""
NodeRole = Literal["db-primary", "db-replica"]

ROLES: tuple[str, ...] = get_args(Role)
VERSIONS: tuple[str, ...] = get_args(Version)


@dataclass(frozen=True)
class ServiceConfig:
    """Everything one sandbox service reads at start (JSON-safe by design)."""

    name: str
    role: Role
    parent_pid: int | None = None  # die with this process (None: a detached sandbox)
    fd: int | None = None  # the inherited listening socket (set when the process is spawned)
    seed: int = 42
    db: DBTier = "embedded"
    db_pool: int = (
        4  # connections per database node (embedded), per api replica and node (postgres)
    )
    n_plus_one: bool = False  # the api's vendor dashboard runs one query per day (dojo 07)
    cache_ttl: float = 0.0  # seconds the api keeps a catalog read (0: no cache)
    version: Version = "good"  # the api replica's build
    links: dict[str, str] = field(default_factory=dict)  # gateway, api: link name -> its URL
    primary_url: str | None = None  # an embedded db-replica: where it pulls the write log from
    node_role: NodeRole | None = None  # a pg-exporter: the role of the node it watches
    pg_port: int | None = None  # a pg-exporter: its node's port

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServiceConfig:
        """Read back what :meth:`to_json` wrote; an unknown, missing or mistyped field is a
        SandboxError naming the field."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SandboxError(
                f"service config is not JSON ({exc}); pass ServiceConfig.to_json()"
            ) from exc
        if not isinstance(data, dict):
            raise SandboxError("service config must be a JSON object; pass ServiceConfig.to_json()")
        hints = get_type_hints(cls)
        unknown = sorted(set(data) - set(hints))
        if unknown:
            raise SandboxError(
                f"service config has unknown fields {unknown}; the controller and the service differ"
            )
        required = [f.name for f in fields(cls) if f.default is f.default_factory is MISSING]
        missing = [name for name in required if name not in data]
        if missing:
            raise SandboxError(f"service config misses {missing}; pass ServiceConfig.to_json()")
        values = {key: _checked(key, value, hints[key]) for key, value in data.items()}
        return cls(**values)


def _checked(key: str, value: Any, hint: Any) -> Any:
    """``value`` if it is of type ``hint`` (an int is a float too), else a SandboxError naming ``key``."""
    if _matches(value, hint):
        return float(value) if hint is float else value
    literals = [a for a in _flatten(hint) if get_origin(a) is Literal]
    if literals and isinstance(value, str):
        known = ", ".join(str(v) for lit in literals for v in get_args(lit))
        raise SandboxError(
            f"service config: {key}={value!r} is an unknown {key}; use one of {known}"
        )
    raise SandboxError(
        f"service config: {key}={value!r} must be {_describe(hint)}; the controller and the "
        "service differ"
    )


def _flatten(hint: Any) -> list[Any]:
    if get_origin(hint) in (Union, types.UnionType):
        return [a for arg in get_args(hint) for a in _flatten(arg)]
    return [hint]


def _matches(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in get_args(hint))
    if origin is Literal:
        return isinstance(value, str) and value in get_args(hint)
    if origin is dict:
        key_type, value_type = get_args(hint)
        return isinstance(value, dict) and all(
            _matches(k, key_type) and _matches(v, value_type) for k, v in value.items()
        )
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(hint, type) and isinstance(value, hint)


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in get_args(hint))
    if origin is Literal:
        return "one of " + ", ".join(repr(v) for v in get_args(hint))
    if origin is dict:
        return "an object of " + " -> ".join(_describe(a) for a in get_args(hint))
    return "null" if hint is type(None) else getattr(hint, "__name__", str(hint))
