"""``--param key=value`` overrides: dotted keys (``load.users``, ``steps.0.at``) into a raw spec."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pulsekit.errors import SpecError


def parse_cli(items: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``["load.users=40", "duration=12s"]`` -> ``{"load.users": 40, "duration": "12s"}`` (YAML values)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"--param {item!r} must look like key=value, e.g. load.users=40")
        try:
            out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = value
    return out


def apply(raw: dict[str, Any], params: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A copy of ``raw`` with each param set; ``load__users`` is the same as ``load.users``."""
    if not params:
        return raw
    out = copy.deepcopy(raw)
    for key, value in params.items():
        path = key.replace("__", ".").split(".")
        node: Any = out
        for depth, part in enumerate(path[:-1]):
            node = _child(node, part, ".".join(path[: depth + 1]), key, where)
        _set(node, path[-1], value, key, where)
    return out


def _child(node: Any, part: str, so_far: str, key: str, where: str) -> Any:
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    if isinstance(node, dict):
        if part not in node or node[part] is None:
            node[part] = {}
        return node[part]
    raise SpecError(
        f"{where}: param {key!r}: {so_far} is not a mapping or a list index in the spec"
    )


def _set(node: Any, part: str, value: Any, key: str, where: str) -> None:
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        node[int(part)] = value
    elif isinstance(node, dict):
        node[part] = value
    else:
        raise SpecError(f"{where}: param {key!r} does not name a key or list index of the spec")
