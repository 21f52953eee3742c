"""The result of a load run: per-second timeline, per-endpoint summary, threshold verdict, chart."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, html_view
from pulsekit.load.thresholds import Threshold, ThresholdResult, evaluate, parse_thresholds

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.load._aggregate import WindowStats

TIMELINE_COLUMNS = (
    "requests",
    "failures",
    "rps",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "service_p99_ms",
    "send_lag_p99_ms",
    "users",
    "in_flight",
    "arrivals",
    "dropped",
)


@dataclass(frozen=True)
class LoadResult(ResultMixin):
    """What a load run measured. Latencies are in ms; in the open model they are measured from
    each request's intended start (coordinated omission corrected), ``service_ms`` is the raw
    time on the wire."""

    url: str
    model: str  # "closed" (users) or "open" (arrival rate)
    status: str  # "completed", "aborted" (a threshold), "interrupted" (Ctrl-C, error)
    duration_s: float
    workers: int
    requests: int
    failures: int
    arrivals: int  # open model: arrivals planned so far (sent + dropped)
    dropped: int  # open model: arrivals not sent because the in-flight limit was reached
    latency_ms: Mapping[str, float]
    service_ms: Mapping[str, float]
    send_lag_ms: Mapping[str, float]
    locust_p99_ms: float | None  # Locust's own (coarse, uncorrected) p99, for comparison
    timeline: pd.DataFrame
    endpoints: pd.DataFrame
    thresholds: tuple[ThresholdResult, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: Mapping[str, int] = field(default_factory=dict)
    histogram: str = ""  # HdrHistogram (µs, base64) of every latency, for exact percentiles
    started_at: float = 0.0  # epoch seconds of timeline second 0 (to line up faults and metrics)
    service_histogram: str = ""
    lag_histogram: str = ""
    endpoint_histograms: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    second_histograms: Mapping[int, tuple[str, str]] = field(default_factory=dict, repr=False)
    # per worker process (local-N, or a remote worker's --name): requests, failures, histogram
    worker_stats: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    joined_workers: tuple[Mapping[str, Any], ...] = ()  # workers on other hosts that joined
    lost_workers: tuple[str, ...] = ()  # workers lost mid-run (their share was not sent)

    @property
    def passed(self) -> bool:
        """True when every threshold held (and the run was not cut short by one)."""
        return all(t.passed for t in self.thresholds) and self.status != "aborted"

    @property
    def rps(self) -> float:
        """Completed requests per second over the run."""
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def fail_rate(self) -> float:
        """Failed requests / requests (0 when nothing was sent)."""
        return self.failures / self.requests if self.requests else 0.0

    @property
    def exit_code(self) -> int:
        """0 when thresholds held, 99 when one failed (as k6)."""
        return 0 if self.passed else 99

    def percentile(self, pct: float) -> float:
        """Exact latency percentile (``pct`` in 0..100, ms) from the merged histogram."""
        from pulsekit.load._aggregate import decode, ms

        return ms(decode(self.histogram), pct) if self.histogram else math.nan

    def window(self, start_s: float, end_s: float) -> WindowStats:
        """Exact statistics over the whole seconds ``[start_s, end_s)`` of the timeline, from the
        per-second histograms merged (``.percentile(95)``, ``.requests``, ``.error_rate``)."""
        from pulsekit.load._aggregate import WindowStats

        stats = WindowStats(float(start_s), float(end_s))
        rows = self.timeline
        for sec in range(math.floor(start_s), math.ceil(end_s)):
            if sec in rows.index:
                lat, svc = self.second_histograms.get(sec, ("", ""))
                requests: Any = rows.at[sec, "requests"]
                failures: Any = rows.at[sec, "failures"]
                stats.add_encoded(int(requests), int(failures), lat, svc)
        return stats

    def check(
        self,
        thresholds: Iterable[str | Threshold] | Mapping[str, Iterable[str]] | str,
        *,
        window: tuple[float, float] | None = None,
    ) -> tuple[ThresholdResult, ...]:
        """Evaluate (other) thresholds against this finished run, e.g. a stricter gate, or over
        just the seconds ``window=(start_s, end_s)`` of it."""
        stats: Any = _ResultStats(self) if window is None else self.window(*window)
        return tuple(evaluate(t, stats) for t in parse_thresholds(thresholds))

    def summary(self) -> str:
        """A few lines: model, volume, latency spread, thresholds, warnings."""
        lat = self.latency_ms
        lines = [
            f"{self.model} model load on {self.url}: {self.status} after {self.duration_s:.1f}s"
            + (f" with {self.workers} workers" if self.workers else ""),
            f"  {self.requests} requests ({self.rps:.1f}/s), {self.failures} failed "
            f"({self.fail_rate:.2%})"
            + (
                f", {self.dropped}/{self.arrivals} arrivals dropped" if self.model == "open" else ""
            ),
        ]
        if lat:
            label = "from intended start" if self.model == "open" else "service time"
            lines.append(
                f"  latency ({label}): p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, "
                f"p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms"
            )
        if self.model == "open" and self.service_ms:
            lines.append(
                f"  raw service time: p99 {self.service_ms['p99']:.1f} ms; send lag p99 "
                f"{self.send_lag_ms.get('p99', 0.0):.1f} ms"
            )
        if self.joined_workers:
            per = ", ".join(
                f"{w['name']} ({w['address']}) {(self.worker_stats.get(w['name']) or {}).get('requests', 0)}"
                for w in self.joined_workers
            )
            lines.append(f"  requests per worker: {per}")
        lines += [f"  {t}" for t in self.thresholds]
        lines += [f"  warning: {w}" for w in self.warnings]
        if self.thresholds:
            lines.append(f"  verdict: {'PASS' if self.passed else 'FAIL'}")
        return "\n".join(lines)

    def plot(
        self,
        ax: Axes | None = None,
        *,
        windows: Sequence[Any] = (),
        faults: Any = (),
    ) -> Axes:
        r"""Latency percentiles (top) and rps/errors (bottom) per second, windows shaded.

        ``windows`` takes ``(start_s, end_s, label)`` in seconds since the start, or
        :class:`~pulsekit.FaultWindow`\ s; ``faults`` takes FaultWindows, FaultRecords or a
        FaultLog (wall-clock windows, placed with ``started_at``).
        Returns the latency Axes; the rps Axes is ``ax.figure.axes[1]``.
        """
        from pulsekit._windows import FaultWindow, as_windows

        spans: list[tuple[float, float, str]] = []
        for item in [*windows, *as_windows(faults)]:
            if isinstance(item, FaultWindow) or hasattr(item, "applied_at"):
                for window in as_windows(item):
                    start, end = window.relative(self.started_at)
                    spans.append((start, end, window.label))
            else:
                start, end, label = item
                spans.append((float(start), float(end), str(label)))
        top: Axes
        bottom: Axes
        if ax is None:
            from pulsekit._plotting import subplots

            _, (top, bottom) = subplots(2, 1, figsize=(10, 6), sharex=True)
        else:
            top = ax
            bottom = ax.twinx()
        tl = self.timeline
        for col, style in (("p50_ms", "-"), ("p95_ms", "-"), ("p99_ms", "-"), ("max_ms", ":")):
            if col in tl and len(tl):
                top.plot(tl.index, tl[col], style, label=col.replace("_ms", ""))
        if self.model == "open" and "service_p99_ms" in tl and len(tl):
            top.plot(tl.index, tl["service_p99_ms"], "--", label="p99 service (uncorrected)")
        top.set_ylabel("latency (ms)")
        top.set_title(f"{self.model} model load on {self.url}")
        if len(tl):
            bottom.plot(tl.index, tl["rps"], label="requests/s")
            bottom.bar(tl.index, tl["failures"], color="tab:red", alpha=0.5, label="failures/s")
        bottom.set_ylabel("per second")
        bottom.set_xlabel("seconds since start")
        for start, end, label in spans:
            for axis in (top, bottom):
                axis.axvspan(start, end, color="tab:orange", alpha=0.15)
            top.text(
                start, 1.0, label, transform=top.get_xaxis_transform(), va="bottom", fontsize=8
            )
        top.legend(loc="upper left", fontsize=8)
        bottom.legend(loc="upper left", fontsize=8)
        return top

    def to_frame(self) -> pd.DataFrame:
        """The per-second timeline (index: seconds since the start); a copy."""
        return self.timeline.copy()

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.endpoints)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``pulsekit load run --json`` writes)."""

        def clean(value: Any) -> Any:
            if hasattr(value, "item"):
                value = value.item()  # numpy scalars
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return value

        return {
            "url": self.url,
            "model": self.model,
            "status": self.status,
            "passed": self.passed,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "workers": self.workers,
            "requests": self.requests,
            "failures": self.failures,
            "rps": round(self.rps, 2),
            "arrivals": self.arrivals,
            "dropped": self.dropped,
            "latency_ms": {k: clean(v) for k, v in self.latency_ms.items()},
            "service_ms": {k: clean(v) for k, v in self.service_ms.items()},
            "send_lag_ms": {k: clean(v) for k, v in self.send_lag_ms.items()},
            "locust_p99_ms": self.locust_p99_ms,
            "thresholds": [
                {"threshold": t.threshold.text, "observed": clean(t.observed), "passed": t.passed}
                for t in self.thresholds
            ],
            "endpoints": [
                {"endpoint": name, **{k: clean(v) for k, v in row.items()}}
                for name, row in self.endpoints.to_dict(orient="index").items()
            ],
            "timeline": [
                {"second": int(str(sec)), **{k: clean(v) for k, v in row.items()}}
                for sec, row in self.timeline.to_dict(orient="index").items()
            ],
            "warnings": list(self.warnings),
            "errors": dict(self.errors),
            "worker_requests": {k: v["requests"] for k, v in self.worker_stats.items()},
            "joined_workers": [dict(w) for w in self.joined_workers],
            "lost_workers": list(self.lost_workers),
        }


