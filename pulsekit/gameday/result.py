"""The result of a GameDay: per-window statistics and verdicts, steps, alerts, paths, exit code."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, json_safe

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.gameday.spec import GameDaySpec

EXIT_CODES = {"held": 0, "refuted": 99, "aborted": 99, "error": 1, "interrupted": 130}


@dataclass(frozen=True)
class WindowResult:
    """One named window, measured over exactly its whole seconds from merged HdrHistograms."""

    name: str
    start_s: float
    end_s: float
    seconds: int  # seconds of the window the run reached (fewer when it stopped early)
    requests: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    thresholds: tuple[ThresholdCheck, ...] = ()
    cost_usd: float | None = None  # with a price model in the spec
    traffic: Mapping[str, Any] | None = None  # db reads, bytes between services, cache hits

    @classmethod
    def build(
        cls, window: Any, stats: Any, checks: tuple[tuple[str, bool, float | None], ...]
    ) -> WindowResult:
        def pct(p: float) -> float | None:
            value = stats.percentile(p)
            return None if math.isnan(value) else round(value, 1)

        return cls(
            name=window.name,
            start_s=window.start_s,
            end_s=window.end_s,
            seconds=stats.seconds,
            requests=stats.requests,
            failures=stats.failures,
            p50_ms=pct(50),
            p95_ms=pct(95),
            p99_ms=pct(99),
            thresholds=tuple(ThresholdCheck(e, p, o) for e, p, o in checks),
        )

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.requests if self.requests else None

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.thresholds)

    def verdict_line(self) -> str:
        span = f"{self.name} [{self.start_s:g}s, {self.end_s:g}s)"
        if not self.thresholds:
            return f"{span}: measured only (no hypothesis)"
        parts = ", ".join(str(t) for t in self.thresholds)
        return f"{span}: {'held' if self.passed else 'REFUTED'}: {parts}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "requests": self.requests,
            "rps": round(self.rps, 2),
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "error_rate": None if self.error_rate is None else round(self.error_rate, 6),
            "thresholds": [t.to_dict() for t in self.thresholds],
            **({} if self.cost_usd is None else {"cost_usd": round(self.cost_usd, 6)}),
            **({} if self.traffic is None else {"traffic": dict(self.traffic)}),
            **({} if self.cost_month_usd is None else {"cost_month_usd": self.cost_month_usd}),
        }

    @property
    def cost_month_usd(self) -> float | None:
        """The window's traffic cost kept up for 30 days (only with a traffic price model)."""
        if self.cost_usd is None or self.traffic is None or not self.seconds:
            return None
        return round(self.cost_usd / self.seconds * 30 * 86400, 2)


def traffic_line(w: WindowResult) -> str:
    """Database reads, bytes between services and cache hits of one window, per second."""
    t = w.traffic or {}
    per_s = max(w.seconds, 1)
    ratio = t.get("cache_hit_ratio")
    hits = "no lookups" if ratio is None else f"{ratio:.0%} hits"
    cost = "" if w.cost_usd is None else f", ${w.cost_usd:.6f} (${w.cost_month_usd:,.2f}/month)"
    return (
        f"{t.get('db_reads', 0) / per_s:.0f} db reads/s, "
        f"{t.get('link_bytes', 0) / per_s / 1e6:.2f} MB/s between services, cache {hits}{cost}"
    )


@dataclass(frozen=True)
class ThresholdCheck:
    """One hypothesis threshold over one window; no data counts as not passed."""

    expr: str
    passed: bool
    observed: float | None

    def __str__(self) -> str:
        seen = "no data" if self.observed is None else f"{self.observed:.4g}"
        return f"{self.expr} ({'PASS' if self.passed else 'FAIL'}, observed {seen})"

    def to_dict(self) -> dict[str, Any]:
        return {"expr": self.expr, "passed": self.passed, "observed": self.observed}


@dataclass(frozen=True)
class StepResult:
    """A step as it ran: seconds after T0 when applied and reverted, and by what."""

    name: str
    action: str
    target: str
    at_s: float
    applied_t: float
    reverted_t: float | None
    reverted_by: str | None


@dataclass(frozen=True)
class AlertResult:
    """An SLO burn-rate alert interval (seconds after T0) and its delay after the first step."""

    rule: str
    severity: str
    start_t: float
    end_t: float | None  # None: still firing when the run ended
    delay_after_fault_s: float | None


