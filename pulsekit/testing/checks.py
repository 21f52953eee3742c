"""The checks behind the plugin's fixtures, and failure messages a reviewer can read in a CI log.

Every message says the threshold, the observed value, the window it was measured over and where
the chart and the journal were written.
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulsekit.errors import ConfigError, ObserveError

if TYPE_CHECKING:
    from pulsekit.gameday.result import GameDayResult
    from pulsekit.load.result import LoadResult

_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_text(start: float, end: float, detail: str = "") -> str:
    """``2026-12-01T23:10:02Z .. 23:10:12Z (10.0 s, detail)``."""
    until = datetime.fromtimestamp(end, UTC).strftime("%H:%M:%SZ")
    extra = f", {detail}" if detail else ""
    return f"{_clock(start)} .. {until} ({end - start:.1f} s{extra})"


def _where(chart: str | None, journal: str | None) -> list[str]:
    lines = []
    if chart:
        lines.append(f"  chart      {chart}")
    if journal:
        lines.append(f"  journal    {journal}")
    return lines


def load_failure(
    result: LoadResult, *, chart: str | None = None, journal: str | None = None
) -> str | None:
    """The CI-log message of a load run whose thresholds failed (None when every one held)."""
    if result.passed:
        return None
    failed = [t for t in result.thresholds if not t.passed]
    rate = f"{result.model} model, {result.requests} requests, {result.failures} failed"
    lines = [f"pulsekit load: {len(failed)} of {len(result.thresholds)} thresholds failed"]
    for verdict in failed:
        th = verdict.threshold
        unit = " ms" if th.metric in ("http_req_duration", "http_req_waiting", "send_lag") else ""
        agg = f"p({th.percentile:g})" if th.aggregation == "p" else th.aggregation
        seen = "not measured" if verdict.observed is None else f"{verdict.observed:.4g}{unit}"
        lines.append(f"  threshold  {th.text}")
        lines.append(f"  observed   {th.metric} {agg} = {seen}")
    if result.status == "aborted":
        lines.append("  (the run was aborted early by an abortOnFail threshold)")
    lines.append(
        "  window     "
        + window_text(result.started_at, result.started_at + result.duration_s, rate)
        + f" on {result.url}"
    )
    return "\n".join(lines + _where(chart, journal))


def vitals_failure(
    report: Any,
    result: Any,
    *,
    started: float,
    ended: float,
    journal: str | None = None,
) -> str | None:
    """The CI-log message of a page that broke a web-vitals budget (None when all held)."""
    if report.passed:
        return None
    lines = [f"pulsekit vitals: {len(report.failed)} of {len(report.outcomes)} budgets failed"]
    for outcome in report.failed:
        seen = "not measured" if outcome.actual is None else f"{outcome.actual:g}"
        unit = "" if outcome.budget.metric in ("CLS", "score") or outcome.actual is None else " ms"
        lines.append(f"  threshold  {outcome.budget}")
        lines.append(f"  observed   {outcome.budget.metric} {outcome.budget.stat} = {seen}{unit}")
    detail = f"{len(result.runs)} page loads, profile {result.profile}"
    lines.append(f"  window     {window_text(started, ended, detail)} on {result.url}")
    return "\n".join(lines + _where(None, journal))


def _scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    from pulsekit.observe._exposition import parse_exposition, parse_labels

    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            text = resp.read().decode(errors="replace")
    except OSError as exc:
        raise ObserveError(f"could not read {url} for the SLO window ({exc})") from exc
    return [(name, parse_labels(labels), value) for name, labels, value in parse_exposition(text)]


@dataclass(frozen=True)
class SloOutcome:
    """An SLO judged over one window from counter deltas: good of total, against the objective."""

    description: str
    objective: float
    good: float
    total: float
    started: float
    ended: float

    @property
    def ratio(self) -> float:
        return self.good / self.total if self.total else float("nan")

    @property
    def passed(self) -> bool:
        return self.total > 0 and self.ratio >= self.objective

    def message(self, *, chart: str | None = None, journal: str | None = None) -> str:
        if self.total == 0:
            seen = "no requests in the window, so the SLO cannot be judged"
        else:
            seen = f"{self.ratio:.3%} ({self.good:.0f} good of {self.total:.0f} requests)"
        return "\n".join(
            [
                f"pulsekit SLO: {self.description} below its objective",
                f"  threshold  >= {self.objective:.3%}",
                f"  observed   {seen}",
                f"  window     {window_text(self.started, self.ended, 'the test body')}",
                *_where(chart, journal),
            ]
        )


class SloWindow:
    """Counters of one service's ``/metrics`` read at the start; :meth:`check` judges the delta."""

    def __init__(self, metrics_url: str, *, service: str = "gateway") -> None:
        self.metrics_url = metrics_url
        self.service = service
        self.started = time.time()
        self._before = _scrape(metrics_url)

    def check(
        self,
        objective: float = 0.99,
        *,
        latency: str | float | None = None,
        route: str | None = None,
    ) -> SloOutcome:
        """Availability (non-5xx share) or, with ``latency="250ms"``, the share served within it.

        ``latency`` must be one of the service's histogram bucket bounds (5 ms .. 10 s).
        """
        from pulsekit._util import parse_duration

        if isinstance(objective, bool) or not 0 < objective < 1:
            raise ConfigError(f"objective={objective!r} must be a ratio between 0 and 1, e.g. 0.99")
        after = _scrape(self.metrics_url)
        ended = time.time()
        scope = f"{self.service}" + (f" route {route}" if route else "")
        if latency is None:
            good, total = self._availability(after, route)
            what = f"{scope} availability (non-5xx)"
        else:
            bound = parse_duration(latency, field="latency")
            if not any(abs(bound - b) < 1e-9 for b in _BUCKETS_S):
                known = ", ".join(f"{b * 1000:g}ms" for b in _BUCKETS_S)
                raise ConfigError(
                    f"latency={latency!r} is not a histogram bucket; use one of {known}"
                )
            good, total = self._latency(after, route, bound)
            what = f"{scope} requests within {bound * 1000:g} ms"
        return SloOutcome(what, float(objective), good, total, self.started, ended)

    def _delta(self, after: list[Any], name: str, keep: Any) -> float:
        def total(rows: list[Any]) -> float:
            return float(sum(v for n, labels, v in rows if n == name and keep(labels)))

        return max(0.0, total(after) - total(self._before))

    def _availability(self, after: list[Any], route: str | None) -> tuple[float, float]:
        def in_route(labels: dict[str, str]) -> bool:
            return route is None or labels.get("route") == route

        total = self._delta(after, "shop_http_requests_total", in_route)
        bad = self._delta(
            after,
            "shop_http_requests_total",
            lambda lb: in_route(lb) and lb.get("status", "").startswith("5"),
        )
        return total - bad, total

    def _latency(self, after: list[Any], route: str | None, bound: float) -> tuple[float, float]:
        def in_route(labels: dict[str, str]) -> bool:
            return route is None or labels.get("route") == route

        good = self._delta(
            after,
            "shop_http_request_duration_seconds_bucket",
            lambda lb: in_route(lb) and abs(float(lb.get("le", "nan")) - bound) < 1e-9,
        )
        total = self._delta(after, "shop_http_request_duration_seconds_count", in_route)
        return good, total


