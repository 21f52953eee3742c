"""During the load, once a second: judge the stop conditions and show the live progress line."""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import Any

from pulsekit.gameday.journal import Event, Journal
from pulsekit.gameday.spec import GameDaySpec
from pulsekit.load.thresholds import evaluate

ALERT_EVERY_S = 5.0


class LiveJudge:
    """The load runner's ``monitor``: returns a reason to stop when a stop condition trips."""

    def __init__(
        self, spec: GameDaySpec, journal: Journal, scraper: Any, ledger: Any, progress: Any
    ) -> None:
        self.spec = spec
        self.journal = journal
        self.scraper = scraper
        self.ledger = ledger
        self.t0: float | None = None
        self.load_started_at: float | None = None  # exact UNIX time the load began
        self.tripped: str | None = None
        self.trips: list[dict[str, Any]] = []
        self.alerts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guards = self._make_guards()
        self._line = _Line(progress)
        self.feed: Any = None  # a ScreenFeed when the run is served on a screen

    def _make_guards(self) -> list[tuple[Any, Any]]:
        guards = []
        for cond in self.spec.stop_when:
            if cond.max_burn is not None and self.scraper is not None:
                from pulsekit.observe import guard

                check = guard(self._slo(), cond.max_burn, source=self.scraper, window=cond.over_s)
                if isinstance(self.scraper, str):  # a staging target's Prometheus
                    check = _tolerant(check)
                guards.append((cond, check))
        return guards

    def _slo(self) -> Any:
        from pulsekit.gameday.measure import slo_of

        return slo_of(self.spec)

    def now(self) -> float:
        """Seconds since T0 (the load's start)."""
        return 0.0 if self.t0 is None else time.time() - self.t0

    def __call__(self, live: Any) -> str | None:
        if live.t0 is None:
            return None
        if self.tripped:  # the load is stopping; judged once
            return self.tripped
        if self.t0 is None:  # second 0 of the load's timeline, as windows count
            self.load_started_at = float(live.t0)
            self.t0 = float(int(live.t0))
            self.journal.t0 = self.t0
        elapsed = live.elapsed()
        whole = math.floor(elapsed)
        for cond in self.spec.stop_when:
            if cond.threshold is None or whole < cond.over_s:
                continue
            stats = live.window(whole - cond.over_s, whole)
            verdict = evaluate(cond.threshold, stats)
            if self.feed is not None:
                self.feed.set_threshold_stop(cond, verdict.observed)
            if verdict.observed is not None and verdict.passed:
                return self._trip(cond.text, verdict.observed, f"observed {verdict.observed:.4g}")
        for cond, check in self._guards:
            if whole >= cond.over_s:
                verdict = check()
                if self.feed is not None:
                    self.feed.set_burn_stop(cond.text, verdict.burn_rate, cond.max_burn)
                if not verdict.ok and verdict.events:
                    return self._trip(cond.text, verdict.burn_rate, verdict.reason)
        no_feed = self.feed is None  # a screen's feed counts the alerts itself
        if (
            self._thread is None
            and no_feed
            and self.spec.slo is not None
            and self.scraper is not None
        ):
            self._thread = threading.Thread(target=self._count_alerts, daemon=True)
            self._thread.start()
        if self.feed is not None:
            self.feed.tick(live, self.t0)
        rps, p95, failures = live.latest()
        self._line.show(self, elapsed, rps, p95, failures, live.requests)
        return None

    def _trip(self, text: str, observed: float, detail: str) -> str:
        self.tripped = f"stop condition {text!r} tripped ({detail})"
        trip: dict[str, Any] = {"condition": text, "observed": observed, "t": round(self.now(), 3)}
        self.trips.append(trip)
        self.journal.write(Event.GUARD_TRIPPED, self.tripped, condition=text, observed=observed)
        self.ledger.halt()  # no step after this; network faults off at once, the rest in rollback
        return self.tripped

    def halt(self, reason: str, *, via: str) -> bool:
        """HALT (the screen's button, ``gameday.halt()``): no step after this, network faults off at
        once, the load stops at the next tick and everything is rolled back; the run ends
        ``aborted`` with ``reason``. Returns False if the run was already stopping."""
        if self.tripped:
            return False
        self.tripped = reason
        self.journal.write(Event.HALT_REQUESTED, reason, via=via, t_requested=round(self.now(), 3))
        self.ledger.halt()
        return True

    def _count_alerts(self) -> None:
        """Count SLO alerts every few seconds on a daemon thread, off the load's reading loop
        (a slow evaluation must not delay a step)."""
        while not self._stop.wait(ALERT_EVERY_S):
            try:
                report = self._slo().evaluate(self.scraper, start=self.t0)
            except Exception:  # too few samples yet; the count only feeds the progress line
                continue
            self.alerts = len(report.alerts)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._line.close()


def _tolerant(check: Any) -> Any:
    """A burn-rate guard on a Prometheus: a service without samples in the trailing window yet (a
    first scrape still arriving) is no data, not an error; the preflight checked it is scraped."""
    from pulsekit.errors import ConfigError
    from pulsekit.observe.guard import Verdict

    def call() -> Any:
        try:
            return check()
        except ConfigError as exc:
            return Verdict("continue", f"no data yet ({exc})", math.nan, math.nan, 0, time.time())

    return call


class _Line:
    """One line, redrawn in a terminal (stderr), or printed every 10 s elsewhere."""

    def __init__(self, mode: Any) -> None:
        self.mode = mode
        self.tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self._printed = -math.inf
        self._open = False

    def show(
        self, judge: LiveJudge, t: float, rps: float, p95: float, failures: int, total: int
    ) -> None:
        if self.mode is False or self.mode == "none":
            return
        spec = judge.spec
        errors = failures / total if total else 0.0
        p95_text = "-" if math.isnan(p95) else f"{p95:.0f} ms"
        text = (
            f"T+{t:4.0f}s/{spec.duration_s:g}s  step: {judge.ledger.current}  "
            f"{rps:.0f} rps  p95 {p95_text}  errors {errors:.2%}  alerts {judge.alerts}"
        )
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + text)
            sys.stderr.flush()
            self._open = True
        elif t - self._printed >= 10.0:
            self._printed = t
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._open = False
