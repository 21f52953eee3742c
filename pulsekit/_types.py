"""Names for the shapes that cross pulsekit's module and process boundaries, and a link name parsed once.

Only the standard library is imported here: every practice package may import this module at its top.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol, TypeAlias

from pulsekit.errors import ConfigError

JSONScalar: TypeAlias = str | int | float | bool | None
JSONValue: TypeAlias = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]
"""A value ``json.dumps`` writes as is (what ``.to_dict()`` returns and journals hold)."""
JSONObject: TypeAlias = dict[str, JSONValue]
"""A JSON object: the shape of a Toxiproxy/HTTP API body, a journal line, a ``.to_dict()``."""

Seconds: TypeAlias = float
"""A length of time in seconds (a parsed duration)."""
Duration: TypeAlias = str | float
"""A duration as a user writes it: seconds, or a string such as ``"30s"``, ``"1m30s"``, ``"250ms"``."""
LoadModel: TypeAlias = Literal["closed", "open"]
"""``closed``: a number of users with think time; ``open``: an arrival rate in requests/s."""
Instant: TypeAlias = float | str | datetime | date
"""A point in time: unix seconds, an ISO string, a datetime (a pandas Timestamp is one) or a date."""
PathLike: TypeAlias = str | os.PathLike[str]
"""A file or folder, as a string or a ``pathlib.Path``."""
Configuration: TypeAlias = dict[str, Any]
"""Chaos Toolkit's ``configuration`` block as its activities receive it (an edge: JSON from the
experiment file; chaoslib names it the same)."""
Secrets: TypeAlias = dict[str, Any]
"""Chaos Toolkit's ``secrets`` block (never logged)."""


class HasURL(Protocol):
    """Anything that names its HTTP root: a Sandbox (its gateway), a FaultProxy (its API)."""

    @property
    def url(self) -> str: ...


class HasProxyURL(Protocol):
    """A Sandbox: it knows the API URL of the fault proxy that carries its links."""

    @property
    def proxy_url(self) -> str: ...


class HasPrometheusURL(Protocol):
    """A Sandbox started with ``prometheus=True``: it knows its Prometheus's URL."""

    @property
    def prometheus_url(self) -> str | None: ...


ProxyTarget: TypeAlias = str | HasProxyURL | HasURL | None
"""Where the fault proxy's API is: a URL, a Sandbox, a FaultProxy, or None (``PULSEKIT_PROXY_URL``)."""
LoadTarget: TypeAlias = str | HasURL
"""What load is put on: a URL, or anything with ``.url`` (a Sandbox: its gateway)."""

_SIDE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
ARROW = "->"


@dataclass(frozen=True, order=True)
class LinkName:
    """The hop from one service to another, written ``"src->dst"`` (``"api->db-replica-1"``).

    >>> LinkName.parse("api->db-replica-1").target
    'db-replica-1'
    """

    source: str
    target: str

    def __post_init__(self) -> None:
        for side, value in (("source", self.source), ("target", self.target)):
            if not isinstance(value, str) or not _SIDE.fullmatch(value):
                raise ConfigError(
                    f"link {side} {value!r} must be a service name of letters, digits, '-', '_' "
                    "or '.', e.g. 'api' or 'db-replica-1'"
                )

    @classmethod
    def parse(cls, text: str | LinkName, *, field: str = "link") -> LinkName:
        """The link named by ``text``, or a ConfigError naming ``field`` and the expected form."""
        if isinstance(text, LinkName):
            return text
        if not isinstance(text, str):
            raise ConfigError(
                f"{field}={text!r} is not a link name; pass a string like 'api->db-replica-1'"
            )
        if text.count(ARROW) != 1:
            what = "has no '->'" if ARROW not in text else "has more than one '->'"
            raise ConfigError(
                f"{field}={text!r} {what}; name one hop as 'source->target', e.g. 'api->db-primary'"
            )
        source, target = text.split(ARROW)
        if not source or not target:
            raise ConfigError(
                f"{field}={text!r} has an empty side; name both services, e.g. 'gateway->api-1'"
            )
        try:
            return cls(source, target)
        except ConfigError as exc:
            raise ConfigError(f"{field}={text!r}: {exc}") from None

    def __str__(self) -> str:
        return f"{self.source}{ARROW}{self.target}"
