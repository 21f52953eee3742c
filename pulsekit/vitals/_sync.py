"""Run a coroutine from sync code, also inside an already running loop (Jupyter) via a helper thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``; when a loop already runs in this thread, run it on a helper thread.

    Ctrl-C while waiting on the helper thread cancels the coroutine there (so its ``finally`` blocks close
    the browser) before the KeyboardInterrupt propagates.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)

    box: dict[str, Any] = {}
    ready = threading.Event()

    async def runner() -> T:
        box["task"] = asyncio.current_task()
        box["loop"] = asyncio.get_running_loop()
        ready.set()
        return await coro

    def target() -> None:
        try:
            box["result"] = asyncio.run(runner())
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc
        finally:
            ready.set()

    thread = threading.Thread(target=target, name="pulsekit-vitals", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        ready.wait(5)
        if "loop" in box:
            box["loop"].call_soon_threadsafe(box["task"].cancel)
        thread.join(15)
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]
