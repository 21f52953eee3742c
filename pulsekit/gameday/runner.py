"""Run a GameDay: start the target, declare the hypothesis, load, timed steps, stop conditions,
rollback on every exit path, then measure each window and write the report and postmortem."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulsekit.errors import GameDayError
from pulsekit.gameday._live import LiveJudge
from pulsekit.gameday.journal import JOURNAL_FILE, Event, Journal
from pulsekit.gameday.result import GameDayResult
from pulsekit.gameday.spec import GameDaySpec, load_spec
from pulsekit.gameday.steps import Ledger


def run(
    spec_or_path: Any,
    *,
    out: str | Path | None = None,
    progress: bool | str = "auto",
    report: bool = True,
    params: dict[str, Any] | None = None,
    screen: bool = False,
    screen_port: int = 0,
    rehearsal: bool = False,
    **overrides: Any,
) -> GameDayResult:
    """Run a GameDay spec (a file, a folder holding ``gameday.yaml``, a dict or a GameDaySpec).

    ``overrides`` set spec keys first (``load__users=40``, ``duration="15s"``); so does
    ``params={"load.users": 40}``. The spec is checked before anything starts. Every step is
    rolled back on every exit path (end, stop condition, exception, Ctrl-C, SIGTERM).
    ``screen=True`` serves the live page (with its HALT button) on ``http://127.0.0.1:screen_port``
    (0: any free port) for the whole run and prints its URL; :func:`halt` halts from Python.
    ``rehearsal=True`` applies the spec's ``rehearsal:`` values (its short version) first.

    >>> result = gameday.run("gamedays/01_db_replica_loss", load__users=50)   # doctest: +SKIP
    >>> result.hypothesis_held, result.windows["fault"].p95_ms                  # doctest: +SKIP
    """
    runner = prepare(spec_or_path, out, progress, params, {**overrides, "rehearsal": rehearsal})
    from pulsekit.gameday.control import serving

    with serving(runner, screen, screen_port):
        return runner.execute(report=report)


def prepare(
    spec_or_path: Any,
    out: str | Path | None,
    progress: Any,
    params: dict[str, Any] | None,
    overrides: dict[str, Any],
) -> _Run:
    """Check the spec and the output folder; nothing starts yet (``overrides`` may hold the
    ``rehearsal`` flag)."""
    overrides = dict(overrides)
    rehearsal = bool(overrides.pop("rehearsal", False))
    spec = load_spec(spec_or_path, rehearsal=rehearsal, **{**(params or {}), **overrides})
    out_dir = Path(out) if out is not None else _default_out(spec)
    journal_path = out_dir / JOURNAL_FILE
    if journal_path.exists() and journal_path.stat().st_size:
        raise GameDayError(
            f"{journal_path} already holds a run; pass another out= (CLI: --out) or delete it"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    return _Run(spec, out_dir, Journal(journal_path), progress)


def _default_out(spec: GameDaySpec) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    slug = "".join(c if c.isalnum() else "-" for c in spec.title.lower()).strip("-")[:40]
    return Path("runs") / "gameday" / f"{stamp}-{slug}"


class _Run:
    def __init__(self, spec: GameDaySpec, out_dir: Path, journal: Journal, progress: Any) -> None:
        self.spec = spec
        self.out_dir = out_dir
        self.journal = journal
        self.progress = progress
        self.signal_name: str | None = None
        self.shop: Any = None
        self.scraper: Any = None
        self.ledger: Ledger | None = None
        self.judge: LiveJudge | None = None
        self.screen_state: Any = None
        self.on_tick: Any = None  # the notebook's live view, redrawn with the screen
        self._pending_halt: tuple[str, str] | None = None
        self.cpu: Any = None  # CPU per service, recorded for a knee: section

    def halt(self, reason: str, *, via: str) -> bool:
        """HALT now, or as soon as the load can be stopped (the sandbox may still be starting)."""
        if self.judge is not None:
            return self.judge.halt(reason, via=via)
        self._pending_halt = (reason, via)
        return True

    # -- the whole run --------------------------------------------------------------------
    def execute(self, *, report: bool) -> GameDayResult:
        load_result: Any = None
        status, reason, error = "completed", None, None
        with _signals_interrupt(self), contextlib.ExitStack() as stack:
            try:
                self._start(stack)
                load_result = self._load()
                if load_result.status == "interrupted":
                    status, reason = (
                        "interrupted",
                        f"{self.signal_name or 'SIGINT'} during the load",
                    )
                elif load_result.status == "aborted":
                    status = "aborted"
                    reason = self.judge.tripped if self.judge else None
                    reason = reason or "; ".join(load_result.warnings) or "a threshold failed"
            except KeyboardInterrupt:
                status, reason = (
                    "interrupted",
                    f"{self.signal_name or 'SIGINT'} before the load ended",
                )
            except Exception as exc:
                status, reason, error = "error", f"{type(exc).__name__}: {exc}", exc
            with _ignore_signals():
                problems = self._rollback()
                result = self._finish(load_result, status, reason, problems, stack)
        if error is not None:
            raise GameDayError(
                f"the GameDay failed ({reason}); every step was rolled back; journal: "
                f"{self.journal.path}"
            ) from error
        if report and load_result is not None:
            with _ignore_signals():
                from pulsekit.gameday.report import write_report

                result = write_report(result)
        return result

    def _start(self, stack: contextlib.ExitStack) -> None:
        from pulsekit.faults import FaultLog, Faults

        spec = self.spec
        # import what the live judge uses while the sandbox starts, not in the load's reading loop
        # where it would delay steps
        preload = threading.Thread(target=_preload, daemon=True)
        preload.start()
        log = FaultLog()
        stack.callback(log.subscribe(self.journal.fault_listener()))
        faults: Any = None
        if spec.uses_sandbox:
            from pulsekit.observe import scrape
            from pulsekit.sandbox import Sandbox

            box = spec.sandbox
            shop = Sandbox(
                replicas=box.replicas,
                db_replicas=box.db_replicas,
                db_pool=box.db_pool,
                seed=box.seed,
                cache_ttl=box.cache_ttl,
            )
            self.shop = stack.enter_context(shop)
            self.scraper = stack.enter_context(scrape(shop.metrics_targets, every="1s"))
            faults = Faults(shop, sandbox=shop, log=log)
            if spec.knee is not None:
                from pulsekit.gameday.analysis import CpuRecorder

                pids = {name: s.pid for name, s in shop.services.items()}
                self.cpu = CpuRecorder(pids, max_s=spec.duration_s + 120.0).start()
                stack.callback(self.cpu.stop)
        preload.join()
        self.ledger = Ledger(faults, self.journal, spec.duration_s)
        self.judge = LiveJudge(spec, self.journal, self.scraper, self.ledger, self.progress)
        stack.callback(self.judge.close)
        if self.screen_state is not None:
            from pulsekit.gameday._screen_feed import ScreenFeed

            self.judge.feed = ScreenFeed(self.screen_state, spec, self.scraper, self.on_tick)
            self.judge.feed.judge = self.judge
            stack.callback(self.judge.feed.close)
            judge = self.judge
            self.screen_state.halt = lambda reason: judge.halt(reason, via="screen")
        if self._pending_halt is not None:
            self.judge.halt(self._pending_halt[0], via=self._pending_halt[1])
        self.journal.write(
            Event.RUN_STARTED,
            f"GameDay: {spec.title}",
            title=spec.title,
            target="sandbox" if spec.uses_sandbox else spec.target,
            services=sorted({s.target for s in spec.steps}),
            duration_s=spec.duration_s,
            load={k: v for k, v in vars(spec.load).items() if v is not None and k != "locustfile"},
        )
        self.journal.write(
            Event.HYPOTHESIS_DECLARED,
            "hypothesis: " + ("; ".join(spec.hypothesis_text()) or "(none declared)"),
            lines=spec.hypothesis_text(),
            windows={w.name: [w.start_s, w.end_s] for w in spec.windows},
            stop_when=[c.text for c in spec.stop_when],
        )

    def _load(self) -> Any:
        from pulsekit.load import run as load_run

        spec, ledger, judge = self.spec, self.ledger, self.judge
        assert ledger is not None and judge is not None
        schedule: list[tuple[float, Callable[[], object]]] = []
        for step in spec.steps:
            schedule.append((step.at_s, _call(ledger.apply, step, judge)))
            if step.duration_s is not None:
                schedule.append((step.at_s + step.duration_s, _call(ledger.revert, step, judge)))
        load = spec.load
        url = self.shop.url if self.shop is not None else spec.target
        kwargs: dict[str, Any] = {"mix": load.mix, "think_time": load.think_time}
        if load.locustfile is not None:
            kwargs = {"locustfile": load.locustfile}
        if load.stages is not None:
            kwargs["stages"] = list(load.stages)
        return load_run(
            url,
            users=load.users,
            spawn_rate=load.spawn_rate,
            rate=load.rate,
            duration=spec.duration_s,
            workers=load.workers,
            seed=load.seed,
            schedule=schedule,
            monitor=judge,
            progress=False,
            **kwargs,
        )

    def _rollback(self) -> list[str]:
        if self.ledger is None:
            return []
        t = self.judge.now() if self.judge else 0.0
        return self.ledger.rollback(t)

    def _finish(
        self,
        load_result: Any,
        status: str,
        reason: str | None,
        problems: list[str],
        stack: contextlib.ExitStack,
    ) -> GameDayResult:
        from pulsekit.gameday.measure import measure

        if self.scraper is not None:
            self.scraper.stop()
        if self.cpu is not None:
            self.cpu.stop()
        result = measure(
            self.spec,
            load_result,
            status=status,
            reason=reason,
            ledger=self.ledger,
            scraper=self.scraper,
            journal=self.journal,
            out_dir=self.out_dir,
            guard_trips=self.judge.trips if self.judge else (),
            load_started_at=self.judge.load_started_at if self.judge else None,
            cpu=self.cpu,
        )
        stack.close()  # stop the sandbox before the end event: nothing of the run is left
        end = {
            "completed": Event.RUN_ENDED,
            "aborted": Event.RUN_ABORTED,
            "error": Event.RUN_ABORTED,
            "interrupted": Event.RUN_INTERRUPTED,
        }[status]
        verdict = {True: "the hypothesis held", False: "the hypothesis was refuted"}
        text = f"run {status}: " + (reason or verdict[bool(result.hypothesis_held)])
        self.journal.write(
            end,
            text,
            status=status,
            reason=reason,
            hypothesis_held=result.hypothesis_held,
            rollback_problems=problems,
            signal=self.signal_name,
        )
        return result


def _preload() -> None:
    import pandas  # noqa: F401

    import pulsekit.observe.burn  # noqa: F401
    from pulsekit.load import _aggregate

    _aggregate.decode("")


def _call(method: Callable[[Any, float], None], step: Any, judge: LiveJudge) -> Callable[[], None]:
    # a step due in the load's very first tick runs before the judge has seen T0: it is on time
    return lambda: method(step, judge.now() if judge.t0 is not None else step.at_s)


@contextlib.contextmanager
def _signals_interrupt(run: _Run) -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C (KeyboardInterrupt), so both paths roll back the same way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: Any) -> None:
        run.signal_name = signal.Signals(signum).name
        raise KeyboardInterrupt

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _ignore_signals() -> Iterator[None]:
    """Rollback and the final journal lines are not cut short by a second Ctrl-C or SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
