"""One-call faults: ``with faults.latency("api->db-replica-1", ms=300, proxy=shop.proxy_url):``.

Each builds a :class:`~pulsekit.faults.client.Faults` for ``proxy`` (a URL or a Sandbox; default
``PULSEKIT_PROXY_URL`` or http://127.0.0.1:8474) and applies one fault; the returned
:class:`~pulsekit.faults.Fault` reverts it on ``remove()`` or at the end of a ``with`` block.
"""

from __future__ import annotations

from typing import Any

from pulsekit._types import ProxyTarget
from pulsekit.faults._fault import Fault
from pulsekit.faults.client import Faults


def latency(
    link: str,
    *,
    ms: int = 200,
    jitter_ms: int = 0,
    stream: str = "downstream",
    toxicity: float = 1.0,
    ttl: str | float | None = None,
    proxy: ProxyTarget = None,
) -> Fault:
    """Delay ``link`` by ``ms`` ± ``jitter_ms`` milliseconds (one way)."""
    return Faults(proxy).latency(
        link, ms=ms, jitter_ms=jitter_ms, stream=stream, toxicity=toxicity, ttl=ttl
    )


def down(link: str, *, ttl: str | float | None = None, proxy: ProxyTarget = None) -> Fault:
    """Take ``link`` down: connections close and new ones are refused."""
    return Faults(proxy).down(link, ttl=ttl)


def bandwidth(
    link: str,
    *,
    kbps: int,
    stream: str = "downstream",
    ttl: str | float | None = None,
    proxy: ProxyTarget = None,
) -> Fault:
    """Limit ``link`` to ``kbps`` KB/s."""
    return Faults(proxy).bandwidth(link, kbps=kbps, stream=stream, ttl=ttl)


def timeout(
    link: str,
    *,
    ms: int = 0,
    stream: str = "downstream",
    ttl: str | float | None = None,
    proxy: ProxyTarget = None,
) -> Fault:
    """Black-hole ``link`` (close after ``ms`` if above 0)."""
    return Faults(proxy).timeout(link, ms=ms, stream=stream, ttl=ttl)


def reset_peer(
    link: str,
    *,
    after_ms: int = 0,
    stream: str = "downstream",
    ttl: str | float | None = None,
    proxy: ProxyTarget = None,
) -> Fault:
    """Reset connections on ``link`` (TCP RST) ``after_ms`` after their first data."""
    return Faults(proxy).reset_peer(link, after_ms=after_ms, stream=stream, ttl=ttl)


def packet_loss(
    link: str,
    *,
    rate: float = 0.1,
    correlation: float = 0.0,
    stream: str = "downstream",
    ttl: str | float | None = None,
    proxy: ProxyTarget = None,
) -> Fault:
    """Drop a fraction ``rate`` of the chunks on ``link``."""
    return Faults(proxy).packet_loss(
        link, rate=rate, correlation=correlation, stream=stream, ttl=ttl
    )


def http_errors(
    link: str,
    *,
    status: int = 503,
    rate: float = 1.0,
    body: str | None = None,
    ttl: str | float | None = None,
    proxy: ProxyTarget = None,
) -> Fault:
    """Answer a fraction ``rate`` of HTTP responses on ``link`` with ``status``."""
    return Faults(proxy).http_errors(link, status=status, rate=rate, body=body, ttl=ttl)


def halt(*, proxy: ProxyTarget = None) -> dict[str, Any]:
    """Revert every fault on the proxy and refuse new ones until :func:`release`."""
    return Faults(proxy).halt()


def release(*, proxy: ProxyTarget = None) -> dict[str, Any]:
    """Accept faults again after :func:`halt`."""
    return Faults(proxy).release()
