"""Toxic catalog: types, attribute schemas, defaults and validation (Toxiproxy 2.12 + extras)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """A Toxiproxy-style API error: HTTP status plus the exact ``error`` text."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "status": self.status, **self.extra}


# type -> {attribute: default}; the default's Python type is the JSON type we accept.
SCHEMAS: dict[str, dict[str, Any]] = {
    "latency": {"latency": 0, "jitter": 0},
    "bandwidth": {"rate": 0},
    "slow_close": {"delay": 0},
    "timeout": {"timeout": 0},
    "reset_peer": {"timeout": 0},
    "slicer": {"average_size": 0, "size_variation": 0, "delay": 0},
    "limit_data": {"bytes": 0},
    "noop": {},
    # extras: post-2.12 master and the LitmusChaos fork's HTTP vocabulary
    "packet_loss": {"loss_rate": 0.1, "correlation": 0.0},
    "status_code": {
        "status_code": 500,
        "modify_response_body": 0,
        "response_body": "",
        "content_type": "",
        "content_encoding": "",
    },
    "header": {"headers": {}, "mode": ""},
    "modify_body": {"body": "", "content_type": "", "content_encoding": ""},
}

HTTP_TYPES = frozenset({"status_code", "header", "modify_body"})
STATUS_CODES = frozenset(
    {200, 201, 202, 204, 300, 301, 302, 304, 307, 400, 401, 403, 404, 500, 501, 502, 503, 504}
)
_FRACTIONS = {"loss_rate", "correlation"}
INT64_MAX = 2**63 - 1  # Toxiproxy's attributes are Go int64: its decoder refuses larger numbers
# attributes that hold a time in milliseconds: refused past the server's maximum TTL, since a
# fault must never outlive the TTL that reverts it
_MILLISECONDS = {
    "latency": ("latency", "jitter"),
    "slow_close": ("delay",),
    "timeout": ("timeout",),
    "reset_peer": ("timeout",),
}
# a name is a path segment of the API: no "/", no "{" or "}" (aiohttp's route syntax), no spaces
# or control characters, so every name that is accepted can be addressed again
_NAME = re.compile(r"[A-Za-z0-9_.~:@!$&'()*+,;=<>\[\]-]{1,200}")


@dataclass
class Toxic:
    """Server-side state of one toxic (mutable: attributes and toxicity can be updated)."""

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, Any]
    version: int = 0
    expires_at: float | None = None  # loop-independent wall clock (time.time())
    created_at: float = 0.0
    ttl: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # field order as Toxiproxy's Go struct: attributes, name, type, stream, toxicity
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


def _bad(message: str) -> ApiError:
    return ApiError(400, f"bad request body: {message}")


def check_name(value: Any, *, what: str) -> str:
    """A proxy or toxic name as given, or a 400 naming the allowed characters."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        shown = repr(value) if isinstance(value, str) else f"a JSON {type(value).__name__}"
        raise _bad(
            f"{what} must be a string of 1-200 letters, digits or _.-~:@!$&'()*+,;=<>[], "
            f"got {shown[:80]}"
        )
    return value


def check_time_bounds(kind: str, attrs: dict[str, Any], max_ttl: float) -> None:
    """Refuse a time attribute (ms) longer than the server's maximum TTL."""
    for key in _MILLISECONDS.get(kind, ()):
        if attrs.get(key, 0) > max_ttl * 1000:
            raise _bad(
                f"{kind}.{key} {attrs[key]} ms is longer than the server's maximum TTL "
                f"{max_ttl:g}s; use a shorter value or raise --max-ttl"
            )


def _check_attr(kind: str, key: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool | int):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(f"{kind}.{key} must be an integer, got {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise _bad(f"{kind}.{key} must be an integer, got {value!r}")
        if value < 0:
            raise _bad(f"{kind}.{key} must not be negative, got {value}")
        if value > INT64_MAX:
            shown = f"{value:.3g}" if isinstance(value, float) else f"{str(value)[:24]}..."
            raise _bad(f"{kind}.{key} {shown} does not fit in an int64 (at most {INT64_MAX})")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise _bad(f"{kind}.{key} must be a number, got {value!r}")
        if key in _FRACTIONS and not 0.0 <= float(value) <= 1.0:
            raise _bad(f"{kind}.{key} must be between 0 and 1, got {value}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise _bad(f"{kind}.{key} must be a string, got {value!r}")
        return value
    if isinstance(default, dict):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise _bad(f"{kind}.{key} must be an object of strings, got {value!r}")
        return dict(value)
    raise _bad(f"{kind}.{key}: unsupported value {value!r}")  # pragma: no cover


def check_attributes(kind: str, given: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults (or ``base``) merged with ``given`` after type checks; unknown keys are ignored."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise _bad(f"attributes must be an object, got {given!r}")
    schema = SCHEMAS[kind]
    attrs = dict(base if base is not None else schema)
    for key, default in schema.items():
        if key in given and given[key] is not None:
            attrs[key] = _check_attr(kind, key, default, given[key])
    if kind == "status_code":
        if attrs["status_code"] not in STATUS_CODES:
            raise _bad(
                f"status_code.status_code {attrs['status_code']} is not supported; use one of "
                + ", ".join(str(c) for c in sorted(STATUS_CODES))
            )
        if attrs["modify_response_body"] not in (0, 1):
            raise _bad("status_code.modify_response_body must be 0 or 1")
    if kind == "header" and attrs["mode"] not in ("", "request", "response"):
        raise _bad("header.mode must be 'request' or 'response'")
    return attrs


def check_toxicity(value: Any, default: float = 1.0) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _bad(f"toxicity must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise _bad(f"toxicity must be between 0 and 1, got {value}")
    return float(value)


def parse_toxic(body: Any) -> Toxic:
    """A new :class:`Toxic` from a create request body, or :class:`ApiError` 400."""
    if not isinstance(body, dict):
        raise _bad(f"expected a JSON object, got {type(body).__name__}")
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        raise ApiError(400, "invalid toxic type")
    stream = body.get("stream") or "downstream"
    if not isinstance(stream, str) or stream.lower() not in ("upstream", "downstream"):
        raise ApiError(400, "stream was invalid, can be either upstream or downstream")
    stream = stream.lower()
    if kind == "header" and isinstance(body.get("attributes"), dict):
        mode = body["attributes"].get("mode")
        if mode == "request" and "stream" not in body:
            stream = "upstream"
    name = check_name(body.get("name") or f"{kind}_{stream}", what="toxic name")
    attrs = check_attributes(kind, body.get("attributes"))
    return Toxic(name, kind, stream, check_toxicity(body.get("toxicity")), attrs)
