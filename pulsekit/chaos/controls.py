"""A Chaos Toolkit control that owns the fault proxy's lifecycle and guarantees rollbacks.

Declare it at the top of an experiment::

    controls:
      - name: pulsekit
        provider: {type: python, module: pulsekit.chaos.controls,
                   arguments: {start_proxy: false, reset_at_end: true}}

* ``start_proxy: true`` starts a :class:`~pulsekit.faults.FaultProxy` in the chaos process and points
  every pulsekit activity at it (configuration ``pulsekit_proxy_url`` and ``PULSEKIT_PROXY_URL``).
* Refuses to start (``InterruptExecution``) while the proxy's halt lever is engaged.
* After the experiment: plays the experiment's rollbacks if Chaos Toolkit skipped them (a failed
  gate, an interrupt, strategy ``default``), then resets every fault on the proxy. The proxy's TTLs
  remain the last line of defence if this process itself dies.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulsekit._types import Configuration, Secrets
from pulsekit.chaos._config import faults_of, proxy_url
from pulsekit.errors import PulsekitError

__all__ = [
    "after_experiment_control",
    "before_experiment_control",
    "cleanup_control",
    "configure_control",
]

logger = logging.getLogger("chaostoolkit")


class _ControlState:
    """What this control started (Chaos Toolkit controls are module functions, so it lives here)."""

    def __init__(self) -> None:
        self.proxy: Any = None
        self.reset_at_end = True
        self.replay_rollbacks = True
        self.previous_env: str | None = None


_state = _ControlState()


def configure_control(
    start_proxy: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
    reset_at_end: bool = True,
    replay_rollbacks: bool = True,
    configuration: Configuration | None = None,
    **_: Any,
) -> None:
    """Start a FaultProxy when asked and remember the end-of-run policy."""
    _state.reset_at_end = reset_at_end
    _state.replay_rollbacks = replay_rollbacks
    if start_proxy and _state.proxy is None:
        from pulsekit.faults.proxy import FaultProxy

        _state.proxy = FaultProxy(host=host, port=port).start()
        _state.previous_env = os.environ.get("PULSEKIT_PROXY_URL")
        os.environ["PULSEKIT_PROXY_URL"] = _state.proxy.url
        if configuration is not None:
            configuration["pulsekit_proxy_url"] = _state.proxy.url
        logger.info(f"pulsekit: fault proxy started on {_state.proxy.url}")


def before_experiment_control(
    context: dict[str, Any], configuration: Configuration | None = None, **_: Any
) -> None:
    """Stop the run before anything happens when faults are halted."""
    from chaoslib.exceptions import InterruptExecution

    try:
        halted = faults_of(configuration).status()["halted"]
    except PulsekitError as exc:
        raise InterruptExecution(f"pulsekit: fault proxy unavailable: {exc}") from exc
    if halted:
        raise InterruptExecution(
            f"pulsekit: faults are halted on {proxy_url(configuration)}; "
            "run `pulsekit faults release` first"
        )


def after_experiment_control(
    context: dict[str, Any],
    state: dict[str, Any],
    configuration: Configuration | None = None,
    secrets: Secrets | None = None,
    **_: Any,
) -> None:
    """Play skipped rollbacks, then reset every fault on the proxy."""
    experiment = context if isinstance(context, dict) else {}
    if _state.replay_rollbacks and experiment.get("rollbacks") and not state.get("rollbacks"):
        from chaoslib.rollback import run_rollbacks

        logger.warning("pulsekit: Chaos Toolkit skipped the rollbacks; playing them now")
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(run_rollbacks(experiment, configuration or {}, secrets or {}, pool, None))
        state["rollbacks"] = runs
    if _state.reset_at_end:
        try:
            faults_of(configuration).reset()
        except PulsekitError as exc:
            logger.error(f"pulsekit: could not reset the faults: {exc}")


def cleanup_control() -> None:
    """Stop the FaultProxy this control started (its faults go with it)."""
    if _state.proxy is not None:
        _state.proxy.stop()
        _state.proxy = None
        if _state.previous_env is None:
            os.environ.pop("PULSEKIT_PROXY_URL", None)
        else:
            os.environ["PULSEKIT_PROXY_URL"] = _state.previous_env
