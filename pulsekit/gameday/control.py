"""Levers on a running GameDay: :func:`halt` (every run of this process), :func:`start` (a run in the
background with a handle: ``handle.halt()``, ``handle.result()``), and the screen served meanwhile
(in a notebook also a live view redrawn in place each second)."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pulsekit.gameday.result import GameDayResult

_ACTIVE: list[Any] = []


def halt(reason: str = "halted from Python") -> int:
    """HALT every GameDay running in this process: steps still due are skipped, faults rolled back,
    the load stopped; each run ends ``aborted`` with ``reason``. Returns how many were halted.

    >>> gameday.halt()   # doctest: +SKIP
    """
    return sum(1 for runner in list(_ACTIVE) if runner.halt(reason, via="api"))


class RunHandle:
    """A GameDay running in a background thread (:func:`start`).

    >>> run = gameday.start("gamedays/01_db_replica_loss", screen=True)   # doctest: +SKIP
    >>> run.halt()                     # the lever: aborted, "halted from Python"  # doctest: +SKIP
    >>> result = run.result()                                                      # doctest: +SKIP
    """

    def __init__(self, runner: Any, target: Any) -> None:
        self._runner = runner
        self._result: GameDayResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, args=(target,), daemon=True)
        self._thread.start()

    def _main(self, target: Any) -> None:
        try:
            self._result = target()
        except BaseException as exc:  # handed to result()
            self._error = exc

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    @property
    def out_dir(self) -> Path:
        return Path(self._runner.out_dir)

    def halt(self, reason: str = "halted from Python") -> bool:
        """HALT this run (False if it was already stopping or has ended)."""
        return not self.done and bool(self._runner.halt(reason, via="api"))

    def result(self, timeout: float | None = None) -> GameDayResult:
        """Wait for the end (rollback, journal and report written) and return the result."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the GameDay is still running after {timeout} s; call again")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def start(
    spec_or_path: Any,
    *,
    out: str | Path | None = None,
    progress: bool | str = False,
    report: bool = True,
    params: dict[str, Any] | None = None,
    screen: bool = False,
    screen_port: int = 0,
    target: Any = None,
    allow: tuple[str, ...] | list[str] = (),
    **overrides: Any,
) -> RunHandle:
    """:func:`~pulsekit.gameday.run` in a background thread; the spec is checked here, at once.
    Signals stay with the main thread: stop a background run with ``handle.halt()``."""
    from pulsekit.gameday.runner import prepare

    runner = prepare(spec_or_path, out, progress, params, overrides, target=target, allow=allow)

    def main() -> GameDayResult:
        with serving(runner, screen, screen_port):
            result: GameDayResult = runner.execute(report=report)
            return result

    return RunHandle(runner, main)


@contextlib.contextmanager
def serving(runner: Any, screen: bool, port: int) -> Iterator[None]:
    """The run is registered for :func:`halt`; with ``screen`` its page is served meanwhile."""
    _ACTIVE.append(runner)
    served: Any = None
    view: Any = None
    try:
        if screen:
            from pulsekit.gameday._screen import Screen
            from pulsekit.gameday._screen_state import ScreenState, spec_view

            state = ScreenState(spec_view(runner.spec))
            runner.journal.listeners.append(state.on_event)
            served = Screen(state, port=port).start()
            runner.screen_state = state
            print(
                f"GameDay screen: {served.url} (loopback only; HALT is on the page)",
                file=sys.stderr,
                flush=True,
            )
            if "ipykernel" in sys.modules:
                from pulsekit.gameday._screen_cell import NotebookView

                view = NotebookView(state, served.url)
                runner.on_tick = view.update
        yield
    finally:
        _ACTIVE.remove(runner)
        if served is not None:
            try:
                served.state.save_series(runner.out_dir)
                if view is not None:
                    view.update(force=True)
            finally:
                served.close()  # journal and report are written: the page never holds the process
