"""Feed the screen while a GameDay runs: each judge tick (about once a second, in the load's reading
loop, so only cheap work) adds the newest second, the stop conditions' values and each window's
verdict so far; a daemon thread adds the SLO's burn rate and its alerts every 5 s and golden signals per
service (each over the trailing 5 s) every 10 s."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from datetime import UTC, datetime
from typing import Any

from pulsekit.gameday._screen_state import ScreenState
from pulsekit.load.thresholds import evaluate

SLOW_EVERY_S = 5.0  # per-service golden signals and burn rate (pandas work, off the load loop)
SERVICES_WINDOW_S = 5.0  # each per-service point is over the trailing 5 s
SERVICES_EVERY = 2  # rounds: per-service golden signals every 10 s
VERDICT_EVERY_S = 2  # each window's verdict so far: histograms merged over its seconds


class ScreenFeed:
    def __init__(self, state: ScreenState, spec: Any, scraper: Any, on_tick: Any = None) -> None:
        self.state = state
        self.on_tick = on_tick
        self.spec = spec
        self.scraper = scraper
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0: float | None = None
        self._judged = -VERDICT_EVERY_S
        self.judge: Any = None  # its progress line shows the alert count found here

    def tick(self, live: Any, t0: float) -> None:
        """Called by the live judge after its stop conditions, with the load's live totals."""
        if self._t0 is None:
            self._t0 = self.state.t0 = t0
            if self.scraper is not None:
                self._thread = threading.Thread(target=self._slow, daemon=True)
                self._thread.start()
        whole = math.floor(live.elapsed())
        if whole >= 1:
            stats = live.window(whole - 1, whole)
            self.state.add_second(whole, stats.requests, stats.percentile(95.0), stats.error_rate)
        if whole - self._judged >= VERDICT_EVERY_S:
            self._judged = whole
            self.state.set_verdicts(self._verdicts(live, whole))
        if self.on_tick is not None:
            self.on_tick()

    def _verdicts(self, live: Any, whole: int) -> dict[str, list[dict[str, Any]]]:
        verdicts: dict[str, list[dict[str, Any]]] = {}
        for w in self.spec.windows:
            if whole <= w.start_s:
                continue
            stats = live.window(w.start_s, min(w.end_s, whole))
            checks = []
            for threshold in self.spec.hypothesis.get(w.name, ()):
                verdict = evaluate(threshold, stats)
                seen = verdict.observed
                passed = None if seen is None else bool(verdict.passed)
                checks.append({"expr": threshold.text, "passed": passed, "observed": _fin(seen)})
            verdicts[w.name] = checks
        return verdicts

    def set_threshold_stop(self, cond: Any, observed: float | None) -> None:
        """The judge's own evaluation of a stop condition (not repeated here)."""
        self.state.set_stop(cond.text, _fin(observed), cond.threshold.value, cond.threshold.op)

    def set_burn_stop(self, text: str, burn: float | None, limit: float) -> None:
        self.state.set_stop(text, _fin(burn), limit, ">")

    def _slow(self) -> None:
        rounds = 0
        while not self._stop.wait(SLOW_EVERY_S):
            rounds += 1
            if rounds % SERVICES_EVERY == 0:  # ~0.14 s of pandas for 7 services: not every round
                with contextlib.suppress(Exception):  # too few samples yet: next time
                    self._services()
            if self.spec.slo is not None:
                with contextlib.suppress(Exception):
                    self._burn()

    def _services(self) -> None:
        from pulsekit.observe import golden_signals
        from pulsekit.observe.golden import GoldenMetrics
        from pulsekit.observe.scrape import samples_frame

        assert self._t0 is not None
        # only the golden metrics of the last scrapes: a frame of the whole run would grow each call
        names = set(GoldenMetrics().sample_names())
        since = time.time() - 2 * SERVICES_WINDOW_S - 2.0
        with self.scraper._lock:
            chunks = [rows for at, rows in self.scraper._chunks if at >= since]
        rows = [row for chunk in chunks for row in chunk if row[2] in names]
        signals = golden_signals(samples_frame(rows), window=SERVICES_WINDOW_S)
        at = signals.at
        t = (at.timestamp() if at is not None else time.time()) - self._t0
        self.state.add_services(t, signals.df)

    def _burn(self) -> None:
        from pulsekit.gameday.measure import slo_of

        assert self._t0 is not None
        slo = slo_of(self.spec)
        report = slo.evaluate(self.scraper, start=datetime.fromtimestamp(self._t0, UTC))
        rule = slo.alert_rules()[0].name
        df = report.df
        times = [ts.timestamp() - self._t0 for ts in df["time"]]
        rates = [float(v) for v in df[f"burn_long_{rule}"]]
        first = self._first_step_t()
        alerts = []
        for row in report.alerts.to_dict("records"):
            start_t = row["start"].timestamp() - self._t0
            alerts.append(
                {
                    "rule": str(row["rule"]),
                    "severity": str(row["severity"]),
                    "start_t": round(start_t, 1),
                    "delay_s": None if first is None else round(start_t - first, 1),
                }
            )
        self.state.set_burn(times, rates, alerts)
        if self.judge is not None:
            self.judge.alerts = len(alerts)

    def _first_step_t(self) -> float | None:
        for e in list(self.state.events):
            if e["type"] == "step.applied" and e.get("t") is not None:
                return float(e["t"])
        return None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _fin(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