def save_chart(result: Any, path: Path, windows: list[tuple[float, float, str]]) -> Path | None:
    """The load chart as PNG (fault windows shaded); None when matplotlib cannot draw it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6))
    result.plot(windows=windows, ax=fig.add_subplot())
    fig.savefig(path, format="png", dpi=80)
    return path


def gameday_failure(result: GameDayResult, *, expect: str = "held") -> str:
    """The CI-log message of a GameDay whose verdict was not ``expect``: every threshold that
    decided it with its observed value and window, the abort reason, and where the files are."""
    verdict = "held" if result.hypothesis_held else "refuted"
    lines = [
        f"pulsekit gameday {result.spec.title!r}: {result.status}, hypothesis {verdict} "
        f"(expected {expect})"
    ]
    if result.abort_reason:
        lines.append(f"  reason     {result.abort_reason}")
    for w in result.windows.values():
        for check in w.thresholds:
            if check.passed == (expect == "held"):
                continue
            seen = "no data" if check.observed is None else f"{check.observed:.4g}"
            lines.append(f"  threshold  {check.expr}")
            lines.append(f"  observed   {seen} ({'PASS' if check.passed else 'FAIL'})")
            lines.append(
                "  window     "
                + window_text(
                    result.started_at + w.start_s,
                    result.started_at + w.end_s,
                    f"{w.name}, T+{w.start_s:g}s..T+{w.end_s:g}s, {w.requests} requests",
                )
            )
    for name, path in (("report", result.report), ("postmortem", result.postmortem)):
        if path is not None:
            lines.append(f"  {name:<10} {path}")
    lines.append(f"  journal    {result.journal}")
    return "\n".join(lines)
