"""Chaos Toolkit probes: HTTP latency and status, active faults, halt state, sandbox service health."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from pulsekit._types import Configuration
from pulsekit._util import check_host_allowed
from pulsekit.chaos._config import allow_hosts, faults_of, sandbox_state
from pulsekit.errors import ConfigError

__all__ = ["active_faults", "faults_halted", "http_latency", "service_alive"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]


def http_latency(
    url: str,
    requests: int = 20,
    timeout: float = 5.0,
    configuration: Configuration | None = None,
) -> dict[str, Any]:
    """GET ``url`` ``requests`` times; returns ok_ratio, p50_ms, p95_ms, max_ms, errors, statuses.

    Use a range tolerance with a target, e.g. ``{"type": "range", "range": [0.95, 1.0],
    "target": "ok_ratio"}`` or ``{"type": "range", "range": [0, 1000], "target": "p95_ms"}``.
    """
    check_host_allowed(url, allow=allow_hosts(configuration), what="probe url")
    if not isinstance(requests, int) or not 1 <= requests <= 10_000:
        raise ConfigError(f"requests={requests!r} must be an integer from 1 to 10000")
    durations: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    for _ in range(requests):
        start = time.perf_counter()
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "pulsekit-probe"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                statuses[response.status] += 1
        except urllib.error.HTTPError as exc:
            exc.read()
            statuses[exc.code] += 1
        except OSError:
            errors += 1
        durations.append((time.perf_counter() - start) * 1000.0)
    ok = sum(n for code, n in statuses.items() if code < 500)
    return {
        "url": url,
        "requests": requests,
        "ok_ratio": round(ok / requests, 4),
        "errors": errors,
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "status": statuses.most_common(1)[0][0] if statuses else 0,
        "p50_ms": round(_percentile(durations, 0.5), 2),
        "p95_ms": round(_percentile(durations, 0.95), 2),
        "max_ms": round(max(durations), 2),
    }


def active_faults(proxy_url: str | None = None, configuration: Configuration | None = None) -> int:
    """How many faults are in force on the proxy (0 after a clean rollback)."""
    return len(faults_of(configuration, proxy_url).status()["active"])


def faults_halted(proxy_url: str | None = None, configuration: Configuration | None = None) -> bool:
    """True while the proxy's halt lever is engaged."""
    return bool(faults_of(configuration, proxy_url).status()["halted"])


def service_alive(name: str, configuration: Configuration | None = None) -> bool:
    """True when the sandbox service ``name`` answers ``/healthz`` with 200."""
    state = sandbox_state(configuration)
    service = state.get("services", {}).get(name)
    if service is None:
        raise ConfigError(f"{name!r} is not a service of the sandbox")
    try:
        url = f"http://127.0.0.1:{int(service['port'])}/healthz"
        with urllib.request.urlopen(url, timeout=2.0) as response:
            return bool(response.status == 200)
    except OSError:
        return False
