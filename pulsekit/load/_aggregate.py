"""Merge the interval records of every Locust process into exact per-second and total histograms."""

from __future__ import annotations

import functools
import math
import time
from typing import Any

PERCENTILES = (50.0, 90.0, 95.0, 99.0)
KEEP_OPEN_S = 5  # a second's histograms are kept this long for late worker records, then reduced


def _hist() -> Any:
    from hdrh.histogram import HdrHistogram

    from pulsekit.load._child import DIGITS, HIGHEST, LOWEST

    return HdrHistogram(LOWEST, HIGHEST, DIGITS)


@functools.lru_cache(maxsize=1)
def _index_values() -> tuple[Any, Any]:
    """Highest and middle equivalent value (µs) of every counts index of our histogram shape."""
    import numpy as np

    h = _hist()
    low = np.array([h.get_value_from_index(i) for i in range(h.counts_len)], dtype=np.float64)
    high = np.array([h.get_highest_equivalent_value(int(v)) for v in low], dtype=np.float64)
    return high, (low + high) / 2.0


def _percentiles(hist: Any, pcts: tuple[float, ...]) -> list[float]:
    """HdrHistogram's get_value_at_percentile for several percentiles, vectorised (µs)."""
    import numpy as np

    high, _ = _index_values()
    cum = np.cumsum(np.ctypeslib.as_array(hist.counts)[: hist.counts_len])
    total = int(cum[-1])
    targets = [max(1, int(p / 100.0 * total + 0.5)) for p in pcts]
    return [float(high[min(int(np.searchsorted(cum, t)), len(high) - 1)]) for t in targets]


def _mean(hist: Any) -> float:
    import numpy as np

    _, mid = _index_values()
    counts = np.ctypeslib.as_array(hist.counts)[: hist.counts_len]
    return float((counts * mid).sum() / max(1, hist.get_total_count()))


def ms(hist: Any, pct: float) -> float:
    """Percentile ``pct`` (0..100) of a µs histogram in ms (NaN when empty)."""
    if hist is None or hist.get_total_count() == 0:
        return float("nan")
    return _percentiles(hist, (pct,))[0] / 1000.0


def spread(hist: Any) -> dict[str, float]:
    """p50/p90/p95/p99/p99.9/max/mean of a µs histogram, in ms."""
    if hist is None or hist.get_total_count() == 0:
        return {}
    pcts = (*PERCENTILES, 99.9)
    out = {
        f"p{p:g}".replace(".", "_"): v / 1000.0
        for p, v in zip(pcts, _percentiles(hist, pcts), strict=True)
    }
    out["max"] = hist.get_max_value() / 1000.0
    out["mean"] = _mean(hist) / 1000.0
    return out


def trend_value(hist: Any, agg: str, pct: float | None) -> float | None:
    """A k6 trend aggregation (``avg min max med p``) of a µs histogram, in ms."""
    if hist is None or hist.get_total_count() == 0:
        return None
    if agg == "p":
        return ms(hist, float(pct or 0.0))
    if agg == "med":
        return ms(hist, 50.0)
    if agg == "avg":
        return _mean(hist) / 1000.0
    if agg == "min":
        return float(hist.get_min_value()) / 1000.0
    return float(hist.get_max_value()) / 1000.0


def matches(key: str, name: str) -> bool:
    """Whether endpoint ``key`` ("GET /api/x") is the one a threshold tag names."""
    return key == name or key.split(" ", 1)[-1] == name


def encode(hist: Any) -> str:
    """Base64 text of a histogram ("" when empty)."""
    if hist is None or hist.get_total_count() == 0:
        return ""
    blob = hist.encode()
    return blob.decode() if isinstance(blob, bytes) else str(blob)


def decode(text: str) -> Any:
    """A histogram from :func:`encode` text (an empty one for "")."""
    hist = _hist()
    if text:
        hist.decode_and_add(text.encode())
    return hist


