"""The data path: a protocol pair per proxied connection; toxics run only on directions that have one.

With no toxic, ``data_received`` writes straight into the other transport (no task, no queue, no copy):
``Pipe.direct`` holds that transport while the direction is a pure pass-through, and is cleared before
any toxic, queued chunk or toxic task can need the slow path. When a direction has toxics, its chunks
go through a per-direction task that runs the toxic chain. While neither direction has a toxic, a
connection moving bulk data bypasses Python altogether (``_splice``: splice(2) on Linux) until a
toxic is added.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from pulsekit.faults._http_toxics import Framer, HttpMessage, transform
from pulsekit.faults._splice import SPLICE_AT, Splice, try_splice
from pulsekit.faults._toxics import HTTP_TYPES, Toxic

if TYPE_CHECKING:
    from pulsekit.faults._collection import Proxy

HIGH_WATER = 256 * 1024
_TIMEOUT = "timeout"  # per-link state of a timeout toxic without a close timer
LOW_WATER = 64 * 1024
_CONNECT_TIMEOUT = 10.0


class Pipe:
    """One direction of one connection: client->upstream ("upstream") or back ("downstream")."""

    __slots__ = (
        "conn",
        "direct",
        "drain_waiter",
        "dst",
        "enabled",
        "eof",
        "loop",
        "p_buf",
        "p_conn",
        "p_dst",
        "proxy",
        "queue",
        "queued",
        "rx",
        "src",
        "state",
        "stream",
        "task",
        "tx",
        "wake",
    )

    def __init__(self, conn: Conn, stream: str) -> None:
        self.conn = conn
        self.proxy = conn.proxy
        self.loop = conn.loop
        self.stream = stream
        self.src: asyncio.Transport | None = None
        self.dst: asyncio.Transport | None = None
        self.direct: asyncio.Transport | None = None  # dst while a pure pass-through, else None
        self.queue: deque[tuple[float, bytes | None]] = deque()
        self.queued = 0
        self.task: asyncio.Task[None] | None = None
        self.wake: asyncio.Future[None] | None = None
        self.drain_waiter: asyncio.Future[None] | None = None
        self.p_buf = self.p_dst = self.p_conn = False
        self.enabled: dict[str, tuple[int, bool]] = {}  # toxic name -> (version, rolled on)
        self.state: dict[str, Any] = {}
        self.rx = self.tx = 0  # bytes in and out, folded into the proxy's totals on close
        self.eof = (
            False  # the source's EOF was seen (once: a resumed transport may report it again)
        )

    # -- flow control -------------------------------------------------------------------
    def _src_flow(self) -> None:
        src = self.src
        if src is None or src.is_closing() or self.conn.splice is not None:
            return  # (a spliced connection keeps its transports paused)
        if self.p_buf or self.p_dst or self.p_conn:
            src.pause_reading()
        else:
            src.resume_reading()

    def dst_paused(self) -> None:
        self.p_dst = True
        self._src_flow()

    def dst_resumed(self) -> None:
        self.p_dst = False
        self._src_flow()
        waiter, self.drain_waiter = self.drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- input --------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        self.rx += len(data)
        dst = self.dst
        if self.task is None and dst is not None and not self.proxy.chains[self.stream]:
            dst.write(data)
            self.tx += len(data)
            return
        self.queue.append((self.loop.time(), data))
        self.queued += len(data)
        if self.queued > HIGH_WATER and not self.p_buf:
            self.p_buf = True
            self._src_flow()
        self.kick()

    def feed_eof(self) -> None:
        if self.eof:
            return
        self.eof = True
        self.direct = None
        if self.task is None and self.dst is not None and not self.proxy.chains[self.stream]:
            self.conn.eof_done(self)
            return
        self.queue.append((self.loop.time(), None))
        self.kick()

    def kick(self) -> None:
        """Start the toxic task if needed, or wake it to re-read the toxic chain."""
        if self.conn.splice is not None:
            self.conn.splice.stop()  # back to the transports, where toxics run
        self.direct = None  # the chain may have changed: no pass-through until re-checked
        if self.conn.closed or self.dst is None:
            return
        if self.task is None:
            if self.proxy.chains[self.stream] or self.queue:
                self.task = self.loop.create_task(self._run())
        elif self.wake is not None and not self.wake.done():
            self.wake.set_result(None)
        self.refresh()

    def refresh(self) -> None:
        """Open the pass-through when nothing but a plain copy is left to do in this direction."""
        dst = self.dst
        plain = (
            self.task is None
            and dst is not None
            and not self.queue
            and not self.eof
            and not self.conn.closed
            and not self.proxy.chains[self.stream]
        )
        self.direct = dst if plain else None

    # -- toxic task ---------------------------------------------------------------------
    def _sync(self, chain: list[Toxic]) -> None:
        names = {t.name for t in chain}
        for name in [n for n in self.enabled if n not in names]:
            _, was_on = self.enabled.pop(name)
            state = self.state.pop(name, None)
            timer = isinstance(state, asyncio.TimerHandle)
            if timer:
                state.cancel()
            if was_on and (timer or state is _TIMEOUT):
                self.conn.close()  # Toxiproxy's timeout toxic closes its connections when removed
        for toxic in chain:
            seen = self.enabled.get(toxic.name)
            if seen is not None and seen[0] == toxic.version:
                continue
            on = toxic.type in HTTP_TYPES or random.random() < toxic.toxicity
            self.enabled[toxic.name] = (toxic.version, on)
            old = self.state.get(toxic.name)
            if isinstance(old, asyncio.TimerHandle):
                old.cancel()
                del self.state[toxic.name]
            if on and toxic.type == "timeout":
                delay = toxic.attributes["timeout"] / 1000.0
                self.state[toxic.name] = (
                    self.loop.call_later(delay, self.conn.close) if delay > 0 else _TIMEOUT
                )

    async def _run(self) -> None:
        proxy = self.proxy
        try:
            while not self.conn.closed:
                chain = list(proxy.chains[self.stream])
                self._sync(chain)
                if not self.queue:
                    if not chain:
                        return
                    self.wake = self.loop.create_future()
                    await self.wake
                    continue
                arrived, data = self.queue.popleft()
                if data is None:
                    await self._eof(chain)
                    return
                self.queued -= len(data)
                if self.p_buf and self.queued < LOW_WATER:
                    self.p_buf = False
                    self._src_flow()
                await self._through(chain, 0, arrived, data)
        except Exception:  # a failed write or toxic ends this connection, never the proxy
            self.conn.close()
        finally:
            if self.task is asyncio.current_task():
                self.task = None
            if self.queue and not self.conn.closed:
                self.kick()
            self.refresh()

    async def _through(self, chain: list[Toxic], i: int, arrived: float, data: bytes) -> None:
        while i < len(chain) and not self.enabled.get(chain[i].name, (0, False))[1]:
            i += 1
        if i == len(chain):
            await self._write(data)
            return
        toxic = chain[i]
        async for when, out in HANDLERS[toxic.type](toxic, self, arrived, data):
            if self.conn.closed:
                return
            await self._through(chain, i + 1, when, out)

    async def _write(self, data: bytes) -> None:
        dst = self.dst
        if dst is None or self.conn.closed or not data:
            return
        dst.write(data)
        self.tx += len(data)
        if self.p_dst:
            self.drain_waiter = self.loop.create_future()
            await self.drain_waiter

    async def _eof(self, chain: list[Toxic]) -> None:
        for toxic in chain:
            if not self.enabled.get(toxic.name, (0, False))[1]:
                continue
            state = self.state.get(toxic.name)
            if isinstance(state, Framer):
                await self._write(state.flush())
            if toxic.type == "slow_close":
                await _hold(toxic, self, self.loop.time() + toxic.attributes["delay"] / 1000.0)
        self.conn.eof_done(self)


class Conn:
    """A proxied connection: client transport, upstream transport and the two pipes."""

    __slots__ = ("client", "closed", "down", "eofs", "loop", "proxy", "splice", "up", "upstream")

    def __init__(self, proxy: Proxy, client: asyncio.Transport) -> None:
        self.proxy = proxy
        self.loop = asyncio.get_running_loop()
        self.client = client
        self.upstream: asyncio.Transport | None = None
        self.closed = False
        self.eofs = 0
        self.splice: Splice | None = None  # set while both directions are spliced in the kernel
        self.up = Pipe(self, "upstream")
        self.down = Pipe(self, "downstream")
        self.up.src = client
        self.down.dst = client
        self.up.p_conn = True
        self.up._src_flow()

    async def connect(self) -> None:
        host, port = self.proxy.upstream_addr
        try:
            transport, _ = await asyncio.wait_for(
                self.loop.create_connection(lambda: _UpstreamSide(self), host, port),
                _CONNECT_TIMEOUT,
            )
        except (TimeoutError, OSError):
            self.close()
            return
        if self.closed:
            transport.abort()
            return
        self.upstream = transport  # type: ignore[assignment]
        self.up.dst = self.upstream
        self.down.src = self.upstream
        self.up.p_conn = False
        self.up._src_flow()
        self.up.kick()
        self.down.kick()

    def eof_done(self, pipe: Pipe) -> None:
        dst = pipe.dst
        self.eofs += 1
        if self.eofs >= 2 or dst is None:
            self.close()
            return
        try:
            if dst.can_write_eof():
                dst.write_eof()
            else:
                self.close()
        except (OSError, RuntimeError):
            self.close()

    def close(self, *, abort: bool = False, rst: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if self.splice is not None:
            self.splice.close()  # its duplicate descriptors would keep the sockets open
        proxy = self.proxy
        proxy.conns.discard(self)
        for pipe in (self.up, self.down):
            pipe.direct = None
            proxy.received[pipe.stream] += pipe.rx
            proxy.sent[pipe.stream] += pipe.tx
            for state in pipe.state.values():
                if isinstance(state, asyncio.TimerHandle):
                    state.cancel()
            if pipe.task is not None and pipe.task is not asyncio.current_task():
                pipe.task.cancel()
        for transport in (self.client, self.upstream):
            if transport is None:
                continue
            if rst:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        linger = struct.pack("ii", 1, 0)
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            if abort or rst:
                transport.abort()
            else:
                transport.close()


class ClientSide(asyncio.Protocol):
    """The protocol of connections accepted on a proxy's listen address."""

    __slots__ = ("conn", "pipe", "proxy")

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.conn: Conn | None = None
        self.pipe: Pipe | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        conn = Conn(self.proxy, transport)  # type: ignore[arg-type]
        self.conn = conn
        self.pipe = conn.up
        self.proxy.conns.add(conn)
        conn.loop.create_task(conn.connect())

    def data_received(self, data: bytes) -> None:
        pipe = self.pipe
        assert pipe is not None
        direct = pipe.direct
        if direct is not None:  # the hot path of a link without toxics: one copy, nothing else
            direct.write(data)
            n = len(data)
            pipe.rx += n
            pipe.tx += n
            if n >= SPLICE_AT:  # bulk data: move this connection into the kernel
                try_splice(pipe.conn)
            return
        pipe.feed(data)

    def eof_received(self) -> bool:
        assert self.conn is not None
        self.conn.up.feed_eof()
        return True

    def pause_writing(self) -> None:
        assert self.conn is not None
        self.conn.down.dst_paused()

    def resume_writing(self) -> None:
        assert self.conn is not None
        self.conn.down.dst_resumed()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.conn.close()


