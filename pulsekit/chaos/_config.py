"""How the Chaos Toolkit activities find the fault proxy and the sandbox from an experiment."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pulsekit._types import Configuration
from pulsekit.errors import ConfigError
from pulsekit.faults.client import Faults


def proxy_url(configuration: Configuration | None, given: str | None = None) -> str:
    """``given``, else configuration ``pulsekit_proxy_url``, else ``PULSEKIT_PROXY_URL``, else :8474."""
    if given:
        return given
    value = (configuration or {}).get("pulsekit_proxy_url")
    return str(value or os.environ.get("PULSEKIT_PROXY_URL") or "http://127.0.0.1:8474")


def allow_hosts(configuration: Configuration | None) -> list[str]:
    value = (configuration or {}).get("pulsekit_allow_hosts") or []
    return [value] if isinstance(value, str) else list(value)


def faults_of(configuration: Configuration | None, given: str | None = None) -> Faults:
    return Faults(proxy_url(configuration, given), allow=allow_hosts(configuration))


def sandbox_state(configuration: Configuration | None) -> dict[str, Any]:
    """The sandbox state (``Sandbox.state()``) from ``pulsekit_sandbox_state``: a JSON file or a name."""
    ref = (configuration or {}).get("pulsekit_sandbox_state") or os.environ.get(
        "PULSEKIT_SANDBOX_STATE"
    )
    if not ref:
        raise ConfigError(
            "no sandbox given: set configuration pulsekit_sandbox_state (a state JSON file written "
            "from shop.state(), or the name of a `pulsekit sandbox up --name` sandbox)"
        )
    path = Path(str(ref))
    if path.is_file():
        try:
            return dict(json.loads(path.read_text()))
        except ValueError as exc:
            raise ConfigError(
                f"pulsekit_sandbox_state {ref}: not a JSON state file ({exc})"
            ) from exc
    from pulsekit.sandbox import _state

    state = _state.load(str(ref))
    if state is None:
        raise ConfigError(
            f"pulsekit_sandbox_state {ref!r} is neither a state file nor a running named sandbox"
        )
    return state
