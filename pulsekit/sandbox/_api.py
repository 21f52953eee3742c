"""An api replica: catalog search, product detail, cart, checkout and the vendor dashboard.

Catalog reads (search, product) go through a read-through cache with a TTL (``_cache``). A replica
started as ``version="faulty"`` is a bad build: it passes ``/healthz`` but answers 500 on every
product read; ``version="slow"`` answers them 800 ms late (GameDay 04, a bad deploy).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import Gauge

from pulsekit._types import LinkName
from pulsekit.sandbox import _cache, _http
from pulsekit.sandbox._config import ServiceConfig
from pulsekit.sandbox._dbclient import DatabaseBusy, DatabaseUnavailable, DBClient

DB_KEY = web.AppKey("db", DBClient)  # or the PostgreSQL tier's PGClient: the same interface
PAYMENTS_KEY = web.AppKey("payments", str)
SESSION_KEY = web.AppKey("session", aiohttp.ClientSession)
N_PLUS_ONE_KEY = web.AppKey("n_plus_one", bool)
VERSION_KEY = web.AppKey("version", str)
SLOW_BUILD_S = 0.8
DAILY_SINCE, LAST_DAY = 335, 364  # the dashboard's daily series: the last 30 days of the year


@web.middleware
async def _db_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)  # type: ignore[no-any-return]
    except DatabaseBusy as exc:
        return web.json_response({"error": "database busy", "detail": str(exc)}, status=503)
    except DatabaseUnavailable as exc:
        return web.json_response({"error": "database unavailable", "detail": str(exc)}, status=503)


def _int(request: web.Request, key: str, *, default: int | None = None) -> int:
    raw = request.match_info.get(key) or request.query.get(key)
    if raw is None and default is not None:
        return default
    try:
        return int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise web.HTTPBadRequest(text=f"{key} must be an integer, got {raw!r}") from None


async def search(request: web.Request) -> web.Response:
    q = request.query.get("q", "")[:50]
    page = max(0, _int(request, "page", default=0))
    app = request.app
    rows = await app[_cache.CACHE_KEY].read(
        app[DB_KEY].read, "search", pattern=f"%{q}%", offset=page * 20
    )
    return web.json_response({"q": q, "page": page, "results": rows})


async def product(request: web.Request) -> web.Response:
    app, product_id = request.app, _int(request, "id")
    if app[VERSION_KEY] == "faulty":  # the bad build: a bug on this route only
        return web.json_response({"error": "internal error (faulty build)"}, status=500)
    if app[VERSION_KEY] == "slow":
        await asyncio.sleep(SLOW_BUILD_S)
    rows = await app[_cache.CACHE_KEY].read(app[DB_KEY].read, "product", id=product_id)
    if not rows:
        raise web.HTTPNotFound(text="no such product")
    return web.json_response(rows[0])


async def dashboard(request: web.Request) -> web.Response:
    db, vendor = request.app[DB_KEY], _int(request, "id")
    totals = await db.read("dashboard_totals", vendor=vendor)
    top = await db.read("dashboard_top", vendor=vendor)
    if request.app[N_PLUS_ONE_KEY]:
        daily = await _daily_one_day_at_a_time(db, vendor, since=DAILY_SINCE)
    else:
        daily = await db.read("dashboard_daily", vendor=vendor, since=DAILY_SINCE)
    return web.json_response({"vendor": vendor, "totals": totals[0], "top": top, "daily": daily})


async def _daily_one_day_at_a_time(db: DBClient, vendor: int, *, since: int) -> list[Any]:
    """The planted slow path (``Sandbox(n_plus_one=True)``, dojo 07): an N+1 query.

    The daily series is loaded one day at a time, 30 round trips where one GROUP BY query does
    (``dashboard_daily`` returns every day from ``since`` on; only its first row is kept). The
    answer is the same; the cost is 32 queries per dashboard instead of 3.
    """
    daily = []
    for day in range(since, LAST_DAY + 1):
        rows = await db.read("dashboard_daily", vendor=vendor, since=day)
        if rows and rows[0]["day"] == day:
            daily.append(rows[0])
    return daily


async def cart_add(request: web.Request) -> web.Response:
    body = await _json(request)
    session = str(body.get("session") or "")
    if not session:
        raise web.HTTPBadRequest(text="session is required")
    product_id, qty = int(body.get("product_id", 0)), int(body.get("qty", 1))
    if not 1 <= product_id <= 5000 or not 1 <= qty <= 99:
        raise web.HTTPBadRequest(text="product_id must be 1..5000 and qty 1..99")
    db = request.app[DB_KEY]
    await db.write("cart_add", session=session, product_id=product_id, qty=qty)
    return web.json_response({"session": session, "added": product_id}, status=201)


async def checkout(request: web.Request) -> web.Response:
    body = await _json(request)
    session = str(body.get("session") or "")
    if not session:
        raise web.HTTPBadRequest(text="session is required")
    db = request.app[DB_KEY]
    try:
        async with request.app[SESSION_KEY].post(
            f"{request.app[PAYMENTS_KEY]}/charge", json={"session": session}
        ) as resp:
            charge = await resp.json()
            if resp.status == 402:
                return web.json_response({"status": "declined", "charge": charge}, status=402)
            if resp.status != 200:
                return web.json_response({"error": "payments failed"}, status=502)
    except (aiohttp.ClientError, TimeoutError):
        return web.json_response({"error": "payments unavailable"}, status=502)
    await db.write("checkout", session=session)
    await db.write("cart_clear", session=session)
    return web.json_response({"status": "paid", "charge": charge})


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


async def healthz(request: web.Request) -> web.Response:
    """200 once the database client can serve (the PostgreSQL tier's pools are open), else 503."""
    version = request.app[VERSION_KEY]  # a faulty build is healthy here: /healthz reads no product
    if not getattr(request.app[DB_KEY], "ready", True):
        return web.json_response(
            {"status": "starting", "pid": os.getpid(), "version": version}, status=503
        )
    return web.json_response({"status": "ok", "pid": os.getpid(), "version": version})


def build(config: ServiceConfig) -> tuple[web.Application, Callable[[], Any] | None]:
    app = _http.make_app(healthz=False)
    app.router.add_get("/healthz", healthz)
    app.middlewares.append(_db_errors)
    links = config.links  # link name -> "http://127.0.0.1:PORT"
    hops = [LinkName.parse(name) for name in links]
    replicas = {h.target: links[str(h)] for h in hops if h.target.startswith("db-replica")}
    db: Any
    if config.db == "postgres":
        from pulsekit.sandbox._pgclient import PGClient

        db = PGClient(
            ("db-primary", links["api->db-primary"]),
            replicas,
            app[_http.REGISTRY_KEY],
            password=os.environ.get("PULSEKIT_DB_PASSWORD", ""),
            pool=config.db_pool,
        )
    else:
        db = DBClient(("db-primary", links["api->db-primary"]), replicas, app[_http.REGISTRY_KEY])
    app[DB_KEY] = db
    app[PAYMENTS_KEY] = links["api->payments"]
    app[N_PLUS_ONE_KEY] = config.n_plus_one
    app[VERSION_KEY] = config.version
    registry = app[_http.REGISTRY_KEY]
    Gauge(
        "shop_api_build_info", "1, labelled with the build running.", ["version"], registry=registry
    ).labels(app[VERSION_KEY]).set(1)
    app[_cache.CACHE_KEY] = _cache.ReadCache(config.cache_ttl, registry)
    app.router.add_route("GET", "/_pulsekit/cache", _cache.control)
    app.router.add_route("POST", "/_pulsekit/cache", _cache.control)
    app.router.add_get("/api/search", search)
    app.router.add_get("/api/products/{id}", product)
    app.router.add_get("/api/vendors/{id}/dashboard", dashboard)
    app.router.add_post("/api/cart", cart_add)
    app.router.add_post("/api/checkout", checkout)

    async def on_start() -> None:
        await db.start()
        app[SESSION_KEY] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3.0))

    return app, on_start
