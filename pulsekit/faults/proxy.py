"""FaultProxy: the embeddable Toxiproxy-compatible fault proxy (in a thread, or as a whole process).

>>> with FaultProxy(port=0) as proxy:          # doctest: +SKIP
...     Faults(proxy.url).latency("db", ms=300)
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from pulsekit._util import parse_duration
from pulsekit.errors import FaultError

_START_TIMEOUT = 30.0


class FaultProxy:
    """A Toxiproxy 2.12-compatible API plus its proxies, served from one asyncio (uvloop) loop.

    Args:
        host, port: where the API listens (127.0.0.1:8474 by default; port 0 picks a free one).
        sock: an already-bound listening socket to serve the API on instead (used by the sandbox).
        allow: upstream hosts allowed besides loopback (also ``PULSEKIT_ALLOW_HOSTS``).
        default_ttl: the TTL of a fault that does not give one (Toxiproxy clients never do).
        max_ttl: the longest TTL the server accepts.
        proxies: a populate list created at start (as ``toxiproxy-server -config``).
        ignore_ttl: no TTL at all, as a plain Toxiproxy: a fault lasts until it is removed.
        plain: behave as a plain Toxiproxy 2.12: ``ignore_ttl`` and no ``/pulsekit/*`` endpoints
            (no halt lever); to test what runs against a real Toxiproxy.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8474,
        sock: socket.socket | None = None,
        allow: Iterable[str] = (),
        default_ttl: str | float = "5m",
        max_ttl: str | float = "1h",
        proxies: list[dict[str, Any]] | None = None,
        ignore_ttl: bool = False,
        plain: bool = False,
    ) -> None:
        from pulsekit._util import check_host_allowed

        self.plain = plain
        self.ignore_ttl = ignore_ttl or plain
        check_host_allowed(f"{host}:{port}", allow=allow, what="API address")
        self.host = host
        self.port = port
        self._sock = sock
        self.allow = list(allow)
        self.default_ttl = parse_duration(default_ttl, field="default_ttl")
        self.max_ttl = parse_duration(max_ttl, field="max_ttl")
        if not 0 < self.default_ttl <= self.max_ttl:
            raise FaultError(
                f"default_ttl={default_ttl!r} must be above 0 and at most max_ttl={max_ttl!r}"
            )
        self._initial = proxies or []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.collection: Any = None
        self._on_ready: Callable[[FaultProxy], None] | None = None

    @property
    def url(self) -> str:
        """The API URL, e.g. ``http://127.0.0.1:8474``."""
        return f"http://{self.host}:{self.port}"

    # -- async core -----------------------------------------------------------------------
    async def serve(self) -> None:
        """Serve until :meth:`stop` (or a signal in :meth:`run`); usable from any running loop."""
        from aiohttp import web

        from pulsekit.faults._api import build_app
        from pulsekit.faults._collection import ProxyCollection
        from pulsekit.faults._metrics import render_metrics

        self._loop = asyncio.get_running_loop()
        if self._stop is None:
            self._stop = asyncio.Event()
        collection = ProxyCollection(
            allow=self.allow,
            default_ttl=self.default_ttl,
            max_ttl=self.max_ttl,
            ignore_ttl=self.ignore_ttl,
        )
        self.collection = collection
        app = build_app(collection, metrics=lambda: render_metrics(collection), plain=self.plain)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site: web.BaseSite
            if self._sock is not None:
                site = web.SockSite(runner, self._sock)
            else:
                site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
            await site.start()
            server = getattr(site, "_server", None)
            if server is not None and server.sockets:
                self.host, self.port = server.sockets[0].getsockname()[:2]
            if self._initial:
                await collection.populate(self._initial)
            self._ready.set()
            if self._on_ready is not None:
                self._on_ready(self)
            await self._stop.wait()
        finally:
            collection.shutdown()
            await runner.cleanup()

    # -- in a background thread -----------------------------------------------------------
    def start(self) -> FaultProxy:
        """Start in a daemon thread with its own uvloop loop; returns once the API answers."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._thread_main, name="pulsekit-faultproxy", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT) or self._error is not None:
            self.stop()
            raise FaultError(
                f"the fault proxy did not start on {self.url}: {self._error}"
            ) from self._error
        return self

    def _thread_main(self) -> None:
        loop = new_loop()
        try:
            loop.run_until_complete(self.serve())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    def stop(self) -> None:
        """Stop the API and every proxy; every toxic disappears with them."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- as the whole process -------------------------------------------------------------
    def run(self, *, on_ready: Callable[[FaultProxy], None] | None = None) -> None:
        """Serve in the current thread until SIGINT or SIGTERM; ``on_ready(self)`` once it listens."""
        self._on_ready = on_ready
        loop = new_loop()
        asyncio.set_event_loop(loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, self._stop.set)
            await self.serve()

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()


def new_loop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop when uvloop is installed, else the default one."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux and macOS
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