class _UpstreamSide(asyncio.Protocol):
    __slots__ = ("conn", "pipe")

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.pipe = conn.down

    def data_received(self, data: bytes) -> None:
        pipe = self.pipe
        direct = pipe.direct
        if direct is not None:  # as in ClientSide.data_received
            direct.write(data)
            n = len(data)
            pipe.rx += n
            pipe.tx += n
            if n >= SPLICE_AT:  # bulk data: move this connection into the kernel
                try_splice(pipe.conn)
            return
        pipe.feed(data)

    def eof_received(self) -> bool:
        self.conn.down.feed_eof()
        return True

    def pause_writing(self) -> None:
        self.conn.up.dst_paused()

    def resume_writing(self) -> None:
        self.conn.up.dst_resumed()

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.close()


# -- toxic handlers: async generators of (arrival time, bytes) ----------------------------
Handler = Callable[[Toxic, Pipe, float, bytes], AsyncIterator[tuple[float, bytes]]]


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _hold(toxic: Toxic, pipe: Pipe, when: float) -> bool:
    """Wait until loop time ``when``; False as soon as ``toxic`` leaves the chain.

    Removal, expiry and halt all take the toxic out of the chain and kick the pipe, so data a
    toxic is holding is released at once, as Toxiproxy's interrupted toxics do.
    """
    loop = pipe.loop
    while any(t is toxic for t in pipe.proxy.chains[pipe.stream]):
        delay = when - loop.time()
        if delay <= 0:
            return True
        wake = pipe.wake = loop.create_future()
        timer = loop.call_later(delay, _wake, wake)
        try:
            await wake
        finally:
            timer.cancel()
            if pipe.wake is wake:
                pipe.wake = None
    return False


