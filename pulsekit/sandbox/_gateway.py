"""The gateway: load balancer over the api replicas (health checks, ejection, retry) and the HTML pages."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import Counter, Gauge

from pulsekit._types import LinkName
from pulsekit.sandbox import _http, _pages
from pulsekit.sandbox._config import ServiceConfig

HEALTH_EVERY_S = 0.5
HEALTH_TIMEOUT_S = 0.4
REQUEST_TIMEOUT_S = 5.0
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}
)


class Balancer:
    """Round robin over api replicas with active health checks; ejects fast, readmits on recovery."""

    def __init__(self, upstreams: dict[str, str], registry: Any) -> None:
        self.upstreams = upstreams  # "api-1" -> "http://127.0.0.1:PORT" (the gateway->api-1 link)
        self.healthy = dict.fromkeys(upstreams, True)
        self._rr = itertools.count()
        self.up = Gauge(
            "shop_gateway_upstream_up",
            "1 when the api replica is in rotation.",
            ["upstream"],
            registry=registry,
        )
        self.retries = Counter(
            "shop_gateway_retries", "Requests retried on another replica.", registry=registry
        )
        self.ejections = Counter(
            "shop_gateway_ejections",
            "Times a replica was taken out of rotation.",
            ["upstream"],
            registry=registry,
        )
        for name in upstreams:
            self.up.labels(name).set(1)
        self.session: aiohttp.ClientSession | None = None

    def mark(self, name: str, healthy: bool) -> None:
        if self.healthy[name] and not healthy:
            self.ejections.labels(name).inc()
        self.healthy[name] = healthy
        self.up.labels(name).set(1 if healthy else 0)

    def pick(self, exclude: set[str]) -> str | None:
        names = [n for n in self.upstreams if self.healthy[n] and n not in exclude]
        if not names:  # everything ejected: try anyone rather than fail without trying
            names = [n for n in self.upstreams if n not in exclude]
        return names[next(self._rr) % len(names)] if names else None

    async def health_loop(self) -> None:
        timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                await asyncio.gather(*(self._check(session, n) for n in self.upstreams))
                await asyncio.sleep(HEALTH_EVERY_S)

    async def _check(self, session: aiohttp.ClientSession, name: str) -> None:
        try:
            async with session.get(f"{self.upstreams[name]}/healthz") as resp:
                self.mark(name, resp.status == 200)
        except (aiohttp.ClientError, TimeoutError):
            self.mark(name, False)


BALANCER_KEY = web.AppKey("balancer", Balancer)


async def forward(request: web.Request) -> web.StreamResponse:
    balancer = request.app[BALANCER_KEY]
    assert balancer.session is not None
    body = await request.read()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
    tried: set[str] = set()
    attempts = 2 if request.method in IDEMPOTENT else 1
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    for _ in range(attempts):
        name = balancer.pick(tried)
        if name is None:
            break
        tried.add(name)
        url = f"{balancer.upstreams[name]}{request.rel_url}"
        remaining = max(0.05, deadline - time.monotonic())
        try:
            async with balancer.session.request(
                request.method,
                url,
                data=body or None,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=remaining),
            ) as resp:
                payload = await resp.read()
                return web.Response(
                    status=resp.status,
                    body=payload,
                    content_type=resp.content_type,
                    charset=resp.charset,
                )
        except TimeoutError:
            return web.json_response({"error": "upstream timeout", "upstream": name}, status=504)
        except aiohttp.ClientConnectionError:
            balancer.mark(name, False)  # passive ejection; the health loop readmits it
            if len(tried) < attempts:
                balancer.retries.inc()
    return web.json_response(
        {"error": "no api replica answered", "tried": sorted(tried)}, status=502
    )


async def balancer_call(request: web.Request, path: str) -> tuple[int, Any]:
    """GET an api path through the balancer (for server-rendered pages): (status, JSON or None)."""
    balancer = request.app[BALANCER_KEY]
    assert balancer.session is not None
    tried: set[str] = set()
    for _ in range(2):
        name = balancer.pick(tried)
        if name is None:
            break
        tried.add(name)
        try:
            async with balancer.session.get(
                f"{balancer.upstreams[name]}{path}",
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            ) as resp:
                data = await resp.json() if resp.status == 200 else None
                return resp.status, data
        except TimeoutError:
            return 504, None
        except aiohttp.ClientConnectionError:
            balancer.mark(name, False)
            balancer.retries.inc()
    return 502, None


async def slow_hero(request: web.Request) -> web.Response:
    """A detailed hero image sent after ``delay_ms`` (the vitals dojo's ``?regress=lcp`` switch)."""
    try:
        delay_ms = min(max(float(request.query.get("delay_ms", "3000")), 0.0), 10_000.0)
    except ValueError:
        raise web.HTTPBadRequest(text="delay_ms must be a number of milliseconds") from None
    await asyncio.sleep(delay_ms / 1000)
    svg = (_pages._PAGES / "hero.svg").read_text(encoding="utf-8")
    return web.Response(
        text=svg, content_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


async def identify(request: web.Request) -> web.Response:
    """Say "this is a pulsekit sandbox gateway", so load runs give its URL the shop's task mixes."""
    return web.json_response({"pulsekit": "sandbox", "role": "gateway"})


def build(config: ServiceConfig) -> tuple[web.Application, Callable[[], Any] | None]:
    app = _http.make_app()
    links = {LinkName.parse(name): url for name, url in config.links.items()}
    upstreams = {link.target: links[link] for link in sorted(links) if link.source == "gateway"}
    balancer = Balancer(upstreams, app[_http.REGISTRY_KEY])
    app[BALANCER_KEY] = balancer
    _pages.add_routes(app, balancer_call)
    app.router.add_get("/static/slow/hero.svg", slow_hero)
    # how `pulsekit load run URL` knows a sandbox
    app.router.add_get("/_pulsekit/sandbox", identify)
    # one route per api endpoint, so the gateway's metrics carry the route template
    for path in ("/api/search", "/api/products/{id}", "/api/vendors/{id}/dashboard"):
        app.router.add_get(path, forward)
    for path in ("/api/cart", "/api/checkout"):
        app.router.add_post(path, forward)
    app.router.add_route("*", "/api/{tail:.*}", forward)

    async def on_start() -> None:
        connector = aiohttp.TCPConnector(limit=512, limit_per_host=128, keepalive_timeout=30)
        balancer.session = aiohttp.ClientSession(connector=connector)
        asyncio.get_running_loop().create_task(balancer.health_loop())

    return app, on_start
