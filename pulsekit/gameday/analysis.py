"""Findings beyond the windows' latency: counters per window (attempts on a link against user
requests), the knee of a stepped load shape with its headroom, the first saturated resource, and
whether the SLO paged in time."""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pulsekit.gameday._spec_analysis import offered_rate
from pulsekit.gameday.spec import GameDaySpec

SIGNALS = ("pool_waiting", "in_flight", "cpu", "host_cpu")


class CpuRecorder:
    """CPU seconds of each service (``/proc/PID/stat``) and of the machine, once a second, on a
    daemon thread bounded by ``max_s``; stopped by :meth:`stop`."""

    def __init__(self, pids: dict[str, int], *, max_s: float, every: float = 1.0) -> None:
        self.pids = pids
        self.rows: list[tuple[float, str, float]] = []  # (unix time, service or "host", value)
        self._stop = threading.Event()
        self._max_s, self._every = max_s, every
        self._thread = threading.Thread(target=self._loop, name="pulsekit-cpu", daemon=True)

    def start(self) -> CpuRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        from pulsekit.load._signals import cpu_seconds, host_cpu

        deadline = time.monotonic() + self._max_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            now = time.time()
            busy, total = host_cpu()
            found = [(now, "host_busy", busy)]
            found.append((now, "host_total", total))
            for name, pid in self.pids.items():
                value = cpu_seconds(pid)
                if value is not None:
                    found.append((now, name, value))
            self.rows += found
            self._stop.wait(self._every)


@dataclass(frozen=True)
class KneeLevel:
    """One window of the shape: its offered rate, what it measured, and whether it passed."""

    window: str
    offered_rps: float
    rps: float
    p95_ms: float | None
    error_rate: float | None
    passed: bool
    signals: dict[str, tuple[str, float]] = field(default_factory=dict)  # kind -> (where, value)


@dataclass(frozen=True)
class KneeOutcome:
    """The knee (highest passing offered rate below the first failing one), the headroom over the
    baseline window's rate and the first resource past its limit."""

    baseline: str
    normal_rps: float
    bound_ms: float | None
    levels: tuple[KneeLevel, ...]
    knee_rps: float | None
    first_fail_rps: float | None
    status: str  # "found", "held to the top of the shape", "failed at baseline", "no data"
    first_saturated: dict[str, Any] | None
    min_headroom: float | None = None

    @property
    def headroom(self) -> float | None:
        if self.knee_rps is None or self.normal_rps <= 0:
            return None
        return self.knee_rps / self.normal_rps

    @property
    def passed(self) -> bool | None:
        """The ``min_headroom`` verdict (None without one)."""
        if self.min_headroom is None:
            return None
        return self.headroom is not None and self.headroom >= self.min_headroom

    def lines(self) -> list[str]:
        bound = "-" if self.bound_ms is None else f"{self.bound_ms:.0f} ms"
        out = [f"knee ({self.status}): p95 bound {bound} (from window {self.baseline})"]
        for lv in self.levels:
            p95 = "-" if lv.p95_ms is None else f"{lv.p95_ms:.0f} ms"
            err = "-" if lv.error_rate is None else f"{lv.error_rate:.2%}"
            out.append(
                f"  {lv.window}: offered {lv.offered_rps:.0f} arrivals/s, served "
                f"{lv.rps:.0f} requests/s, p95 {p95}, errors {err}: "
                f"{'pass' if lv.passed else 'FAIL'}; {_signal_text(lv.signals)}"
            )
        if self.knee_rps is not None:
            more = "" if self.status == "found" else " or more (no level failed)"
            out.append(
                f"  knee {self.knee_rps:.0f}/s{more}; headroom over the normal "
                f"{self.normal_rps:.0f}/s: {self.headroom:.1f}x"
                + (
                    ""
                    if self.min_headroom is None
                    else f" (hypothesis >= {self.min_headroom:g}x:"
                    f" {'PASS' if self.passed else 'FAIL'})"
                )
            )
        sat = self.first_saturated
        out.append(
            "  first saturated: "
            + (
                "none past its limit"
                if sat is None
                else f"{sat['signal']} of {sat['where']} = {sat['value']:.2f} (limit "
                f"{sat['limit']:g}) in window {sat['window']}"
            )
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "baseline": self.baseline,
            "normal_rps": round(self.normal_rps, 2),
            "bound_ms": self.bound_ms,
            "knee_rps": None if self.knee_rps is None else round(self.knee_rps, 2),
            "first_fail_rps": None
            if self.first_fail_rps is None
            else round(self.first_fail_rps, 2),
            "headroom": None if self.headroom is None else round(self.headroom, 2),
            "min_headroom": self.min_headroom,
            "passed": self.passed,
            "first_saturated": self.first_saturated,
            "levels": [
                {
                    "window": lv.window,
                    "offered_rps": round(lv.offered_rps, 2),
                    "rps": round(lv.rps, 2),
                    "p95_ms": lv.p95_ms,
                    "error_rate": lv.error_rate,
                    "passed": lv.passed,
                    "signals": {
                        k: {"where": w, "value": round(v, 3)} for k, (w, v) in lv.signals.items()
                    },
                }
                for lv in self.levels
            ],
        }


