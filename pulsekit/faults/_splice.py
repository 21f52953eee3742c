"""Kernel pass-through for a bulk connection with no toxic in either direction (Linux).

While neither direction of a connection has a toxic, its bytes need no Python at all: each
direction can be moved socket -> pipe -> socket with ``splice(2)``, never copied into user space.
That pays for bulk transfers (less proxy CPU per byte: docs/benchmarks.md) but not for small
request-response traffic, where four splice calls cost a little more than a recv and
a send, and six more descriptors per connection are not free: a connection is spliced when a read
of at least ``SPLICE_AT`` bytes shows bulk data, and only while the descriptor budget allows.
Both transports stay attached but paused; the splice polls duplicates of their sockets. When a
toxic is added (or anything else needs the Python data path), :meth:`Splice.stop` hands the
connection back to the transports: bytes already read into a kernel pipe are written on first
(they passed before the toxic existed), an end-of-stream already forwarded stays forwarded.

Measured in ``benchmarks/bench_faults.py``: see docs/benchmarks.md. Set
``PULSEKIT_FAULTS_SPLICE=0`` to keep every connection on the transport path.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulsekit.faults._pipes import Conn, Pipe

_SPLICE = getattr(os, "splice", None)
ENABLED = (
    sys.platform.startswith("linux")
    and _SPLICE is not None
    and os.environ.get("PULSEKIT_FAULTS_SPLICE", "1") != "0"
)
_FLAGS = getattr(os, "SPLICE_F_MOVE", 1) | getattr(os, "SPLICE_F_NONBLOCK", 2)
_CHUNK = 64 * 1024  # a pipe's default capacity
SPLICE_AT = 32 * 1024  # a read this large means bulk data (loopback segments are ~64 KB)
_FDS = 6  # two socket duplicates and two kernel pipes
try:
    import resource

    _BUDGET = resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 2  # half the limit, at most
except (ImportError, OSError, ValueError):  # pragma: no cover - not Linux
    _BUDGET = 0
_ACTIVE = [0]  # spliced connections in this process


def try_splice(conn: Conn) -> None:
    """Put ``conn`` on the kernel pass-through if both directions are plain copies right now."""
    up, down, client, upstream = conn.up, conn.down, conn.client, conn.upstream
    if (
        not ENABLED
        or conn.splice is not None
        or (_ACTIVE[0] + 1) * _FDS > _BUDGET
        or conn.closed
        or upstream is None
        or up.direct is None
        or down.direct is None
        or up.eof
        or down.eof
        or client.is_closing()
        or upstream.is_closing()
        or client.get_write_buffer_size()
        or upstream.get_write_buffer_size()
    ):
        return
    fds: list[int] = []
    try:
        for transport in (client, upstream):
            sock = transport.get_extra_info("socket")
            if sock is None:
                raise OSError("no socket")
            fds.append(os.dup(sock.fileno()))
        for _ in range(2):
            fds.extend(os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC))
    except OSError:  # out of descriptors (or no socket): stay on the transport path
        for fd in fds:
            os.close(fd)
        return
    conn.splice = Splice(conn, fds)


class Splice:
    """Both directions of one connection spliced in the kernel; direction 0 is client->upstream."""

    __slots__ = ("conn", "dst", "fds", "left", "loop", "pipes", "rd", "src", "wr")

    def __init__(self, conn: Conn, fds: list[int]) -> None:
        self.conn = conn
        self.loop = conn.loop
        self.fds = fds
        cfd, ufd, r0, w0, r1, w1 = fds
        self.pipes: tuple[Pipe, Pipe] = (conn.up, conn.down)
        self.src = (cfd, ufd)
        self.dst = (ufd, cfd)
        self.rd = (r0, r1)
        self.wr = (w0, w1)
        self.left = [0, 0]  # bytes in each kernel pipe not yet written on
        _ACTIVE[0] += 1
        conn.client.pause_reading()
        assert conn.upstream is not None
        conn.upstream.pause_reading()
        self.loop.add_reader(cfd, self._readable, 0)
        self.loop.add_reader(ufd, self._readable, 1)

    def _readable(self, d: int) -> None:
        try:
            n = _SPLICE(self.src[d], self.wr[d], _CHUNK, flags=_FLAGS)  # type: ignore[misc]
        except BlockingIOError:
            return
        except OSError:  # reset by the peer, or the like: as the transport path does
            self.conn.close()
            return
        if not n:
            self._eof(d)
            return
        self.pipes[d].rx += n
        self._flush(d, n)

    def _flush(self, d: int, n: int) -> None:
        pipe, rd, dst = self.pipes[d], self.rd[d], self.dst[d]
        try:
            while n:
                m = _SPLICE(rd, dst, n, flags=_FLAGS)  # type: ignore[misc]
                n -= m
                pipe.tx += m
        except BlockingIOError:  # the receiver is slow: stop reading until it drains
            self.left[d] = n
            self.loop.remove_reader(self.src[d])
            self.loop.add_writer(dst, self._writable, d)
            return
        except OSError:
            self.conn.close()
            return
        self.left[d] = 0

    def _writable(self, d: int) -> None:
        self._flush(d, self.left[d])
        if self.left[d] or self.conn.splice is not self:
            return
        self.loop.remove_writer(self.dst[d])
        if not self.pipes[d].eof:
            self.loop.add_reader(self.src[d], self._readable, d)

    def _eof(self, d: int) -> None:
        self.loop.remove_reader(self.src[d])
        pipe = self.pipes[d]
        pipe.eof = True
        pipe.direct = None
        self.conn.eof_done(pipe)  # write_eof on the other transport (its buffer is empty)

    def _unregister(self) -> None:
        for fd in (*self.src, *self.dst):
            self.loop.remove_reader(fd)
            self.loop.remove_writer(fd)

    def stop(self) -> None:
        """Hand the connection back to its transports (bytes in the kernel pipes go on first)."""
        conn = self.conn
        conn.splice = None
        self._unregister()
        for d, dst in enumerate((conn.upstream, conn.client)):
            left, pipe = self.left[d], self.pipes[d]
            while left > 0 and dst is not None:
                try:
                    data = os.read(self.rd[d], left)
                except OSError:
                    break
                if not data:
                    break
                dst.write(data)
                pipe.tx += len(data)
                left -= len(data)
        self._close_fds()
        for pipe in self.pipes:
            pipe.direct = None  # each pipe re-checks its own chain (Pipe.refresh)
            pipe._src_flow()

    def close(self) -> None:
        """Drop the splice without handing anything back (the connection is closing)."""
        self.conn.splice = None
        self._unregister()
        self._close_fds()

    def _close_fds(self) -> None:
        if self.fds:
            _ACTIVE[0] -= 1
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []
