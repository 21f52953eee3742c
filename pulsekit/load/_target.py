"""A small, fast HTTP target on 127.0.0.1 for tests, benchmarks and demos, able to stall on demand.

``python -m pulsekit.load._target [--port 0] [--delay-ms 0]`` prints ``PORT <n>`` when ready.
Every path answers 200 with a small body except ``/fail`` (500). ``POST /_stall?s=2`` makes every
request wait until the stall ends, as a frozen server would (shows coordinated omission);
``GET /_count`` tells how many requests were served.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any


def serve(port: int = 0, *, delay_ms: float = 0.0) -> None:
    """Serve until killed; print ``PORT <n>`` on stdout once listening."""
    from aiohttp import web

    stall_until = [0.0]
    served = [0]

    async def control(request: web.Request) -> web.Response:
        seconds = float(request.query.get("s", "2"))
        stall_until[0] = time.monotonic() + seconds
        return web.Response(text=f"stalling {seconds}s\n")

    async def count(request: web.Request) -> web.Response:
        return web.Response(text=f"{served[0]}\n")

    async def handle(request: web.Request) -> web.Response:
        served[0] += 1
        wait = stall_until[0] - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000.0)
        if request.path == "/fail":
            return web.Response(status=500, text="failing on purpose\n")
        if request.can_read_body:
            await request.read()
        return web.Response(text="ok\n")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/_stall", control)
        app.router.add_get("/_count", count)
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        server: Any = site._server
        bound = server.sockets[0].getsockname()[1] if server is not None else port
        print(f"PORT {bound}", flush=True)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        asyncio.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    ns = parser.parse_args()
    try:
        serve(ns.port, delay_ms=ns.delay_ms)
    except KeyboardInterrupt:
        sys.exit(0)