@dataclass(frozen=True)
class PageCheck:
    """``slo.page_within``: did a page alert start within ``within_s`` of the first step?"""

    within_s: float
    delay_s: float | None  # the first caused page's delay after the first step (None: no page)

    @property
    def passed(self) -> bool:
        return self.delay_s is not None and self.delay_s <= self.within_s

    def line(self) -> str:
        seen = (
            "no page after the first step"
            if self.delay_s is None
            else (f"paged {self.delay_s:g}s after the first step")
        )
        return f"slo: pages within {self.within_s:g}s ({'PASS' if self.passed else 'FAIL'}, {seen})"

    def to_dict(self) -> dict[str, Any]:
        return {"within_s": self.within_s, "delay_s": self.delay_s, "passed": self.passed}


def counters(spec: GameDaySpec, scraper: Any, t0: float) -> dict[str, dict[str, float]]:
    """For each window (and ``run``: from T0 to the last scrape), how much each spec counter grew
    over it (reset-aware, summed over the matching services and series). Samples are scraped each
    second and a request is counted when it ends, so a window's edges are ±1 s plus latency."""
    if not spec.counters or scraper is None:
        return {}
    frame = scraper.df
    out: dict[str, dict[str, float]] = {}
    spans = [(w.name, t0 + w.start_s, t0 + w.end_s) for w in spec.windows]
    spans.append(("run", t0, math.inf))  # T0 to the last scrape: requests in flight at the end too
    for name, a, b in spans:
        out[name] = {c.name: round(_increase(frame, c, a, b), 1) for c in spec.counters}
    return out


def _increase(frame: Any, counter: Any, a: float, b: float) -> float:
    from pulsekit.observe._exposition import parse_labels

    part = frame[frame["metric"] == counter.metric]
    targets = fnmatch.filter(sorted(set(part["target"])), counter.service)
    part = part[part["target"].isin(targets)]
    total = 0.0
    for (_, labels), series in part.groupby(["target", "labels"]):
        found = parse_labels(labels)
        if counter.route is not None and found.get("route") != counter.route:
            continue
        if counter.status is not None and found.get("status") != counter.status:
            continue
        times = series["time"].map(lambda t: t.timestamp()).to_numpy()
        values = series["value"].to_numpy()
        before = [v for t, v in zip(times, values, strict=True) if t <= a]
        last = before[-1] if before else 0.0
        for t, v in zip(times, values, strict=True):
            if a < t <= b:
                total += v - last if v >= last else v  # a restart resets the counter
                last = v
    return total


def page_check(spec: GameDaySpec, caused: list[Any]) -> PageCheck | None:
    if spec.slo is None or spec.slo.page_within_s is None:
        return None
    delay = caused[0].delay_after_fault_s if caused else None
    return PageCheck(spec.slo.page_within_s, delay)


def knee(
    spec: GameDaySpec, windows: dict[str, Any], scraper: Any, cpu: Any, t0: float
) -> KneeOutcome | None:
    """Judge the knee windows in order of offered rate (see :class:`KneeSpec`)."""
    if spec.knee is None or spec.load.stages is None:
        return None
    cfg = spec.knee
    frame = scraper.df if scraper is not None else None
    rows = cpu.rows if cpu is not None else []
    levels = []
    for name in cfg.windows:
        w = windows.get(name)
        span = spec.window(name)
        offered = offered_rate(spec.load.stages, span.start_s, span.end_s)
        sig = _signals(frame, rows, t0 + span.start_s, t0 + span.end_s)
        levels.append((offered, name, w, sig))
    levels.sort(key=lambda x: x[0])
    base = windows.get(cfg.baseline)
    normal = next(o for o, n, _, _ in levels if n == cfg.baseline)
    if base is None or base.p95_ms is None:
        return KneeOutcome(
            cfg.baseline, normal, None, (), None, None, "no data", None, cfg.min_headroom
        )
    bound = round(cfg.p95_factor * base.p95_ms, 1)
    judged: list[KneeLevel] = []
    for offered, name, w, sig in levels:
        ok = (
            w is not None
            and w.requests > 0
            and w.p95_ms is not None
            and w.p95_ms <= bound
            and (w.error_rate or 0.0) <= cfg.max_error_rate
        )
        judged.append(
            KneeLevel(
                name,
                offered,
                w.rps if w else 0.0,
                w.p95_ms if w else None,
                w.error_rate if w else None,
                bool(ok),
                sig,
            )
        )
    knee_rps, fail_rps, status = None, None, "held to the top of the shape"
    for lv in judged:
        if not lv.passed:
            fail_rps, status = lv.offered_rps, "found"
            break
        knee_rps = lv.offered_rps
    if knee_rps is None:
        status = "failed at baseline"
    return KneeOutcome(
        cfg.baseline,
        normal,
        bound,
        tuple(judged),
        knee_rps,
        fail_rps,
        status,
        _first_saturated(judged),
        cfg.min_headroom,
    )


