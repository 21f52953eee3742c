"""Which PostgreSQL driver for the sandbox's api replicas: psycopg 3 (+ psycopg_pool) or asyncpg.

Runs the dashboard's heaviest named query against a sandbox primary from one asyncio process, through
a pool of 4 connections with 32 concurrent callers, for a few seconds each, and prints queries/s and
p50/p99 per driver (the same loop, uvloop, the same server).

    .venv/bin/python benchmarks/bench_pg_drivers.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

SQL = (
    "SELECT count(*) AS orders, coalesce(sum(qty), 0) AS units, "
    "coalesce(sum(total_cents), 0) AS revenue_cents FROM orders WHERE vendor_id = {}"
)


async def _drive(query, seconds: float, callers: int = 32) -> tuple[int, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    rng = random.Random(1)

    async def caller() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            await query(rng.randint(1, 300))
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(caller() for _ in range(callers)))
    return len(latencies), sorted(latencies)


async def _psycopg(dsn: str, seconds: float) -> tuple[int, list[float]]:
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    sql = SQL.format("%(v)s")
    async with AsyncConnectionPool(
        dsn, min_size=4, max_size=4, kwargs={"autocommit": True, "row_factory": dict_row}
    ) as pool:

        async def query(vendor: int) -> None:
            async with pool.connection() as conn:
                await (await conn.execute(sql, {"v": vendor})).fetchall()

        return await _drive(query, seconds)


async def _asyncpg(dsn: str, seconds: float) -> tuple[int, list[float]]:
    import asyncpg

    sql = SQL.format("$1")
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=4)
    try:

        async def query(vendor: int) -> None:
            async with pool.acquire() as conn:
                [dict(r) for r in await conn.fetch(sql, vendor)]

        return await _drive(query, seconds)
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    import uvloop

    from pulsekit.sandbox import Sandbox

    with Sandbox(replicas=1, db_replicas=0, db="postgres") as shop:
        port, password = shop.services["db-primary"].port, shop._pg.password
        dsn = f"postgresql://pk:{password}@127.0.0.1:{port}/shop"
        print(f"{'driver':<22}{'queries/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
        for name, run in (("psycopg 3 + pool", _psycopg), ("asyncpg", _asyncpg)):
            count, lat = uvloop.run(run(dsn, args.seconds))
            p50, p99 = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000
            print(f"{name:<22}{count / args.seconds:>10.0f}{p50:>9.2f}{p99:>9.2f}")


if __name__ == "__main__":
    main()
