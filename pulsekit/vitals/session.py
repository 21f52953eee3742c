"""A browser kept open across measurements: saves Chromium's start-up on every call after the first."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from pulsekit.errors import VitalsError
from pulsekit.vitals import _browser
from pulsekit.vitals.collector import make_plan, run_plan
from pulsekit.vitals.interactions import Interaction
from pulsekit.vitals.profiles import ThrottleProfile
from pulsekit.vitals.result import VitalsResult

T = TypeVar("T")


async def _drain() -> None:
    """Wait for every other task of the loop (cancelled runs cleaning up) to finish."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    await asyncio.gather(*others, return_exceptions=True)


class Session:
    """One headless Chromium for many measurements; sync, and safe inside Jupyter's running loop.

    The browser lives on a private event loop in a helper thread, so the calls work from plain
    scripts and from notebooks alike. Every run still gets a fresh browser context (a cold load).

    >>> with vitals.Session() as browser:                      # doctest: +SKIP
    ...     before = browser.collect(url, runs=3)
    ...     after = browser.collect(url + "?v=2", runs=3)
    """

    def __init__(self, *, chromium: str | None = None) -> None:
        self.chromium = chromium
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> Session:
        """Launch Chromium (raises BrowserNotFoundError with the install command when missing)."""
        if self._loop is not None:
            raise VitalsError("this vitals Session is already started; close() it first")
        executable = _browser.find_chromium(self.chromium)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="pulsekit-vitals-session", daemon=True
        )
        self._thread.start()
        try:
            self._call(self._open(executable))
        except BaseException:
            self.close()
            raise
        return self

    async def _open(self, executable: str) -> None:
        self._playwright = await _browser.async_playwright().start()
        self._browser = await _browser.launch(self._playwright, executable)

    async def _shutdown(self) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            self._browser = None
            if self._playwright is not None:
                await self._playwright.stop()
            self._playwright = None

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()  # cancels the task; its finally blocks close the browser context
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(_drain(), self._loop).result(timeout=15)
            raise

    def collect_many(
        self,
        urls: Sequence[str],
        *,
        runs: int = 5,
        profile: str | ThrottleProfile = "mobile",
        interactions: Iterable[Interaction | str] | None = None,
        parallel: int = 1,
        timeout: str | float = "30s",
        settle: str | float = "1s",
        progress: bool = False,
    ) -> list[VitalsResult]:
        """Like :func:`pulsekit.vitals.collect_many`, in this session's browser."""
        plan = make_plan(
            urls,
            runs=runs,
            profile=profile,
            interactions=interactions,
            parallel=parallel,
            timeout=timeout,
            settle=settle,
            progress=progress,
        )
        if self._browser is None:
            raise VitalsError(
                "this vitals Session is not started; use `with vitals.Session() as s:`"
            )
        return self._call(run_plan(self._browser, plan))

    def collect(
        self,
        url: str,
        *,
        runs: int = 5,
        profile: str | ThrottleProfile = "mobile",
        interactions: Iterable[Interaction | str] | None = None,
        parallel: int = 1,
        timeout: str | float = "30s",
        settle: str | float = "1s",
        progress: bool = False,
    ) -> VitalsResult:
        """Like :func:`pulsekit.vitals.collect`, in this session's browser."""
        return self.collect_many(
            [url],
            runs=runs,
            profile=profile,
            interactions=interactions,
            parallel=parallel,
            timeout=timeout,
            settle=settle,
            progress=progress,
        )[0]

    def close(self) -> None:
        """Close the browser and stop the helper thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None:
            return
        try:
            if self._playwright is not None:
                self._call(self._shutdown())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(15)
            loop.close()
            self._loop = self._thread = None
