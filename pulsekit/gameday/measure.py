"""After the load: each window from merged histograms, the hypothesis verdict, SLO alerts, golden
signals per service, all journalled as ``measurement`` and ``slo.alert`` events."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulsekit.gameday.journal import Event, Journal
from pulsekit.gameday.result import AlertResult, GameDayResult, StepResult, WindowResult
from pulsekit.gameday.spec import GameDaySpec
from pulsekit.load.thresholds import evaluate


def slo_of(spec: GameDaySpec) -> Any:
    """The spec's latency (or availability) SLO, compressed for the run."""
    from pulsekit.observe import SLO, availability, latency

    cfg = spec.slo
    assert cfg is not None
    if cfg.sli == "availability":
        sli = availability(cfg.service, route=cfg.route)
    else:
        sli = latency(cfg.service, threshold=f"{cfg.latency_ms:g}ms", route=cfg.route)
    return SLO(objective=cfg.objective, window="30d", sli=sli).compressed(cfg.compress)


def measure(
    spec: GameDaySpec,
    load: Any,
    *,
    status: str,
    reason: str | None,
    ledger: Any,
    scraper: Any,
    journal: Journal,
    out_dir: Path,
    guard_trips: Any = (),
    load_started_at: float | None = None,
    cpu: Any = None,
) -> GameDayResult:
    """The run's result; ``load`` is None when the run failed before the load finished."""
    t0 = float(load.started_at) if load is not None else (journal.t0 or 0.0)
    frame = None
    if spec.price is not None and spec.price.meters_traffic and scraper is not None:
        frame = scraper.df
    windows = (
        tuple(_window(spec, load, w, frame, t0) for w in spec.windows) if load is not None else ()
    )
    for w in windows:
        journal.write(
            Event.MEASUREMENT,
            w.verdict_line(),
            window=w.name,
            verdict=w.verdict_line(),
            **w.to_dict(),
        )
    if load is not None:
        journal.write(
            Event.MEASUREMENT,
            f"the whole run: {load.requests} requests, {load.failures} failed",
            window="run",
            requests_total=load.requests,
            requests_failed=load.failures,
            p95_ms=_finite(load.percentile(95)),
        )
    steps = tuple(
        StepResult(
            name=a.step.name,
            action=a.step.action,
            target=a.step.target,
            at_s=a.step.at_s,
            applied_t=round(a.applied_t, 3),
            reverted_t=None if a.reverted_t is None else round(a.reverted_t, 3),
            reverted_by=a.reverted_by,
        )
        for a in (ledger.applied if ledger is not None else [])
    )
    first_fault = min((s.applied_t for s in steps), default=None)
    slo_report: Any = None
    slo_from: float | None = None
    alerts: tuple[AlertResult, ...] = ()
    problems: list[str] = []
    if spec.slo is not None and scraper is not None and load is not None:
        try:
            start = t0 + (min(w.start_s for w in spec.windows) if spec.windows else 0.0)
            slo_report = slo_of(spec).evaluate(scraper, start=datetime.fromtimestamp(start, UTC))
            alerts = _alerts(slo_report, t0, first_fault, journal)
            if len(slo_report.df):
                slo_from = round(slo_report.df["time"].iloc[0].timestamp() - t0, 1)
        except Exception as exc:  # no samples (a run cut short): the report says so
            problems.append(f"SLO not evaluated: {exc}")
    golden = _golden(spec, scraper, t0, problems) if load is not None else {}
    incident = None
    if load is not None and any(s.action == "deploy" for s in spec.steps) and ledger is not None:
        from pulsekit.gameday._incident import time_incident

        incident = time_incident(slo_from, scraper, t0, journal)
    judged = [t for w in windows for t in w.thresholds]
    held = status == "completed" and all(t.passed for t in judged)
    result = GameDayResult(
        spec=spec,
        status=status,
        hypothesis_held=held,
        abort_reason=reason,
        windows={w.name: w for w in windows},
        steps=steps,
        alerts=alerts,
        stop_trips=tuple(guard_trips),
        load=load,
        slo_report=slo_report,
        slo_from_t=slo_from,
        golden=golden,
        started_at=t0,
        load_started_at=load_started_at,
        out_dir=out_dir,
        journal=journal.path,
        problems=tuple(problems),
        incident=incident,
    )
    return _findings(result, scraper, cpu, journal) if load is not None else result


