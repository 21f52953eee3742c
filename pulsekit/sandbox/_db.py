"""A database node (primary or read replica): SQLite behind a bounded connection pool.

This module and ``_dbclient.py`` are the embedded tier (``Sandbox(db="embedded")``); ``_pg*.py``
are the PostgreSQL tier behind the same named queries (``_queries.py``). Each query holds a pool slot for its real SQLite time plus a
modeled storage latency, so a node has a fixed capacity: losing a replica under load shows up as
queueing, and past capacity as errors (``pool timeout``), as it does on a real database.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import Counter, Gauge, Histogram

from pulsekit.errors import SandboxError
from pulsekit.sandbox import _http
from pulsekit.sandbox._config import ServiceConfig
from pulsekit.sandbox._queries import READS, WRITES
from pulsekit.sandbox._seed import seed

POOL_TIMEOUT_S = 2.0
MAX_WAITING = 256


class Node:
    """One database process: its data, its bounded pool, its metrics and (replicas) replication."""

    def __init__(self, *, role: str, seed_value: int, pool: int, registry: Any) -> None:
        self.role = role
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        seed(self.conn, seed=seed_value)
        self.pool = asyncio.Semaphore(pool)
        self.waiting = 0
        self.in_use = 0
        self.log: list[tuple[int, float, str, dict[str, Any]]] = []  # primary: the write log
        self.applied = 0  # replica: last applied log position
        self.caught_up_at = time.time()
        Gauge("shop_db_pool_size", "Connections in the pool.", registry=registry).set(pool)
        Gauge("shop_db_pool_in_use", "Connections busy.", registry=registry).set_function(
            lambda: self.in_use
        )
        Gauge(
            "shop_db_pool_waiting", "Queries waiting for a connection.", registry=registry
        ).set_function(lambda: self.waiting)
        self.queries = Counter(
            "shop_db_queries",
            "Queries run, by name and status.",
            ["query", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "shop_db_query_duration_seconds",
            "Time from arrival to answer, queueing for a connection included.",
            ["query"],
            buckets=_http.BUCKETS,
            registry=registry,
        )
        if role == "db-replica":
            Gauge(
                "shop_db_replication_lag_seconds",
                "How stale this replica may be: seconds since it last held every write of the primary.",
                registry=registry,
            ).set_function(lambda: max(0.0, time.time() - self.caught_up_at))

    async def run(self, name: str, params: dict[str, Any], *, write: bool) -> list[dict[str, Any]]:
        table = WRITES if write else READS
        sql, storage_s = table[name]
        start = time.perf_counter()
        if self.waiting >= MAX_WAITING:
            self.queries.labels(name, "rejected").inc()
            raise web.HTTPServiceUnavailable(text="too many queries waiting for a connection")
        self.waiting += 1
        try:
            await asyncio.wait_for(self.pool.acquire(), POOL_TIMEOUT_S)
        except TimeoutError:
            self.queries.labels(name, "timeout").inc()
            raise web.HTTPServiceUnavailable(text="pool timeout: no free connection") from None
        finally:
            self.waiting -= 1
        self.in_use += 1
        try:
            rows = [dict(r) for r in self.conn.execute(sql, params).fetchall()]
            if write:
                self.conn.commit()
                self.log.append((len(self.log) + 1, time.time(), name, params))
            await asyncio.sleep(storage_s)
        finally:
            self.in_use -= 1
            self.pool.release()
        self.queries.labels(name, "ok").inc()
        self.duration.labels(name).observe(time.perf_counter() - start)
        return rows

    def apply(self, entries: list[list[Any]]) -> None:
        for seq, _ts, name, params in entries:
            if seq != self.applied + 1:
                continue
            self.conn.execute(WRITES[name][0], params)
            self.applied = seq
        self.conn.commit()


def build(config: ServiceConfig) -> tuple[web.Application, Callable[[], Any] | None]:
    primary_url = config.primary_url
    if config.role == "db-replica" and primary_url is None:
        raise SandboxError(
            f"{config.name}: a db-replica's config needs primary_url (the primary's URL)"
        )
    app = _http.make_app()
    node = Node(
        role=config.role,
        seed_value=config.seed,
        pool=config.db_pool,
        registry=app[_http.REGISTRY_KEY],
    )

    async def query(request: web.Request) -> web.Response:
        body = await request.json()
        name, params = body.get("query"), body.get("params", {})
        if name not in READS:
            raise web.HTTPBadRequest(text=f"unknown read query {name!r}")
        return web.json_response({"rows": await node.run(name, params, write=False)})

    async def execute(request: web.Request) -> web.Response:
        if node.role != "db-primary":
            raise web.HTTPConflict(text="read-only replica: send writes to the primary")
        body = await request.json()
        name, params = body.get("query"), body.get("params", {})
        if name not in WRITES:
            raise web.HTTPBadRequest(text=f"unknown write {name!r}")
        await node.run(name, params, write=True)
        return web.json_response({"position": len(node.log)})

    async def replication(request: web.Request) -> web.Response:
        after = int(request.query.get("after", "0"))
        entries = node.log[after : after + 500]
        return web.json_response({"head": len(node.log), "entries": entries})

    app.router.add_post("/query", query)
    app.router.add_post("/execute", execute)
    app.router.add_get("/replication", replication)

    async def on_start() -> None:
        if primary_url is not None and node.role == "db-replica":
            asyncio.get_running_loop().create_task(_replicate(node, primary_url))

    return app, on_start


async def _replicate(node: Node, primary_url: str, interval: float = 0.1) -> None:
    """Pull the primary's write log and apply it: asynchronous replication."""
    timeout = aiohttp.ClientTimeout(total=1.0)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            started = time.time()
            try:
                async with session.get(
                    f"{primary_url}/replication", params={"after": str(node.applied)}
                ) as resp:
                    data = await resp.json()
                node.apply(data["entries"])
                if node.applied >= data["head"]:
                    node.caught_up_at = started
            except (aiohttp.ClientError, TimeoutError, ValueError):
                pass  # primary unreachable: lag keeps growing, which is the signal
            await asyncio.sleep(interval)
