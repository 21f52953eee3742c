"""The api replicas' PostgreSQL client: a bounded psycopg pool per node, reads to replicas, failover.

Every connection goes through the node's ``api->db-*`` link, so a network fault on a link reaches
the real PostgreSQL wire protocol. A query holds its pooled connection for its real time plus the
modeled storage latency of ``_queries.py``, so each node keeps a fixed capacity as on the embedded tier.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from pulsekit.sandbox import _http
from pulsekit.sandbox._dbclient import DatabaseBusy, DatabaseUnavailable
from pulsekit.sandbox._queries import PG_READS, PG_WRITES

HEALTH_EVERY_S = 0.5
HEALTH_TIMEOUT_S = 0.4
QUERY_TIMEOUT_S = 3.0
POOL_TIMEOUT_S = 2.0
MAX_WAITING = 256


async def bounded(coro: Any, timeout: float) -> Any:
    """Await ``coro`` for at most ``timeout`` s; past it, drop its connection at once.

    On a first cancellation psycopg asks the server to cancel the query and waits up to 10 s for
    it, which a frozen server never answers; a second one makes it close the connection instead.
    """
    task = asyncio.ensure_future(coro)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if done:
        return task.result()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    for _ in range(3):
        task.cancel()
        await asyncio.sleep(0)
    raise TimeoutError(f"no answer within {timeout:g} s")


class _Node:
    """One node's bounded pool and the counters its metrics read."""

    def __init__(self, name: str, conninfo: str, size: int) -> None:
        self.name = name
        self.conninfo = conninfo
        self.size = size
        self.in_use = 0
        self.waiting = 0
        self.pool: Any = None
        self.stale = False  # the node was down since this pool was made

    async def fresh(self, *, wait: bool) -> None:
        """Open a new pool and swap it in (closing the old one in the background).

        Called when the node turns healthy: a pool whose connections failed while the node was
        down backs off for many seconds before trying again, while the node already answers.
        ``wait``: swap only once the new pool holds a live connection (else it is closed, raised).
        """
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        pool = AsyncConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=self.size,
            timeout=POOL_TIMEOUT_S,
            max_waiting=MAX_WAITING,
            reconnect_timeout=3600,
            kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0},
            open=False,
            name=self.name,
        )
        try:
            await pool.open(wait=wait, timeout=POOL_TIMEOUT_S)
        except BaseException:
            await pool.close(timeout=0)
            raise
        old, self.pool, self.stale = self.pool, pool, False
        if old is not None:
            asyncio.get_running_loop().create_task(old.close(timeout=1.0))

    def count_in_use(self) -> float:
        return self.in_use

    def count_waiting(self) -> float:
        return self.waiting


