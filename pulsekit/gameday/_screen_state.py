"""What the GameDay screen shows: the spec, the journal's events and the live series of one run,
kept in memory while it runs (or read back from a finished run's folder) and served as one JSON
snapshot."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any

from pulsekit.gameday.journal import JOURNAL_FILE, Event, read_events
from pulsekit.gameday.spec import GameDaySpec

SERIES_FILE = "screen.json"  # the per-second series a screen-served run keeps for its replay
MAX_EVENTS = 400  # the page lists the newest; the journal keeps them all


def _num(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def spec_view(spec: GameDaySpec) -> dict[str, Any]:
    """The planned run: windows with their hypothesis lines, steps, stop conditions."""
    return {
        "title": spec.title,
        "description": spec.description,
        "duration_s": spec.duration_s,
        "windows": [
            {
                "name": w.name,
                "start_s": w.start_s,
                "end_s": w.end_s,
                "lines": [t.text for t in spec.hypothesis.get(w.name, ())],
            }
            for w in spec.windows
        ],
        "steps": [
            {
                "name": s.name,
                "at_s": s.at_s,
                "action": s.action,
                "target": s.target,
                "duration_s": s.duration_s,
                "params": dict(s.params),
            }
            for s in spec.steps
        ],
        "stops": [c.text for c in spec.stop_when],
        "slo": None if spec.slo is None else vars(spec.slo),
    }


class ScreenState:
    """Thread-safe store behind the page: fed by the journal and the live judge, read by HTTP."""

    def __init__(self, plan: dict[str, Any], *, mode: str = "live") -> None:
        self.plan = plan
        self.mode = mode
        self.events: list[dict[str, Any]] = []
        self.series: dict[str, list[Any]] = {"t": [], "rps": [], "p95": [], "err": []}
        self.services: dict[str, dict[str, list[Any]]] = {}
        self.burn: dict[str, list[Any]] = {"t": [], "rate": []}
        self.alerts: list[dict[str, Any]] = []
        self.verdicts: dict[str, list[dict[str, Any]]] = {}
        self.stops: dict[str, dict[str, Any]] = {}
        self.t0: float | None = None
        self.halt: Any = None  # callable(reason) while the run can still be halted
        self._lock = threading.Lock()
        self._cache: tuple[float, bytes] | None = None

    # -- feeds ----------------------------------------------------------------------------
    def on_event(self, record: dict[str, Any]) -> None:
        """A :class:`~pulsekit.gameday.journal.Journal` listener."""
        with self._lock:
            self.events.append(record)

    def add_second(self, t: float, rps: float, p95: float, errors: float) -> None:
        with self._lock:
            s = self.series
            if s["t"] and s["t"][-1] >= t:
                return
            s["t"].append(t)
            s["rps"].append(_num(rps, 1))
            s["p95"].append(_num(p95, 1))
            s["err"].append(_num(errors, 4))

    def set_verdicts(self, verdicts: dict[str, list[dict[str, Any]]]) -> None:
        with self._lock:
            self.verdicts = verdicts

    def set_stop(self, text: str, observed: float | None, limit: float, op: str) -> None:
        closeness = None
        if observed is not None and limit:
            closeness = observed / limit if op in (">", ">=") else limit / max(observed, 1e-9)
        with self._lock:
            self.stops[text] = {
                "text": text,
                "observed": _num(observed, 4),
                "limit": limit,
                "closeness": _num(closeness, 3),
            }

    def add_services(self, t: float, frame: Any) -> None:
        """Golden signals per scraped service (a ``golden_signals(...).df``)."""
        with self._lock:
            for name, row in frame.iterrows():
                s = self.services.setdefault(str(name), {"t": [], "rps": [], "p95": [], "err": []})
                s["t"].append(round(t, 1))
                s["rps"].append(_num(row.get("traffic_rps"), 1))
                s["p95"].append(_num(row.get("p95_ms"), 1))
                s["err"].append(_num(row.get("error_ratio"), 4))

    def set_burn(
        self, times: list[float], rates: list[float], alerts: list[dict[str, Any]]
    ) -> None:
        with self._lock:
            self.burn = {"t": [round(t, 1) for t in times], "rate": [_num(r) for r in rates]}
            self.alerts = alerts

    # -- reading --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            events = self.events[-MAX_EVENTS:]
            ended = next((e for e in reversed(self.events) if _is_end(e)), None)
            started = next((e for e in self.events if e["type"] == Event.RUN_STARTED), None)
            now_t = None
            if self.mode == "live" and self.t0 is not None:
                now_t = round(time.time() - self.t0, 2)
            return {
                "mode": self.mode,
                "plan": self.plan,
                "now_t": now_t,
                "started": started is not None and self.t0 is not None,
                "status": "running" if ended is None else ended["data"].get("status"),
                "reason": None if ended is None else ended["data"].get("reason"),
                "halt_allowed": self.halt is not None and ended is None and self.mode == "live",
                "events": events,
                "series": self.series,
                "services": self.services,
                "burn": self.burn,
                "alerts": self.alerts or _journal_alerts(self.events),
                "verdicts": _journal_verdicts(self.events) or self.verdicts,  # final, then live
                "stops": list(self.stops.values()),
            }

    def to_json(self) -> bytes:
        """The snapshot as JSON, built at most every 0.25 s however many pages poll."""
        now = time.monotonic()
        if self._cache is None or now - self._cache[0] >= 0.25:
            self._cache = (now, json.dumps(self.snapshot(), default=str, allow_nan=False).encode())
        return self._cache[1]

    def save_series(self, out_dir: Path) -> Path:
        """Keep what the journal does not hold (series, verdicts, stops) for the replay."""
        from pulsekit._util import atomic_write

        with self._lock:
            data = {
                "plan": self.plan,
                "series": self.series,
                "services": self.services,
                "burn": self.burn,
                "alerts": self.alerts,
                "stops": list(self.stops.values()),
            }
        return atomic_write(Path(out_dir) / SERIES_FILE, json.dumps(data, default=str) + "\n")


def _is_end(event: dict[str, Any]) -> bool:
    return event["type"] in (Event.RUN_ENDED, Event.RUN_ABORTED, Event.RUN_INTERRUPTED)


def _journal_alerts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "rule": e["data"].get("rule"),
            "severity": e["data"].get("severity"),
            "start_t": e.get("t"),
            "delay_s": e["data"].get("delay_after_fault_s"),
        }
        for e in events
        if e["type"] == Event.SLO_ALERT
    ]


def _journal_verdicts(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        if e["type"] == Event.MEASUREMENT and e["data"].get("window") != "run":
            out[e["data"]["window"]] = [
                {"expr": c.get("expr"), "passed": c.get("passed"), "observed": c.get("observed")}
                for c in e["data"].get("thresholds", ())
            ]
    return out


def replay_state(run_dir: Path) -> ScreenState:
    """The screen of a finished run: its journal, plus the series kept by ``--screen`` if any."""
    from pulsekit.errors import GameDayError

    run_dir = Path(run_dir)
    journal = run_dir / JOURNAL_FILE
    if not journal.is_file():
        raise GameDayError(f"{run_dir} holds no {JOURNAL_FILE}; pass the --out folder of a run")
    events = read_events(journal)
    kept: dict[str, Any] = {}
    if (run_dir / SERIES_FILE).is_file():
        kept = json.loads((run_dir / SERIES_FILE).read_text())
    plan = kept.get("plan") or _plan_from(events)
    state = ScreenState(plan, mode="replay")
    state.events = events
    for key in ("series", "services", "burn", "alerts"):
        if kept.get(key):
            setattr(state, key, kept[key])
    state.stops = {s["text"]: s for s in kept.get("stops", ())}
    return state


def _plan_from(events: list[dict[str, Any]]) -> dict[str, Any]:
    """A plan rebuilt from the journal alone (a run served without --screen)."""
    started: dict[str, Any] = next(
        (e["data"] for e in events if e["type"] == Event.RUN_STARTED), {}
    )
    declared: dict[str, Any] = next(
        (e["data"] for e in events if e["type"] == Event.HYPOTHESIS_DECLARED), {}
    )
    steps = [
        {
            "name": e["data"]["step"],
            "at_s": e["data"].get("scheduled_t"),
            "action": e["data"].get("action"),
            "target": e["data"].get("target"),
            "duration_s": None,
            "params": {},
        }
        for e in events
        if e["type"] == Event.STEP_APPLIED
    ]
    lines = declared.get("lines", [])
    return {
        "title": started.get("title", "GameDay"),
        "description": None,
        "duration_s": started.get("duration_s"),
        "windows": [
            {
                "name": name,
                "start_s": span[0],
                "end_s": span[1],
                "lines": [
                    expr
                    for line in lines
                    if line.startswith(name + " [")
                    for expr in line.split("): ", 1)[1].split(", ")
                ],
            }
            for name, span in declared.get("windows", {}).items()
        ],
        "steps": steps,
        "stops": declared.get("stop_when", []),
        "slo": None,
    }