@dataclass(frozen=True)
class GameDayResult(ResultMixin):
    """What a GameDay run found. ``exit_code`` follows the CLI: 0 held, 99 refuted or aborted,
    1 error, 130 interrupted."""

    spec: GameDaySpec
    status: str  # completed, aborted, interrupted, error
    hypothesis_held: bool
    abort_reason: str | None
    windows: Mapping[str, WindowResult]
    steps: tuple[StepResult, ...]
    alerts: tuple[AlertResult, ...]
    stop_trips: tuple[Mapping[str, Any], ...]
    load: Any  # the LoadResult (None when the run failed before the load ended)
    slo_report: Any
    slo_from_t: float | None  # the first second the SLO could be judged (its first samples)
    golden: Mapping[str, Any]
    started_at: float  # UNIX time of T0, second 0 of the load's timeline
    load_started_at: float | None  # exact UNIX time the load began (None: it never did)
    out_dir: Path
    journal: Path
    report: Path | None = None
    postmortem: Path | None = None
    charts: tuple[Path, ...] = ()
    problems: tuple[str, ...] = field(default=())
    incident: Mapping[str, Any] | None = None  # a bad deploy's TTD and TTM (seconds)
    counters: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # window -> name -> n
    knee: Any = None  # analysis.KneeOutcome with a knee: section in the spec
    page: Any = None  # analysis.PageCheck with slo.page_within

    @property
    def exit_code(self) -> int:
        if self.status in ("error", "interrupted", "aborted"):
            return EXIT_CODES[self.status]
        return EXIT_CODES["held" if self.hypothesis_held else "refuted"]

    def with_files(self, **paths: Any) -> GameDayResult:
        return replace(self, **paths)

    def fault_windows(self) -> tuple[Any, ...]:
        """The steps as :class:`~pulsekit.FaultWindow`\\ s (an open step ends at the run's end)."""
        from pulsekit._windows import FaultWindow

        end = self.load.duration_s if self.load is not None else self.spec.duration_s
        return tuple(
            FaultWindow.offsets(
                self.started_at,
                s.applied_t,
                s.reverted_t if s.reverted_t is not None else max(end, s.applied_t),
                s.name,
            )
            for s in self.steps
            if s.action not in ("restart", "thaw")
        )

    def alert_when(self, alert: AlertResult) -> str:
        """When an alert fired, said honestly: an alert firing from the SLO's first judged second
        was not caused by a later step."""
        text = f"fired at T+{alert.start_t:g}s"
        if self.slo_from_t is not None and alert.start_t - self.slo_from_t < 2.0:
            return text + f", already when the SLO could first be judged (T+{self.slo_from_t:g}s)"
        delay = alert.delay_after_fault_s
        if delay is not None:
            text += f", {abs(delay):g}s {'after' if delay >= 0 else 'before'} the first step"
        return text

    def caused_alerts(self, severity: str = "page") -> list[AlertResult]:
        """Alerts of ``severity`` that started after the first step (and after the SLO's first
        judged seconds), earliest first."""
        return sorted(
            (
                a
                for a in self.alerts
                if a.severity == severity
                and a.delay_after_fault_s is not None
                and a.delay_after_fault_s >= 0
                and (self.slo_from_t is None or a.start_t - self.slo_from_t >= 2.0)
            ),
            key=lambda a: a.start_t,
        )

    def summary(self) -> str:
        """The verdict, one line per window (over its own seconds), the steps and the alerts."""
        verdict = "HELD" if self.hypothesis_held else "NOT HELD"
        lines = [f"GameDay {self.spec.title!r}: {self.status}; hypothesis {verdict}"]
        if self.abort_reason:
            lines.append(f"  reason: {self.abort_reason}")
        for w in self.windows.values():
            p95 = "-" if w.p95_ms is None else f"{w.p95_ms:.0f} ms"
            err = "-" if w.error_rate is None else f"{w.error_rate:.2%}"
            lines.append(
                f"  window {w.name} [{w.start_s:g}s, {w.end_s:g}s): {w.requests} requests "
                f"({w.rps:.0f}/s), p95 {p95}, errors {err}"
            )
            lines += [f"    {t}" for t in w.thresholds]
        for s in self.steps:
            back = (
                ""
                if s.reverted_t is None
                else f", reverted at T+{s.reverted_t:.1f}s ({s.reverted_by})"
            )
            lines.append(f"  step {s.name} at T+{s.applied_t:.1f}s{back}")
        for a in self.alerts:
            lines.append(f"  alert {a.rule} ({a.severity}) {self.alert_when(a)}")
        if self.incident is not None:
            lines.append(f"  {self.incident_line()}")
        for w in self.windows.values():
            if w.traffic is not None:
                lines.append(f"  traffic {w.name}: {traffic_line(w)}")
        if self.page is not None:
            lines.append(f"  {self.page.line()}")
        for name, counts in self.counters.items():
            joined = ", ".join(f"{k} {v:g}" for k, v in counts.items())
            lines.append(f"  counters over {name}: {joined}")
        if self.knee is not None:
            lines += [f"  {line}" for line in self.knee.lines()]
        lines += [f"  note: {p}" for p in self.problems]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """What ``pulsekit gameday run --json`` writes."""
        return json_safe(self._dict())  # type: ignore[no-any-return]

    def _dict(self) -> dict[str, Any]:
        return {
            "title": self.spec.title,
            "status": self.status,
            "hypothesis_held": self.hypothesis_held,
            "abort_reason": self.abort_reason,
            "exit_code": self.exit_code,
            "started_at": self.started_at,
            "load_started_at": self.load_started_at,
            "windows": {name: w.to_dict() for name, w in self.windows.items()},
            "steps": [vars(s) for s in self.steps],
            "alerts": [vars(a) for a in self.alerts],
            "stop_trips": [dict(t) for t in self.stop_trips],
            "slo_page": None if self.page is None else self.page.to_dict(),
            "counters": {w: dict(c) for w, c in self.counters.items()},
            "knee": None if self.knee is None else self.knee.to_dict(),
            "journal": str(self.journal),
            "report": None if self.report is None else str(self.report),
            "postmortem": None if self.postmortem is None else str(self.postmortem),
            "problems": list(self.problems),
            **({} if self.incident is None else {"incident": dict(self.incident)}),
        }

    def incident_line(self) -> str:
        """``faulty build live at T+22s; detected ... (TTD 3 s); mitigated ... (TTM 18 s)``."""
        i = self.incident or {}
        text = f"faulty build ({i.get('version')}) of {i.get('target')} served from T+{i.get('live_t')}s"
        if i.get("ttd_s") is None:
            text += "; no page fired after it (the SLO did not detect it)"
        else:
            text += (
                f"; detected by {i['detected_by']} at T+{i['detected_t']:g}s (TTD {i['ttd_s']:g} s)"
            )
        if i.get("mitigated_t") is None:
            return text + "; never rolled back"
        if i.get("ttm_s") is not None:
            text += f"; mitigated at T+{i['mitigated_t']:g}s (TTM {i['ttm_s']:g} s after the page)"
        else:
            text += f"; rolled back at T+{i['mitigated_t']:g}s"
        return text + f"; users hit for {i['impact_s']:g} s ({i['mitigated_by']})"

    def to_frame(self) -> pd.DataFrame:
        """One row per window: span, requests, rps, p50/p95/p99, error rate, passed."""
        import pandas as pd

        rows = []
        for w in self.windows.values():
            row = {k: v for k, v in w.to_dict().items() if k != "thresholds"}
            rows.append({"window": w.name, **row, "passed": w.passed if w.thresholds else None})
        return pd.DataFrame(rows).set_index("window") if rows else pd.DataFrame()

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """The load's latency and errors per second, step windows (and ``faults``) shaded."""
        from pulsekit._windows import as_windows
        from pulsekit.errors import GameDayError

        if self.load is None:
            raise GameDayError(
                "this run has no load result to plot (it failed before the load ended)"
            )
        windows = [(w.start_s, w.end_s, w.name) for w in self.windows.values()]
        top: Axes = self.load.plot(ax=ax, faults=[*self.fault_windows(), *as_windows(faults)])
        for start, end, name in windows:
            top.annotate(
                name,
                xy=(start, 0.0),
                xycoords=top.get_xaxis_transform(),
                fontsize=8,
                color="tab:blue",
                va="bottom",
            )
            top.axvline(start, color="tab:blue", linewidth=0.6, linestyle=":")
            top.axvline(end, color="tab:blue", linewidth=0.6, linestyle=":")
        top.set_title(f"GameDay: {self.spec.title}")
        return top

    def _repr_html_(self) -> str:
        verdict = "held" if self.hypothesis_held else "not held"
        head = f"<p><b>{html.escape(self.spec.title)}</b>: {self.status}, hypothesis {verdict}</p>"
        frame = self.to_frame()
        table = frame.to_html() if not frame.empty else ""
        return head + table + f"<pre>{html.escape(self.summary())}</pre>"
