"""The payments provider: an external dependency with a realistic, long-tailed latency."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from aiohttp import web

from pulsekit.sandbox import _http
from pulsekit.sandbox._config import ServiceConfig

MEDIAN_S = 0.040
SIGMA = 0.5  # log-normal: p50 40 ms, p99 about 130 ms
DECLINE_RATE = 0.02


def build(config: ServiceConfig) -> tuple[web.Application, Callable[[], Any] | None]:
    app = _http.make_app()
    rng = random.Random(config.seed)

    async def charge(request: web.Request) -> web.Response:
        await asyncio.sleep(rng.lognormvariate(0.0, SIGMA) * MEDIAN_S)
        if rng.random() < DECLINE_RATE:
            return web.json_response({"status": "declined", "reason": "card_declined"}, status=402)
        return web.json_response({"status": "approved", "id": f"ch_{rng.getrandbits(48):012x}"})

    app.router.add_post("/charge", charge)
    return app, None
