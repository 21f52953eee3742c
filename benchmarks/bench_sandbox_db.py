"""The two database tiers side by side, in one run: PostgreSQL streaming replicas against embedded SQLite.

    .venv/bin/python benchmarks/bench_sandbox.py --tiers postgres,embedded [--seconds 8]

Per tier, with ``replicas=3, db_replicas=2``:
1. time until every service is healthy (median of 3 starts);
2. 30% dashboard / 70% search at 300 requests/s (open model, latency from each scheduled start);
3. the same load with ``db-replica-1`` SIGKILLed a third of the way in: read errors after kill + 2 s,
   dashboard p95 before and after (windows of the run, percentiles over all requests in each window);
4. a write on the primary under that load (after the kill), polled on db-replica-2 directly until there.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import aiohttp

from pulsekit.sandbox import Sandbox

RATE = 300.0
DASHBOARD_SHARE = 0.3


async def _load(
    base: str, rate: float, seconds: float, *, at: float | None = None, action: Any = None
) -> list[tuple[float, str, float, bool]]:
    """(scheduled offset s, kind, latency s, ok) per request; ``action`` runs in a thread at ``at``."""
    rng = random.Random(3)
    out: list[tuple[float, str, float, bool]] = []
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=10)
    ) as session:

        async def one(kind: str, path: str, offset: float, intended: float) -> None:
            ok = False
            try:
                async with session.get(base + path) as resp:
                    await resp.read()
                    ok = resp.status < 400
            except (aiohttp.ClientError, TimeoutError):
                pass
            out.append((offset, kind, time.perf_counter() - intended, ok))

        tasks, fired = [], False
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            offset = i / rate
            delay = start + offset - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if action is not None and not fired and at is not None and offset >= at:
                fired = True
                threading.Thread(target=action, daemon=True).start()
            if rng.random() < DASHBOARD_SHARE:
                kind, path = "dashboard", f"/api/vendors/{rng.randint(1, 300)}/dashboard"
            else:
                kind = "search"
                path = f"/api/search?q={rng.choice(['Lamp', 'Mug', 'Tent', 'Desk', 'Eco'])}"
            tasks.append(asyncio.create_task(one(kind, path, offset, start + offset)))
        await asyncio.gather(*tasks)
    return out


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[int(0.95 * (len(values) - 1))] * 1000 if values else float("nan")


def _orders(shop: Sandbox, node: str) -> int:
    """The order count read on one node directly (psql on PostgreSQL, the node's /query on SQLite)."""
    port = shop.services[node].port
    if shop.db == "postgres":
        import psycopg

        with psycopg.connect(shop._pg.dsn(port)) as conn:
            return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])  # type: ignore[index]
    request = urllib.request.Request(  # the vendor's orders: a checkout of product 7 adds one
        f"http://127.0.0.1:{port}/query",
        data=json.dumps({"query": "dashboard_totals", "params": {"vendor": _VENDOR}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        return int(json.loads(resp.read())["rows"][0]["orders"])


_VENDOR = 0


def _post(url: str, payload: dict[str, Any]) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _visibility(shop: Sandbox, writes: int = 5) -> list[float]:
    """Seconds from a committed checkout (answered 200) to its order on the surviving replica."""
    global _VENDOR
    with urllib.request.urlopen(shop.url + "/api/products/7", timeout=5) as resp:
        _VENDOR = json.loads(resp.read())["vendor_id"]
    results = []
    for i in range(writes):
        before = {n: _orders(shop, n) for n in ("db-replica-2",)}
        session = f"bench-visibility-{time.time_ns()}-{i}"
        _post(shop.url + "/api/cart", {"session": session, "product_id": 7, "qty": 1})
        if _post(shop.url + "/api/checkout", {"session": session}) != 200:
            continue  # declined by payments: nothing was written
        committed = time.perf_counter()
        pending = set(before)
        deadline = committed + 10
        while pending and time.perf_counter() < deadline:
            pending = {n for n in pending if _orders(shop, n) <= before[n]}
            if pending:
                time.sleep(0.005)
        results.append(time.perf_counter() - committed if not pending else float("inf"))
    return results


def _one_tier(db: str, seconds: float) -> dict[str, Any]:
    starts = []
    for _ in range(3):
        t0 = time.perf_counter()
        with Sandbox(replicas=3, db_replicas=2, db=db):
            starts.append(time.perf_counter() - t0)
    row: dict[str, Any] = {"db": db, "start_s": statistics.median(starts)}
    with Sandbox(replicas=3, db_replicas=2, db=db) as shop:
        asyncio.run(_load(shop.url, 100, 2))  # warm up pools and caches
        steady = asyncio.run(_load(shop.url, RATE, seconds))
        row["rps"] = len(steady) / seconds
        row["p95_ms"] = _p95([lat for _, _, lat, _ in steady])
        row["errors"] = sum(not ok for *_, ok in steady) / len(steady)
        visible: list[float] = []
        writer = threading.Thread(target=lambda: visible.extend(_visibility(shop)), daemon=True)
        kill_at = seconds / 3
        run = asyncio.run(
            _load(
                shop.url,
                RATE,
                seconds + 4,
                at=kill_at,
                action=lambda: (shop.kill("db-replica-1"), writer.start()),
            )
        )
        writer.join(timeout=60)
        before = [lat for t, k, lat, _ in run if k == "dashboard" and 1.0 <= t < kill_at]
        after = [lat for t, k, lat, _ in run if k == "dashboard" and t >= kill_at + 2]
        row["errors_after_2s"] = sum(not ok for t, *_, ok in run if t >= kill_at + 2)
        row["errors_first_2s"] = sum(not ok for t, *_, ok in run if kill_at <= t < kill_at + 2)
        row["dash_p95_before"], row["dash_p95_after"] = _p95(before), _p95(after)
        row["visible_s"] = visible
    return row


def compare_tiers(tiers: list[str], *, seconds: float = 8.0) -> None:
    rows = [_one_tier(db, seconds) for db in tiers]
    print(
        f"\nDatabase tiers, replicas=3 db_replicas=2, {RATE:.0f} rps of 30% dashboard / 70% search\n"
    )
    print(
        "| tier | healthy in (median of 3) | achieved rps | p95 ms (all, "
        f"{seconds:.0f} s) | errors | read errors in 2 s after SIGKILL of db-replica-1 | "
        "read errors after kill + 2 s | dashboard p95 ms before -> after kill | "
        "write visible on db-replica-2 (s, each write) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        vis = ", ".join(f"{v:.3f}" for v in r["visible_s"]) or "none"
        print(
            f"| {r['db']} | {r['start_s']:.2f} s | {r['rps']:.0f} | {r['p95_ms']:.1f} | "
            f"{r['errors']:.2%} | {r['errors_first_2s']} | {r['errors_after_2s']} | "
            f"{r['dash_p95_before']:.1f} -> {r['dash_p95_after']:.1f} | {vis} |"
        )


if __name__ == "__main__":
    compare_tiers(["postgres", "embedded"])