class Aggregate:
    """Running totals of a load run, fed by interval records; the parent's only Locust-free view."""

    def __init__(self, *, keep_seconds: bool = True) -> None:
        self.keep_seconds = keep_seconds
        self.kept: dict[int, tuple[str, str]] = {}  # second -> (latency, service) histograms
        self.t0: float | None = None
        self.t_end: float | None = None
        self.open: dict[int, dict[str, Any]] = {}
        self.rows: dict[int, dict[str, Any]] = {}
        self.endpoints: dict[str, list[Any]] = {}
        self.total = _hist()
        self.total_svc = _hist()
        self.total_lag = _hist()
        self.requests = self.failures = self.arrivals = self.dropped = 0
        self.errors: dict[str, int] = {}
        self.per_worker: dict[str, list[Any]] = {}  # worker -> [requests, failures, latency]

    def start(self, t0: float) -> None:
        self.t0 = t0

    def stop(self) -> None:
        if self.t0 is not None and self.t_end is None:
            self.t_end = time.time()

    def elapsed(self) -> float:
        if self.t0 is None:
            return 0.0
        return max(0.0, (self.t_end or time.time()) - self.t0)

    def add(self, rec: dict[str, Any]) -> None:
        """Add one interval record of one process (records are additive)."""
        base = int(self.t0 if self.t0 is not None else rec["sec"])
        sec = int(rec["sec"]) - base
        slot = self.open.get(sec)
        if slot is None and sec in self.rows:
            slot = None  # too late for that second's percentiles: totals only
        elif slot is None:
            slot = self.open[sec] = {
                "requests": 0,
                "failures": 0,
                "users": 0,
                "inflight": 0,
                "arrivals": 0,
                "dropped": 0,
                "lat": _hist(),
                "svc": _hist(),
                "lag": _hist(),
            }
        worker = None
        if rec.get("worker"):
            worker = self.per_worker.get(rec["worker"])
            if worker is None:
                worker = self.per_worker[rec["worker"]] = [0, 0, _hist()]
        for key, (n, f, lat, svc) in rec["ep"].items():
            if worker is not None:
                worker[0] += n
                worker[1] += f
                worker[2].decode_and_add(lat)
            ep = self.endpoints.get(key)
            if ep is None:
                ep = self.endpoints[key] = [0, 0, _hist(), _hist()]
            ep[0] += n
            ep[1] += f
            ep[2].decode_and_add(lat)
            ep[3].decode_and_add(svc)
            self.total.decode_and_add(lat)
            self.total_svc.decode_and_add(svc)
            self.requests += n
            self.failures += f
            if slot is not None:
                slot["requests"] += n
                slot["failures"] += f
                slot["lat"].decode_and_add(lat)
                slot["svc"].decode_and_add(svc)
        if rec.get("lag"):
            self.total_lag.decode_and_add(rec["lag"])
            if slot is not None:
                slot["lag"].decode_and_add(rec["lag"])
        self.arrivals += int(rec.get("arrivals", 0))
        self.dropped += int(rec.get("dropped", 0))
        for msg, count in (rec.get("errors") or {}).items():
            self.errors[msg] = self.errors.get(msg, 0) + int(count)
        if slot is not None:
            for key in ("users", "inflight", "arrivals", "dropped"):
                slot[key] += int(rec.get(key, 0))
        newest = max(self.open, default=sec)
        for old in [s for s in self.open if s < newest - KEEP_OPEN_S]:
            self._reduce(old)

    def _reduce(self, sec: int) -> None:
        slot = self.open.pop(sec)
        if self.keep_seconds:
            self.kept[sec] = (encode(slot["lat"]), encode(slot["svc"]))
        lat = spread(slot["lat"])
        self.rows[sec] = {
            "requests": slot["requests"],
            "failures": slot["failures"],
            "rps": float(slot["requests"]),
            **{f"p{p:g}_ms": lat.get(f"p{p:g}", float("nan")) for p in PERCENTILES},
            "max_ms": lat.get("max", float("nan")),
            "service_p99_ms": ms(slot["svc"], 99.0),
            "send_lag_p99_ms": ms(slot["lag"], 99.0),
            "users": slot["users"],
            "in_flight": slot["inflight"],
            "arrivals": slot["arrivals"],
            "dropped": slot["dropped"],
        }

    def latest(self) -> tuple[float, float, int]:
        """(rps, p95 ms) of the newest complete second and the failures so far, for progress."""
        done = sorted(self.open)[:-1] or sorted(self.open)
        if not done:
            return 0.0, float("nan"), self.failures
        slot = self.open[done[-1]]
        return float(slot["requests"]), ms(slot["lat"], 95.0), self.failures

    def window(self, start_s: float, end_s: float) -> WindowStats:
        """Exact statistics of the whole seconds in ``[start_s, end_s)`` (merged histograms)."""
        stats = WindowStats(float(start_s), float(end_s))
        for sec in range(math.floor(start_s), math.ceil(end_s)):
            slot = self.open.get(sec)
            if slot is not None:
                stats.add(slot["requests"], slot["failures"], slot["lat"], slot["svc"])
            elif sec in self.rows:
                row = self.rows[sec]
                lat, svc = self.kept.get(sec, ("", ""))
                stats.add_encoded(row["requests"], row["failures"], lat, svc)
        return stats

    def finish(self) -> None:
        self.stop()
        for sec in sorted(self.open):
            self._reduce(sec)

    # --- the thresholds.Stats protocol -------------------------------------------------------
    def _trend_hist(self, metric: str, name: str | None) -> Any:
        if metric == "send_lag":
            return self.total_lag
        index = 2 if metric == "http_req_duration" else 3
        if name is None:
            return self.total if index == 2 else self.total_svc
        merged = _hist()
        for key, ep in self.endpoints.items():
            if matches(key, name):
                merged.add(ep[index])
        return merged

    def trend(self, metric: str, name: str | None, agg: str, pct: float | None) -> float | None:
        return trend_value(self._trend_hist(metric, name), agg, pct)

    def count(self, metric: str, name: str | None) -> float:
        if metric == "dropped_iterations":
            return float(self.dropped)
        pick = 1 if metric == "http_req_failed" else 0
        if name is None:
            return float(self.failures if pick else self.requests)
        return float(sum(ep[pick] for key, ep in self.endpoints.items() if matches(key, name)))