class _ResultStats:
    """The thresholds.Stats view of a finished LoadResult."""

    def __init__(self, result: LoadResult) -> None:
        self.result = result

    def trend(self, metric: str, name: str | None, agg: str, pct: float | None) -> float | None:
        from pulsekit.load._aggregate import decode, matches, trend_value

        r = self.result
        if metric == "send_lag":
            return trend_value(decode(r.lag_histogram), agg, pct)
        index = 0 if metric == "http_req_duration" else 1
        if name is None:
            return trend_value(decode(r.histogram if index == 0 else r.service_histogram), agg, pct)
        merged = decode("")
        for key, blobs in r.endpoint_histograms.items():
            if matches(key, name) and blobs[index]:
                merged.decode_and_add(blobs[index].encode())
        return trend_value(merged, agg, pct)

    def count(self, metric: str, name: str | None) -> float:
        from pulsekit.load._aggregate import matches

        r = self.result
        if metric == "dropped_iterations":
            return float(r.dropped)
        column = "failures" if metric == "http_req_failed" else "requests"
        if name is None:
            return float(r.failures if column == "failures" else r.requests)
        rows = [key for key in r.endpoints.index if matches(str(key), name)]
        return float(r.endpoints.loc[rows, column].sum()) if rows else 0.0

    def elapsed(self) -> float:
        return self.result.duration_s