async def _noop(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    yield t, data


async def _latency(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    ms = float(toxic.attributes["latency"])
    jitter = toxic.attributes["jitter"]
    if jitter:
        ms += random.uniform(-jitter, jitter)
    await _hold(toxic, pipe, t + max(ms, 0.0) / 1000.0)
    yield t, data


async def _bandwidth(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    rate = toxic.attributes["rate"]  # KB/s
    if rate <= 0:
        yield t, data
        return
    per_second = rate * 1000.0
    step = max(1, int(per_second / 10))  # 100 ms slices, as Toxiproxy
    for start in range(0, len(data), step):
        piece = data[start : start + step]
        free_at = max(pipe.loop.time(), pipe.state.get(toxic.name, 0.0))
        free_at += len(piece) / per_second
        pipe.state[toxic.name] = free_at
        if not await _hold(toxic, pipe, free_at):
            yield t, data[start:]  # removed: the rest goes at once
            return
        yield t, piece


async def _drop(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    return
    yield t, data  # pragma: no cover  (makes this an async generator)


async def _reset_peer(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    if await _hold(toxic, pipe, pipe.loop.time() + toxic.attributes["timeout"] / 1000.0):
        pipe.conn.close(rst=True)
        return
    yield t, data  # removed before the reset: the data goes on


async def _slicer(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    avg = toxic.attributes["average_size"]
    if avg <= 0:
        yield t, data
        return
    var = toxic.attributes["size_variation"]
    delay = toxic.attributes["delay"] / 1_000_000.0
    pos = 0
    while pos < len(data):
        size = max(1, avg + (random.randint(-var, var) if var else 0))
        yield t, data[pos : pos + size]
        pos += size
        if delay and pos < len(data):
            await asyncio.sleep(delay)


async def _limit_data(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    limit = toxic.attributes["bytes"]
    passed = pipe.state.get(toxic.name, 0)
    left = limit - passed
    if left > 0:
        piece = data[:left]
        pipe.state[toxic.name] = passed + len(piece)
        yield t, piece
        left -= len(piece)
    if left <= 0:
        pipe.conn.close()


async def _packet_loss(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    dropped_before = bool(pipe.state.get(toxic.name, False))
    if random.random() < toxic.attributes["correlation"]:
        drop = dropped_before
    else:
        drop = random.random() < toxic.attributes["loss_rate"]
    pipe.state[toxic.name] = drop
    if not drop:
        yield t, data


async def _http(
    toxic: Toxic, pipe: Pipe, t: float, data: bytes
) -> AsyncIterator[tuple[float, bytes]]:
    framer = pipe.state.get(toxic.name)
    if not isinstance(framer, Framer):
        framer = pipe.state[toxic.name] = Framer(request=pipe.stream == "upstream")
    for item in framer.feed(data):
        if isinstance(item, HttpMessage):
            if random.random() < toxic.toxicity:  # HTTP toxics roll per message, not per link
                item = transform(toxic.type, toxic.attributes, item)
            yield t, item.serialize()
        else:
            yield t, item


HANDLERS: dict[str, Handler] = {
    "noop": _noop,
    "latency": _latency,
    "bandwidth": _bandwidth,
    "slow_close": _noop,  # acts on close, see Pipe._eof
    "timeout": _drop,  # drops data; the close timer is armed in Pipe._sync
    "reset_peer": _reset_peer,
    "slicer": _slicer,
    "limit_data": _limit_data,
    "packet_loss": _packet_loss,
    "status_code": _http,
    "header": _http,
    "modify_body": _http,
}
