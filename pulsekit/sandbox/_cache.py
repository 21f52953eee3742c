"""The api replica's read-through cache for catalog reads (search, product), with a TTL.

One cache per api replica, in process, as a service's local cache is: ``Sandbox(cache_ttl=300)``
keeps a search or product answer 300 s; 0 turns it off. ``POST /_pulsekit/cache {"ttl_s": 2}``
changes the TTL of a running replica (GameDay 05's ``cache_ttl`` step); an entry older than the
current TTL is a miss, so a shorter TTL takes effect at once.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

CACHED = frozenset({"search", "product"})  # the catalog reads; carts, checkout, dashboards: never
MAX_ENTRIES = 20_000  # bounded: the oldest entry goes first
MAX_TTL_S = 86_400.0


def check_ttl(value: Any, field: str = "cache_ttl") -> float:
    """Seconds as a float in [0, 1 day], or a ConfigError naming ``field``."""
    from pulsekit.errors import ConfigError

    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ConfigError(
            f"{field}={value!r} must be seconds, for example {field}=300 (0: no cache)"
        )
    if not 0 <= value <= MAX_TTL_S:
        raise ConfigError(f"{field}={value!r} must be between 0 (no cache) and 86400 seconds")
    return float(value)


class ReadCache:
    """Rows of named reads keyed by (query, parameters), kept ``ttl_s`` seconds."""

    def __init__(self, ttl_s: float, registry: CollectorRegistry) -> None:
        self.ttl_s = ttl_s
        self._rows: OrderedDict[str, tuple[float, list[dict[str, Any]]]] = OrderedDict()
        self.hits = Counter(
            "shop_api_cache_hits",
            "Catalog reads answered from the cache.",
            ["query"],
            registry=registry,
        )
        self.misses = Counter(
            "shop_api_cache_misses",
            "Catalog reads that went to the database (absent, expired or cache off).",
            ["query"],
            registry=registry,
        )
        self.ttl_gauge = Gauge(
            "shop_api_cache_ttl_seconds", "The cache's TTL now (0: off).", registry=registry
        )
        self.ttl_gauge.set(ttl_s)
        Gauge("shop_api_cache_entries", "Entries held.", registry=registry).set_function(
            lambda: len(self._rows)
        )

    def set_ttl(self, ttl_s: float) -> float:
        """Change the TTL; returns the previous one. 0 also drops every entry."""
        previous, self.ttl_s = self.ttl_s, ttl_s
        self.ttl_gauge.set(ttl_s)
        if ttl_s == 0:
            self._rows.clear()
        return previous

    async def read(
        self,
        load: Callable[..., Awaitable[list[dict[str, Any]]]],
        query: str,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """The cached rows of ``query(params)``, or ``load(query, **params)`` stored for later."""
        if query not in CACHED or self.ttl_s <= 0:
            if query in CACHED:
                self.misses.labels(query).inc()
            return await load(query, **params)
        key = query + json.dumps(params, sort_keys=True)
        now = time.monotonic()
        found = self._rows.get(key)
        if found is not None and now - found[0] < self.ttl_s:
            self.hits.labels(query).inc()
            return found[1]
        self.misses.labels(query).inc()
        rows = await load(query, **params)
        self._rows[key] = (time.monotonic(), rows)
        self._rows.move_to_end(key)
        while len(self._rows) > MAX_ENTRIES:
            self._rows.popitem(last=False)
        return rows

    def state(self) -> dict[str, Any]:
        return {"ttl_s": self.ttl_s, "entries": len(self._rows)}


CACHE_KEY = web.AppKey("cache", ReadCache)


async def control(request: web.Request) -> web.Response:
    """``GET``: the TTL and entries; ``POST {"ttl_s": N}``: set the TTL, answer the previous one."""
    cache = request.app[CACHE_KEY]
    if request.method == "GET":
        return web.json_response(cache.state())
    try:
        body = await request.json()
        ttl = check_ttl(body.get("ttl_s") if isinstance(body, dict) else None, "ttl_s")
    except ValueError as exc:  # bad JSON, or ConfigError (a ValueError)
        raise web.HTTPBadRequest(text=f'send {{"ttl_s": seconds}}: {exc}') from None
    previous = cache.set_ttl(ttl)
    return web.json_response({**cache.state(), "previous_ttl_s": previous})
