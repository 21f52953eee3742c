"""The api replicas' database client: reads spread over healthy replicas, failover, writes to primary."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry, Counter

HEALTH_EVERY_S = 0.5
HEALTH_TIMEOUT_S = 0.4
QUERY_TIMEOUT_S = 3.0


class DatabaseUnavailable(Exception):
    """No database node could answer (every replica and the primary failed)."""


class DatabaseBusy(Exception):
    """A node answered that it is over capacity (its pool timed out)."""


class DBClient:
    """Named queries against the database tier, through the api->db-* links."""

    def __init__(
        self, primary: tuple[str, str], replicas: dict[str, str], registry: CollectorRegistry
    ) -> None:
        self.primary = primary  # (node name, base URL)
        self.replicas = dict(replicas)
        self.healthy = dict.fromkeys(replicas, True)
        self._rr = itertools.count()
        self._session: aiohttp.ClientSession | None = None
        self.failovers = Counter(
            "shop_api_db_failovers",
            "Reads that left a database node because it failed, by the node left.",
            ["node"],
            registry=registry,
        )

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=200, limit_per_host=64, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=QUERY_TIMEOUT_S)
        )
        asyncio.get_running_loop().create_task(self._health_loop())

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _read_order(self) -> list[tuple[str, str]]:
        names = [n for n in self.replicas if self.healthy[n]]
        if names:
            start = next(self._rr) % len(names)
            names = names[start:] + names[:start]
        return [(n, self.replicas[n]) for n in names] + [self.primary]

    async def read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Run a read on a healthy replica; on a connection failure try the next, then the primary."""
        last: BaseException | None = None
        for name, url in self._read_order():
            try:
                return await self._post(f"{url}/query", query, params)
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                last = exc
                if name in self.healthy:
                    self.healthy[name] = False
                self.failovers.labels(name).inc()
        raise DatabaseUnavailable(f"no database node answered {query}: {last!r}")

    async def write(self, query: str, **params: Any) -> None:
        """Run a write on the primary (replicas catch up asynchronously)."""
        try:
            await self._post(f"{self.primary[1]}/execute", query, params)
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise DatabaseUnavailable(f"the primary did not answer {query}: {exc!r}") from exc

    async def _post(self, url: str, query: str, params: dict[str, Any]) -> Any:
        assert self._session is not None
        async with self._session.post(url, json={"query": query, "params": params}) as resp:
            if resp.status == 503:
                raise DatabaseBusy(await resp.text())
            if resp.status >= 400:
                raise RuntimeError(f"{url} answered {resp.status}: {await resp.text()}")
            data = await resp.json()
            return data.get("rows", data)

    async def _health_loop(self) -> None:
        timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                await asyncio.gather(*(self._check(session, n) for n in self.replicas))
                await asyncio.sleep(HEALTH_EVERY_S)

    async def _check(self, session: aiohttp.ClientSession, name: str) -> None:
        try:
            async with session.get(f"{self.replicas[name]}/healthz") as resp:
                self.healthy[name] = resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            self.healthy[name] = False
