"""Chaos Toolkit extension: ``pulsekit.chaos.actions``, ``.probes``, ``.controls`` and ``discover()``."""

from __future__ import annotations

import importlib
import types
import typing
from typing import Any

__all__ = ["discover"]

_MODULES = ("pulsekit.chaos.actions", "pulsekit.chaos.probes")


def _portable(hint: Any) -> str:
    from chaoslib.discovery.discover import portable_type_name

    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = args[0] if len(args) == 1 else hint
    origin = typing.get_origin(hint) or hint
    return str(portable_type_name(origin))


def discover(discover_system: bool = True) -> dict[str, Any]:
    """The Chaos Toolkit discovery document of pulsekit's activities (``chaos discover pulsekit``)."""
    from chaoslib.discovery import discover_actions, discover_probes, initialize_discovery_result

    from pulsekit import __version__

    discovery: dict[str, Any] = initialize_discovery_result("pulsekit", __version__, "pulsekit")
    found = discover_actions(_MODULES[0]) + discover_probes(_MODULES[1])
    for activity in found:  # resolve postponed annotations into portable type names
        func = getattr(importlib.import_module(activity["mod"]), activity["name"])
        hints = typing.get_type_hints(func)
        for arg in activity["arguments"]:
            if arg["name"] in hints:
                arg["type"] = _portable(hints[arg["name"]])
        if "return" in hints:
            activity["return_type"] = _portable(hints["return"])
    discovery["activities"].extend(found)
    return discovery