def _findings(result: GameDayResult, scraper: Any, cpu: Any, journal: Journal) -> GameDayResult:
    """Counters per window, the SLO page check and the knee, journalled and judged."""
    from pulsekit.gameday import analysis

    spec, t0 = result.spec, result.started_at
    counts = analysis.counters(spec, scraper, t0)
    for name, values in counts.items():
        joined = ", ".join(f"{k} {v:g}" for k, v in values.items())
        journal.write(
            Event.MEASUREMENT, f"counters over {name}: {joined}", window=name, counters=values
        )
    page = analysis.page_check(spec, result.caused_alerts("page"))
    knee = analysis.knee(spec, dict(result.windows), scraper, cpu, t0)
    held = result.hypothesis_held
    if page is not None:
        journal.write(Event.MEASUREMENT, page.line(), window="slo_page", **page.to_dict())
        held = held and page.passed
    if knee is not None:
        journal.write(
            Event.MEASUREMENT,
            "; ".join(knee.lines()[:1] + knee.lines()[-2:]),
            window="knee",
            **knee.to_dict(),
        )
        held = held and knee.passed is not False
    return replace(result, counters=counts, page=page, knee=knee, hypothesis_held=held)


def _window(spec: GameDaySpec, load: Any, window: Any, frame: Any, t0: float) -> WindowResult:
    stats = load.window(window.start_s, window.end_s)
    checks = []
    for threshold in spec.hypothesis.get(window.name, ()):
        verdict = evaluate(threshold, stats)
        passed = verdict.observed is not None and verdict.passed  # no data proves nothing
        checks.append((threshold.text, passed, _finite(verdict.observed)))
    built = WindowResult.build(window, stats, tuple(checks))
    if spec.price is not None:
        traffic = None
        if frame is not None:
            from pulsekit.gameday._traffic import window_traffic

            seen = window.start_s + stats.seconds  # a run stopped early: only what it reached
            traffic = window_traffic(frame, t0 + window.start_s, t0 + seen)
        cost = spec.price.cost(
            stats.seconds,
            stats.requests,
            db_queries=traffic["db_reads"] if traffic else 0.0,
            link_bytes=traffic["link_bytes"] if traffic else 0.0,
        )
        built = replace(built, cost_usd=cost, traffic=traffic)
    return built


def _alerts(
    report: Any, t0: float, first_fault: float | None, journal: Journal
) -> tuple[AlertResult, ...]:
    out = []
    for row in report.alerts.to_dict("records"):
        start = row["start"].timestamp()
        delay = None if first_fault is None else round(start - t0 - first_fault, 1)
        alert = AlertResult(
            rule=str(row["rule"]),
            severity=str(row["severity"]),
            start_t=round(start - t0, 1),
            end_t=None if _missing(row["end"]) else round(row["end"].timestamp() - t0, 1),
            delay_after_fault_s=delay,
        )
        out.append(alert)
        after = "" if delay is None else f", {delay:g} s after the first step"
        journal.write(
            Event.SLO_ALERT,
            f"{alert.severity} burn-rate alert {alert.rule} fired{after}",
            at=start,
            rule=alert.rule,
            severity=alert.severity,
            delay_after_fault_s=delay,
            slo_target=report.slo.objective,
        )
    return tuple(out)


def _golden(spec: GameDaySpec, scraper: Any, t0: float, problems: list[str]) -> dict[str, Any]:
    """Golden signals per service over each window, from the scraped samples."""
    if scraper is None:
        return {}
    import pandas as pd

    from pulsekit.observe import golden_signals

    frame = scraper.df
    out: dict[str, Any] = {}
    for w in spec.windows:
        end = pd.Timestamp(t0 + w.end_s, unit="s", tz="UTC")
        part = frame[frame["time"] <= end]
        try:
            out[w.name] = golden_signals(part, window=w.end_s - w.start_s).df
        except Exception as exc:  # a window the run never reached has no samples
            problems.append(f"golden signals for {w.name}: {exc}")
    return out


def _missing(value: Any) -> bool:
    return value is None or value != value  # None, NaN or NaT: still firing at the end


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