class PGClient:
    """Named queries against the PostgreSQL tier (same interface as the embedded ``DBClient``)."""

    def __init__(
        self,
        primary: tuple[str, str],
        replicas: dict[str, str],
        registry: CollectorRegistry,
        *,
        password: str,
        pool: int,
    ) -> None:
        def conninfo(url: str) -> str:
            port = url.rsplit(":", 1)[1]
            return (
                f"host=127.0.0.1 port={port} user=pk dbname=shop password={password} "
                "connect_timeout=2 application_name=pulsekit-api"
            )

        self.primary = primary[0]
        self.nodes = {n: _Node(n, conninfo(u), pool) for n, u in [primary, *replicas.items()]}
        self.replicas = list(replicas)
        self.healthy = dict.fromkeys(self.nodes, False)  # until a health check passes
        # latched once the first round of health checks found the primary up (its pool open):
        # until then the api answers /healthz 503, so the sandbox and the gateway wait for it
        self.ready = False
        self._rr = itertools.count()
        self._health_conns: dict[str, Any] = {}
        self.failovers = Counter(
            "shop_api_db_failovers",
            "Reads that left a database node because it failed, by the node left.",
            ["node"],
            registry=registry,
        )
        self.queries = Counter(
            "shop_db_queries",
            "Queries run, by node, name and status (the pool is in the api on the PostgreSQL tier).",
            ["node", "query", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "shop_db_query_duration_seconds",
            "Time from asking the pool to the answer, queueing for a connection included.",
            ["node", "query"],
            buckets=_http.BUCKETS,
            registry=registry,
        )
        size = Gauge("shop_db_pool_size", "Connections in the pool.", ["node"], registry=registry)
        in_use = Gauge("shop_db_pool_in_use", "Connections busy.", ["node"], registry=registry)
        waiting = Gauge(
            "shop_db_pool_waiting", "Queries waiting for a connection.", ["node"], registry=registry
        )
        for node in self.nodes.values():
            size.labels(node.name).set(node.size)
            in_use.labels(node.name).set_function(node.count_in_use)
            waiting.labels(node.name).set_function(node.count_waiting)

    async def start(self) -> None:
        asyncio.get_running_loop().create_task(self._health_loop())

    async def close(self) -> None:
        for node in self.nodes.values():
            if node.pool is not None:
                await node.pool.close(timeout=1.0)

    def _read_order(self) -> list[str]:
        names = [n for n in self.replicas if self.healthy[n]]
        if names:
            start = next(self._rr) % len(names)
            names = names[start:] + names[:start]
        return [*names, self.primary]

    async def read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Run a read on a healthy replica; on a connection failure try the next, then the primary."""
        sql, delay = PG_READS[query]
        last: BaseException | None = None
        for name in self._read_order():
            try:
                return await self._run(self.nodes[name], query, sql, delay, params)
            except (ConnectionError, TimeoutError) as exc:
                last = exc
                if name in self.replicas:
                    self.healthy[name] = False
                self.failovers.labels(name).inc()
        raise DatabaseUnavailable(f"no database node answered {query}: {last!r}")

    async def write(self, query: str, **params: Any) -> None:
        """Run a write on the primary (replicas replay it from the WAL stream)."""
        sql, delay = PG_WRITES[query]
        try:
            await self._run(self.nodes[self.primary], query, sql, delay, params)
        except (ConnectionError, TimeoutError) as exc:
            raise DatabaseUnavailable(f"the primary did not answer {query}: {exc!r}") from exc

    async def _run(
        self, node: _Node, query: str, sql: str, delay: float, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        import psycopg
        from psycopg_pool import PoolClosed, PoolTimeout, TooManyRequests

        start = time.perf_counter()
        status = "error"
        if node.pool is None:  # before its first health check (the primary is always tried)
            await node.fresh(wait=False)
        node.waiting += 1
        state = {"waiting": True}

        async def attempt() -> list[dict[str, Any]]:
            async with node.pool.connection() as conn:
                node.waiting -= 1
                state["waiting"] = False
                node.in_use += 1
                try:
                    cur = await conn.execute(sql, params)
                    rows = await cur.fetchall() if cur.description else []
                    await asyncio.sleep(delay)  # the node's storage time, holding the connection
                finally:
                    node.in_use -= 1
            return rows  # type: ignore[return-value]

        try:
            rows = await bounded(attempt(), QUERY_TIMEOUT_S)
            status = "ok"
            return rows  # type: ignore[no-any-return]
        except TooManyRequests:
            status = "rejected"
            raise DatabaseBusy(f"{node.name}: too many queries waiting for a connection") from None
        except PoolTimeout:
            status = "timeout"
            if self.healthy.get(node.name, True) and node.pool.get_stats().get("pool_size", 0):
                raise DatabaseBusy(f"{node.name}: pool timeout: no free connection") from None
            raise ConnectionError(f"{node.name}: no connection could be made") from None
        except (psycopg.OperationalError, PoolClosed) as exc:  # PoolClosed: swapped meanwhile
            raise ConnectionError(f"{node.name}: {exc}") from exc
        finally:
            if state["waiting"]:
                node.waiting -= 1
                state["waiting"] = False
            self.queries.labels(node.name, query, status).inc()
            self.duration.labels(node.name, query).observe(time.perf_counter() - start)

    async def _health_loop(self) -> None:
        while True:
            await asyncio.gather(*(self._check(n) for n in self.nodes))
            self.ready = self.ready or self.healthy[self.primary]
            await asyncio.sleep(HEALTH_EVERY_S)

    async def _check(self, name: str) -> None:
        """``SELECT 1`` on a connection of its own, through the link, within 0.4 s."""
        import psycopg

        async def probe() -> None:
            conn = self._health_conns.get(name)
            if conn is None or conn.closed:
                conn = await psycopg.AsyncConnection.connect(
                    self.nodes[name].conninfo, autocommit=True
                )
                self._health_conns[name] = conn
            await conn.execute("SELECT 1")

        try:
            await bounded(probe(), HEALTH_TIMEOUT_S)
            node = self.nodes[name]
            if node.pool is None or node.stale:
                await node.fresh(wait=True)
            self.healthy[name] = True
        except (psycopg.Error, TimeoutError, OSError):
            self.healthy[name] = False
            if self.nodes[name].pool is not None:
                self.nodes[name].stale = True
            broken = self._health_conns.pop(name, None)
            if broken is not None:
                with contextlib.suppress(Exception):
                    broken.pgconn.finish()  # drop the socket at once; a hung server gets no goodbye
