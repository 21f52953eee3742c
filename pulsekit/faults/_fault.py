"""Fault: the handle of one applied fault, a context manager that reverts it on exit."""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from pulsekit.faults.records import FaultLog, FaultRecord


class Fault:
    """An applied fault. ``remove()`` reverts it (idempotent); ``with`` reverts it on exit."""

    def __init__(
        self,
        log: FaultLog,
        record: FaultRecord,
        undo: Callable[[], str] | None = None,
        *,
        revert_at_exit: bool = True,
    ) -> None:
        self._log = log
        self._id = record.id
        self._first = record
        self._undo = undo
        self._at_exit = revert_at_exit and undo is not None
        if self._at_exit:
            atexit.register(self._exit_revert)
            _sigterm_unwinds()

    @property
    def record(self) -> FaultRecord:
        """The latest state of this fault's record."""
        for record in self._log.records:
            if record.id == self._id:
                return record
        return self._first

    @property
    def active(self) -> bool:
        return self.record.active

    def remove(self) -> FaultRecord:
        """Revert the fault now (a no-op if it was already reverted)."""
        if self._at_exit:
            atexit.unregister(self._exit_revert)
            self._at_exit = False
        if self.record.active:
            by = self._undo() if self._undo is not None else "api"
            self._log.close(self._id, by=by, at=time.time())
        return self.record

    def _exit_revert(self) -> None:
        with contextlib.suppress(Exception):  # best effort at exit; the TTL reverts it anyway
            self.remove()

    def __enter__(self) -> Fault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        r = self.record
        state = "active" if r.active else f"reverted by {r.reverted_by}"
        return f"<Fault {r.kind} on {r.target} ({state})>"


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _sigterm_unwinds() -> None:
    """Make SIGTERM unwind (``with`` blocks, atexit) instead of killing outright, if nobody else set it."""
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _raise_exit)
    except (ValueError, OSError):
        pass
