"""Chaos Toolkit actions: apply and remove faults on the pulsekit fault proxy, signal sandbox services.

Every action bounds its own I/O (10 s per API call) and returns JSON. Removals are idempotent, so
they are safe as rollbacks even when the action they undo never ran.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from pulsekit._types import Configuration
from pulsekit.chaos._config import faults_of, sandbox_state
from pulsekit.errors import FaultError, NotAllowedError

__all__ = [
    "add_latency",
    "add_toxic",
    "bring_link_up",
    "freeze_service",
    "halt_faults",
    "inject_http_errors",
    "kill_service",
    "release_faults",
    "remove_all_faults",
    "remove_toxic",
    "take_link_down",
    "thaw_service",
]


def add_toxic(
    link: str,
    toxic_type: str,
    attributes: dict[str, Any] | None = None,
    stream: str = "downstream",
    toxicity: float = 1.0,
    name: str | None = None,
    ttl: str = "5m",
    proxy_url: str | None = None,
    configuration: Configuration | None = None,
) -> dict[str, Any]:
    """Add a Toxiproxy toxic to ``link``; the proxy removes it by itself after ``ttl``."""
    fault = faults_of(configuration, proxy_url).apply(
        link, toxic_type, stream=stream, toxicity=toxicity, ttl=ttl, name=name, **(attributes or {})
    )
    return fault.record.to_dict()


def add_latency(
    link: str,
    latency_ms: int = 200,
    jitter_ms: int = 0,
    stream: str = "downstream",
    ttl: str = "5m",
    proxy_url: str | None = None,
    configuration: Configuration | None = None,
) -> dict[str, Any]:
    """Delay every chunk on ``link`` by ``latency_ms`` ± ``jitter_ms`` (one way)."""
    fault = faults_of(configuration, proxy_url).latency(
        link, ms=latency_ms, jitter_ms=jitter_ms, stream=stream, ttl=ttl
    )
    return fault.record.to_dict()


def inject_http_errors(
    link: str,
    status: int = 503,
    rate: float = 1.0,
    ttl: str = "5m",
    proxy_url: str | None = None,
    configuration: Configuration | None = None,
) -> dict[str, Any]:
    """Answer a fraction ``rate`` of HTTP responses on ``link`` with ``status``."""
    fault = faults_of(configuration, proxy_url).http_errors(link, status=status, rate=rate, ttl=ttl)
    return fault.record.to_dict()


def remove_toxic(
    link: str,
    name: str,
    proxy_url: str | None = None,
    configuration: Configuration | None = None,
) -> bool:
    """Remove the toxic ``name`` from ``link``; True if it was there (idempotent)."""
    faults = faults_of(configuration, proxy_url)
    try:
        faults._call("DELETE", f"/proxies/{link}/toxics/{name}")
    except FaultError as exc:
        if getattr(exc, "status", None) == 404:
            return False
        raise
    return True


def take_link_down(
    link: str,
    ttl: str = "5m",
    proxy_url: str | None = None,
    configuration: Configuration | None = None,
) -> dict[str, Any]:
    """Disable ``link``: connections close and new ones are refused until brought up (or ``ttl``)."""
    return faults_of(configuration, proxy_url).down(link, ttl=ttl).record.to_dict()


def bring_link_up(
    link: str, proxy_url: str | None = None, configuration: Configuration | None = None
) -> bool:
    """Enable ``link`` again (idempotent)."""
    faults_of(configuration, proxy_url)._call("POST", f"/proxies/{link}", {"enabled": True})
    return True


def remove_all_faults(
    proxy_url: str | None = None, configuration: Configuration | None = None
) -> bool:
    """Remove every toxic and re-enable every link (Toxiproxy ``/reset``; the universal rollback)."""
    faults_of(configuration, proxy_url).reset()
    return True


def halt_faults(
    proxy_url: str | None = None, configuration: Configuration | None = None
) -> dict[str, Any]:
    """Revert every fault and refuse new ones until :func:`release_faults`."""
    return faults_of(configuration, proxy_url).halt()


def release_faults(
    proxy_url: str | None = None, configuration: Configuration | None = None
) -> dict[str, Any]:
    """Accept faults again after a halt."""
    return faults_of(configuration, proxy_url).release()


def _service_pid(name: str, configuration: Configuration | None) -> int:
    import psutil

    state = sandbox_state(configuration)
    service = state.get("services", {}).get(name)
    if service is None:
        known = ", ".join(sorted(state.get("services", {})))
        raise NotAllowedError(
            f"{name!r} is not a service of the sandbox; the services are: {known}"
        )
    pid, started = int(service["pid"]), service.get("started")
    try:
        created = psutil.Process(pid).create_time()
    except psutil.Error as exc:
        raise FaultError(f"service {name} (pid {pid}) is not running") from exc
    if started is not None and abs(created - float(started)) > 1.0:
        raise NotAllowedError(
            f"pid {pid} is no longer the sandbox's {name} (it was restarted or the pid was reused); "
            "write a fresh state file from shop.state()"
        )
    return pid


def _signal_service(name: str, sig: signal.Signals, configuration: Configuration | None) -> int:
    pid = _service_pid(name, configuration)
    os.kill(pid, sig)
    return pid


def kill_service(name: str, configuration: Configuration | None = None) -> dict[str, Any]:
    """SIGKILL a sandbox service found in ``pulsekit_sandbox_state`` (a crash, no clean shutdown)."""
    return {"service": name, "pid": _signal_service(name, signal.SIGKILL, configuration)}


def freeze_service(name: str, configuration: Configuration | None = None) -> dict[str, Any]:
    """SIGSTOP a sandbox service (a hung process); undo with :func:`thaw_service`."""
    return {"service": name, "pid": _signal_service(name, signal.SIGSTOP, configuration)}


def thaw_service(name: str, configuration: Configuration | None = None) -> dict[str, Any]:
    """SIGCONT a frozen sandbox service (idempotent)."""
    return {"service": name, "pid": _signal_service(name, signal.SIGCONT, configuration)}
