"""``make demo``: start the sandbox, drive traffic, kill an api replica and a database replica midway,
and show that the gateway ejected the dead replica and traffic kept flowing."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

DURATION_S = 12.0
EVENTS = ((4.0, "api-2"), (7.0, "db-replica-1"))  # (second, service to SIGKILL)


@dataclass
class Tally:
    """Requests per second of the run: ok, failed, and latencies."""

    ok: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    failed: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    latency: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))


def drive_traffic(
    url: str, *, duration: float, started: float, tally: Tally, users: int = 16
) -> None:
    """A bounded mix of catalog and dashboard reads against ``url`` (127.0.0.1 only)."""
    import aiohttp

    rng = random.Random(7)

    async def user() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while (now := time.monotonic()) - started < duration:
                path = (
                    f"/api/vendors/{rng.randint(1, 300)}/dashboard"
                    if rng.random() < 0.3
                    else f"/api/search?q={rng.choice(['Lamp', 'Mug', 'Tent', 'Desk'])}"
                )
                second = int(now - started)
                try:
                    async with session.get(url + path) as resp:
                        await resp.read()
                        good = resp.status < 500
                except (aiohttp.ClientError, TimeoutError):
                    good = False
                (tally.ok if good else tally.failed)[second] += 1
                tally.latency[second].append(time.monotonic() - now)
                await asyncio.sleep(0.03)

    async def run() -> None:
        await asyncio.gather(*(user() for _ in range(users)))

    asyncio.run(run())


def upstreams_up(metrics_url: str) -> dict[str, bool]:
    """The gateway's view of its api replicas, read from its /metrics."""
    with urllib.request.urlopen(metrics_url, timeout=2) as resp:
        text = resp.read().decode()
    state = {}
    for line in text.splitlines():
        if line.startswith("shop_gateway_upstream_up{"):
            name = line.split('upstream="', 1)[1].split('"', 1)[0]
            state[name] = float(line.rsplit(" ", 1)[1]) == 1.0
    return state


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")


def main(out: Callable[[str], None] = print) -> int:
    from pulsekit.sandbox import Sandbox

    out("starting the sandbox (gateway, 3 api replicas, db primary + 2 replicas, payments)...")
    with Sandbox(replicas=3, db_replicas=2) as shop:
        out(f"shop at {shop.url}; driving {DURATION_S:.0f} s of traffic")
        tally = Tally()
        started = time.monotonic()
        worker = threading.Thread(
            target=drive_traffic,
            kwargs={"url": shop.url, "duration": DURATION_S, "started": started, "tally": tally},
        )
        worker.start()
        ejected_after: float | None = None
        for at, victim in EVENTS:
            while time.monotonic() - started < at:
                time.sleep(0.02)
            shop.kill(victim)
            killed = time.monotonic()
            out(f"t={at:4.1f}s  SIGKILL {victim}")
            if victim.startswith("api-"):
                while time.monotonic() - killed < 5 and upstreams_up(
                    shop.metrics_targets["gateway"]
                ).get(victim, True):
                    time.sleep(0.02)
                ejected_after = time.monotonic() - killed
                out(f"         gateway ejected {victim} after {ejected_after * 1000:.0f} ms")
        worker.join(timeout=DURATION_S + 10)

    out("")
    out(" second   ok  failed  p95 ms")
    for second in range(int(DURATION_S)):
        p95 = _p95(tally.latency[second]) * 1000
        mark = "".join(f"  <- {v} killed" for at, v in EVENTS if int(at) == second)
        out(f"{second:>7} {tally.ok[second]:>4} {tally.failed[second]:>7} {p95:>7.1f}{mark}")
    total_ok, total_failed = sum(tally.ok.values()), sum(tally.failed.values())
    after = [tally.ok[s] for s in range(int(EVENTS[-1][0]) + 1, int(DURATION_S))]
    out("")
    out(
        f"requests: {total_ok} ok, {total_failed} failed "
        f"({100 * total_failed / max(1, total_ok + total_failed):.2f}% errors)"
    )
    if ejected_after is not None:
        out(f"dead api replica ejected by the gateway within {ejected_after * 1000:.0f} ms")
    out(
        f"traffic kept flowing after both kills: {min(after) if after else 0} ok requests/s at worst"
    )
    out("everything stopped.")
    return 0 if after and min(after) > 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