def _signals(
    frame: Any, rows: list[tuple[float, str, float]], a: float, b: float
) -> dict[str, tuple[str, float]]:
    """The highest of each saturation signal over ``[a, b]``: mean pool waiting and in-flight
    per service (scraped gauges), CPU share of a core per service and of the machine."""
    out: dict[str, tuple[str, float]] = {}
    if frame is not None and len(frame):
        import pandas as pd

        lo, hi = pd.Timestamp(a, unit="s", tz="UTC"), pd.Timestamp(b, unit="s", tz="UTC")
        part = frame[(frame["time"] >= lo) & (frame["time"] <= hi)]
        for metric, kind in (
            ("shop_db_pool_waiting", "pool_waiting"),
            ("shop_http_requests_in_flight", "in_flight"),
        ):
            sel = part[part["metric"] == metric]
            if len(sel):
                means = sel.groupby(["target", "labels"])["value"].mean()
                (target, labels), value = means.idxmax(), float(means.max())
                where = target + (f"{{{labels}}}" if labels else "")
                out[kind] = (where, value)
    best: tuple[str, float] | None = None
    for name in sorted({r[1] for r in rows} - {"host_busy", "host_total"}):
        share = _rate(rows, name, a, b)
        if share is not None and (best is None or share > best[1]):
            best = (name, share)
    if best is not None:
        out["cpu"] = best
    busy, total = _delta(rows, "host_busy", a, b), _delta(rows, "host_total", a, b)
    if busy is not None and total:
        out["host_cpu"] = ("machine", busy / total)
    return out


def _delta(rows: list[tuple[float, str, float]], name: str, a: float, b: float) -> float | None:
    pts = [(t, v) for t, n, v in rows if n == name and a - 0.6 <= t <= b + 0.6]
    if len(pts) < 2:
        return None
    return pts[-1][1] - pts[0][1]


def _rate(rows: list[tuple[float, str, float]], name: str, a: float, b: float) -> float | None:
    pts = [(t, v) for t, n, v in rows if n == name and a - 0.6 <= t <= b + 0.6]
    if len(pts) < 2 or pts[-1][0] <= pts[0][0]:
        return None
    return (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])


def _signal_text(signals: dict[str, tuple[str, float]]) -> str:
    names = {
        "pool_waiting": "pool waiting",
        "in_flight": "in flight",
        "cpu": "CPU",
        "host_cpu": "machine CPU",
    }
    parts = []
    for kind in SIGNALS:
        if kind in signals:
            where, value = signals[kind]
            at = "" if kind == "host_cpu" else f" ({where})"
            parts.append(f"{names[kind]} {value:.2f}{at}")
    return ", ".join(parts) or "no signals"


def _first_saturated(levels: list[KneeLevel]) -> dict[str, Any] | None:
    """The first level's shop signal past its limit (pool waiting, in flight, a service's CPU);
    the machine's CPU is shown but not judged: other work on the machine moves it."""
    from pulsekit.load._signals import LIMITS

    for lv in levels:
        over = [
            (value / LIMITS[kind][0], kind, where, value)
            for kind, (where, value) in lv.signals.items()
            if kind != "host_cpu" and math.isfinite(value) and value > LIMITS[kind][0]
        ]
        if over:
            _, kind, where, value = max(over)
            return {
                "signal": kind,
                "where": where,
                "value": round(value, 3),
                "limit": LIMITS[kind][0],
                "window": lv.window,
                "offered_rps": round(lv.offered_rps, 2),
                "meaning": LIMITS[kind][2],
            }
    return None
