"""A PostgreSQL node's companion process: ``/healthz`` and ``/metrics`` read from PostgreSQL itself.

It connects to its node directly (not through a link). On the primary it also commits a heartbeat
every 0.25 s, so the WAL keeps flowing and replication lag is measured even when the shop is idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import Gauge

from pulsekit.errors import SandboxError
from pulsekit.sandbox import _http
from pulsekit.sandbox._config import ServiceConfig
from pulsekit.sandbox._pgclient import bounded

EVERY_S = 0.25
TIMEOUT_S = 0.5
_REPLICA_LAG = "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
_PRIMARY_LAG = (
    "SELECT application_name, state, extract(epoch FROM coalesce(replay_lag, '0')) "
    "FROM pg_stat_replication"
)
_CONNECTIONS = (
    "SELECT coalesce(state, 'other'), count(*) FROM pg_stat_activity "
    "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1"
)


class _Probe:
    """One connection to the node, re-opened after a failure; the last facts read through it."""

    def __init__(self, config: ServiceConfig, registry: Any) -> None:
        if config.node_role is None or config.pg_port is None:
            raise SandboxError(f"{config.name}: a pg-exporter's config needs node_role and pg_port")
        self.role = config.node_role
        self.conninfo = (
            f"host=127.0.0.1 port={config.pg_port} user=pk dbname=shop "
            f"password={os.environ.get('PULSEKIT_DB_PASSWORD', '')} connect_timeout=2 "
            "application_name=pulsekit-exporter"
        )
        self.conn: Any = None
        self.up = False
        self.lag: float | None = None
        self.up_gauge = Gauge("shop_db_up", "1 while PostgreSQL answers.", registry=registry)
        self.connections = Gauge(
            "shop_db_connections",
            "Client connections to this node, by state (pg_stat_activity).",
            ["state"],
            registry=registry,
        )
        if self.role == "db-replica":
            Gauge(
                "shop_db_replication_lag_seconds",
                "How stale this replica is: now() - pg_last_xact_replay_timestamp().",
                registry=registry,
            ).set_function(lambda: self.lag if self.lag is not None else float("nan"))
        else:
            self.replay_lag = Gauge(
                "shop_db_replay_lag_seconds",
                "pg_stat_replication.replay_lag per streaming replica, seen from the primary.",
                ["replica"],
                registry=registry,
            )
            self.streaming = Gauge(
                "shop_db_replicas_streaming",
                "Replicas streaming from this primary.",
                registry=registry,
            )

    async def _connect(self) -> Any:
        import psycopg

        if self.conn is None or self.conn.closed:
            self.conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        return self.conn

    async def once(self) -> None:
        import psycopg

        try:
            await bounded(self._read(), TIMEOUT_S)
        except (psycopg.Error, TimeoutError, OSError):
            self.up = False
            if self.conn is not None:
                with contextlib.suppress(Exception):
                    self.conn.pgconn.finish()
                self.conn = None
        self.up_gauge.set(1 if self.up else 0)

    async def _read(self) -> None:
        conn = await self._connect()
        recovery = (await (await conn.execute("SELECT pg_is_in_recovery()")).fetchone())[0]
        self.up = bool(recovery) == (self.role == "db-replica")
        if self.role == "db-replica":
            self.lag = (await (await conn.execute(_REPLICA_LAG)).fetchone())[0]
            self.lag = None if self.lag is None else max(0.0, float(self.lag))
        else:
            await conn.execute("UPDATE heartbeat SET at = now() WHERE id = 1")
            rows = await (await conn.execute(_PRIMARY_LAG)).fetchall()
            self.streaming.set(sum(1 for _, state, _ in rows if state == "streaming"))
            for name, _, lag in rows:
                self.replay_lag.labels(name).set(float(lag))
        counts = dict(await (await conn.execute(_CONNECTIONS)).fetchall())
        for state in ("active", "idle", "idle in transaction"):
            self.connections.labels(state).set(counts.get(state, 0))

    async def loop(self) -> None:
        while True:
            await self.once()
            await asyncio.sleep(EVERY_S)


def build(config: ServiceConfig) -> tuple[web.Application, Callable[[], Any] | None]:
    app = _http.make_app(healthz=False)
    probe = _Probe(config, app[_http.REGISTRY_KEY])

    async def healthz(request: web.Request) -> web.Response:
        if not probe.up:
            return web.json_response({"status": "down", "node": config.name}, status=503)
        return web.json_response({"status": "ok", "node": config.name, "pid": os.getpid()})

    app.router.add_get("/healthz", healthz)

    async def on_start() -> None:
        await probe.once()
        asyncio.get_running_loop().create_task(probe.loop())

    return app, on_start