class WindowStats:
    """Requests, failures and merged latency histograms of some whole seconds of a run.

    It is a :class:`~pulsekit.load.thresholds.Stats`, so k6 thresholds evaluate over just this
    window. Histograms are kept per second for the whole run, not per endpoint: a ``{name:...}``
    tag is not honoured here (``gameday`` specs refuse it).
    """

    def __init__(self, start_s: float, end_s: float) -> None:
        self.start_s, self.end_s = start_s, end_s
        self.requests = self.failures = self.seconds = 0
        self.latency = _hist()
        self.service = _hist()

    def add(self, requests: int, failures: int, lat: Any, svc: Any) -> None:
        self.requests += int(requests)
        self.failures += int(failures)
        self.seconds += 1
        self.latency.add(lat)
        self.service.add(svc)

    def add_encoded(self, requests: int, failures: int, lat: str, svc: str) -> None:
        self.requests += int(requests)
        self.failures += int(failures)
        self.seconds += 1
        if lat:
            self.latency.decode_and_add(lat.encode())
        if svc:
            self.service.decode_and_add(svc.encode())

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else float("nan")

    def percentile(self, pct: float) -> float:
        """Latency percentile in ms over the window (NaN without requests)."""
        return ms(self.latency, pct)

    # --- the thresholds.Stats protocol -------------------------------------------------------
    def trend(self, metric: str, name: str | None, agg: str, pct: float | None) -> float | None:
        if metric == "send_lag":
            return None
        hist = self.latency if metric == "http_req_duration" else self.service
        return trend_value(hist, agg, pct)

    def count(self, metric: str, name: str | None) -> float:
        if metric == "http_req_failed":
            return float(self.failures)
        return float(self.requests) if metric == "http_reqs" else 0.0

    def elapsed(self) -> float:
        return max(float(self.seconds), 1e-9)
