"""The Toxiproxy 2.12 HTTP API (plus /pulsekit/*, /metrics and /healthz) on aiohttp."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from pulsekit.faults._collection import ProxyCollection
from pulsekit.faults._toxics import ApiError

TOXIPROXY_VERSION = "2.12.0"
TTL_HEADER = "X-Pulsekit-Ttl"
_JSON = "application/json"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type=_JSON)


def _error(exc: ApiError) -> web.Response:
    # Toxiproxy writes JSON errors with Go's http.Error, hence text/plain
    return web.Response(
        status=exc.status, text=json.dumps(exc.body()) + "\n", content_type="text/plain"
    )


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "bad request body: EOF")
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise ApiError(400, "bad request body: JSON nested too deeply") from exc
    except ValueError as exc:
        raise ApiError(400, f"bad request body: {exc}") from exc


def build_app(
    collection: ProxyCollection,
    *,
    metrics: Callable[[], bytes] | None = None,
    plain: bool = False,
) -> web.Application:
    """The aiohttp application serving ``collection`` (``plain``: only Toxiproxy's own routes)."""
    ids = itertools.count(1)

    @web.middleware
    async def toxiproxy_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("User-Agent", "").startswith("Mozilla/"):
            return web.Response(status=403, text="User agent not allowed\n")
        try:
            response = await handler(request)
        except ApiError as exc:
            response = _error(exc)
        except web.HTTPNotFound:
            response = web.Response(status=404, text="404 page not found\n")
        except web.HTTPException:
            raise
        except (RecursionError, ValueError, TypeError) as exc:
            # input shapes the checks did not foresee: still the caller's input, so a 4xx
            response = _error(ApiError(400, f"bad request body: {type(exc).__name__}"))
        response.headers["X-Toxiproxy-Request-Id"] = str(next(ids))
        return response

    async def list_proxies(request: web.Request) -> web.Response:
        return _json({name: p.to_json() for name, p in collection.proxies.items()})

    async def create_proxy(request: web.Request) -> web.Response:
        proxy = await collection.create(await _body(request), ttl=request.headers.get(TTL_HEADER))
        return _json(proxy.to_json(), 201)

    async def populate(request: web.Request) -> web.Response:
        try:
            proxies = await collection.populate(await _body(request))
        except ApiError as exc:
            return _error(exc)
        return _json({"proxies": [p.to_json() for p in proxies]}, 201)

    async def get_proxy(request: web.Request) -> web.Response:
        return _json(collection.get(request.match_info["proxy"]).to_json())

    async def update_proxy(request: web.Request) -> web.Response:
        body = await _body(request)
        ttl = request.headers.get(TTL_HEADER) or (
            body.get("pulsekit_ttl") if isinstance(body, dict) else None
        )
        proxy = await collection.update(request.match_info["proxy"], body, ttl=ttl)
        return _json(proxy.to_json())

    async def delete_proxy(request: web.Request) -> web.Response:
        await collection.delete(request.match_info["proxy"])
        return web.Response(status=204)

    async def list_toxics(request: web.Request) -> web.Response:
        proxy = collection.get(request.match_info["proxy"])
        return _json([t.to_json() for t in proxy.toxics()])

    async def create_toxic(request: web.Request) -> web.Response:
        collection.get(request.match_info["proxy"])
        body = await _body(request)
        toxic = collection.add_toxic(
            request.match_info["proxy"], body, ttl=request.headers.get(TTL_HEADER)
        )
        response = _json(toxic.to_json())
        expires = toxic.extra["record"]["expires_at"]
        if expires is not None:
            response.headers["X-Pulsekit-Expires-At"] = f"{expires:.3f}"
        return response

    async def get_toxic(request: web.Request) -> web.Response:
        proxy = collection.get(request.match_info["proxy"])
        toxic = proxy.find(request.match_info["toxic"])
        if toxic is None:
            raise ApiError(404, "toxic not found")
        return _json(toxic.to_json())

    async def update_toxic(request: web.Request) -> web.Response:
        collection.get(request.match_info["proxy"])
        body = await _body(request)
        toxic = collection.update_toxic(
            request.match_info["proxy"],
            request.match_info["toxic"],
            body,
            ttl=request.headers.get(TTL_HEADER),
        )
        return _json(toxic.to_json())

    async def delete_toxic(request: web.Request) -> web.Response:
        collection.remove_toxic(request.match_info["proxy"], request.match_info["toxic"])
        return web.Response(status=204)

    async def reset(request: web.Request) -> web.Response:
        await collection.reset()
        return web.Response(status=204)

    async def version(request: web.Request) -> web.Response:
        return web.Response(
            text=json.dumps({"version": TOXIPROXY_VERSION}) + "\n",
            content_type=_JSON,
            charset="utf-8",
        )

    async def status(request: web.Request) -> web.Response:
        return _json(
            {
                "halted": collection.halted,
                "default_ttl": collection.default_ttl,
                "max_ttl": collection.max_ttl,
                "proxies": len(collection.proxies),
                "active": collection.active(),
            }
        )

    async def history(request: web.Request) -> web.Response:
        return _json(list(collection.history))

    async def halt(request: web.Request) -> web.Response:
        await collection.halt()
        return await status(request)

    async def release(request: web.Request) -> web.Response:
        collection.release()
        return await status(request)

    async def healthz(request: web.Request) -> web.Response:
        return _json({"status": "ok", "pid": os.getpid(), "halted": collection.halted})

    async def metrics_route(request: web.Request) -> web.Response:
        body = metrics() if metrics is not None else b""
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})

    app = web.Application(middlewares=[toxiproxy_middleware], client_max_size=4 * 1024 * 1024)
    p, t = "/proxies/{proxy}", "/proxies/{proxy}/toxics/{toxic}"
    app.router.add_get("/proxies", list_proxies)
    app.router.add_post("/proxies", create_proxy)
    app.router.add_post("/populate", populate)
    app.router.add_get(p, get_proxy)
    app.router.add_post(p, update_proxy)
    app.router.add_patch(p, update_proxy)
    app.router.add_delete(p, delete_proxy)
    app.router.add_get(p + "/toxics", list_toxics)
    app.router.add_post(p + "/toxics", create_toxic)
    app.router.add_get(t, get_toxic)
    app.router.add_post(t, update_toxic)
    app.router.add_patch(t, update_toxic)
    app.router.add_delete(t, delete_toxic)
    app.router.add_post("/reset", reset)
    app.router.add_get("/version", version)
    if plain:
        return app
    app.router.add_get("/pulsekit/status", status)
    app.router.add_get("/pulsekit/history", history)
    app.router.add_post("/pulsekit/halt", halt)
    app.router.add_post("/pulsekit/release", release)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_route)
    return app
