"""Machinery every sandbox service shares: metrics middleware, /metrics, /healthz, serving on an fd."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)

REGISTRY_KEY = web.AppKey("registry", CollectorRegistry)
METRICS_KEY = web.AppKey("http_metrics", object)


class HttpMetrics:
    """The request metrics every service exports (names are part of the sandbox contract)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "shop_http_requests",
            "HTTP requests served, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "shop_http_request_duration_seconds",
            "Time to serve an HTTP request, by route template and method.",
            ["route", "method"],
            buckets=BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "shop_http_requests_in_flight", "HTTP requests being served now.", registry=registry
        )


def _route_of(request: web.Request) -> str:
    info = request.match_info
    resource = info.route.resource if info.route is not None else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    route = _route_of(request)
    if route in ("/metrics", "/healthz", "/_pulsekit/cache"):  # control, not traffic
        return await handler(request)
    metrics: HttpMetrics = request.app[METRICS_KEY]  # type: ignore[assignment]
    metrics.in_flight.inc()
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.in_flight.dec()
        metrics.duration.labels(route, request.method).observe(time.perf_counter() - start)
        metrics.requests.labels(route, request.method, str(status)).inc()


async def _metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY_KEY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "pid": os.getpid()})


def make_app(*, healthz: bool = True) -> web.Application:
    """An aiohttp app with the metrics middleware, ``/metrics`` and ``/healthz`` already wired.

    ``healthz=False`` leaves ``/healthz`` to the caller (a service whose health is another's).
    """
    registry = CollectorRegistry()
    app = web.Application(middlewares=[metrics_middleware], client_max_size=1024**2)
    app[REGISTRY_KEY] = registry
    app[METRICS_KEY] = HttpMetrics(registry)
    app.router.add_get("/metrics", _metrics)
    if healthz:
        app.router.add_get("/healthz", _healthz)
    return app


def die_with_parent(parent_pid: int | None) -> None:
    """Ask Linux to SIGTERM this process when the process that started it dies."""
    if not parent_pid:
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def allow_profilers() -> None:
    """Let any process of this user attach a profiler (py-spy) under Yama ptrace_scope=1.

    Services start in their own session, so a profiler is a sibling, not an ancestor; without
    PR_SET_PTRACER_ANY, Ubuntu and CI runners refuse the attach. Fails silently without Yama.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(
            0x59616D61, ctypes.c_ulong(-1 & 0xFFFFFFFFFFFFFFFF), 0, 0, 0
        )  # PR_SET_PTRACER_ANY


def serve(
    app: web.Application, fd: int, *, on_start: Callable[[], Awaitable[Any]] | None = None
) -> None:
    """Serve ``app`` on the inherited listening socket ``fd`` until SIGTERM or SIGINT."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        pass
    asyncio.run(_serve(app, fd, on_start))


async def _serve(
    app: web.Application, fd: int, on_start: Callable[[], Awaitable[Any]] | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=1024).start()
    if on_start is not None:
        await on_start()
    await stop.wait()
    await runner.cleanup()
