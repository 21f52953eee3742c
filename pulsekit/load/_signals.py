"""Saturation signals sampled while a load step runs: CPU from /proc, pool waiting and in-flight gauges."""

from __future__ import annotations

import os
import re
import threading
import time
import urllib.request
from dataclasses import dataclass

_GAUGES = {
    "shop_db_pool_waiting": "pool_waiting",
    "shop_http_requests_in_flight": "in_flight",
}
_LINE = re.compile(r"^(shop_db_pool_waiting|shop_http_requests_in_flight)(\{[^}]*\})? (\S+)", re.M)
# a gauge about another node (the PostgreSQL tier keeps each node's pool in the api replicas)
_NODE = re.compile(r'node="([^"]+)"')
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# signal kind -> (limit, unit, what the limit means)
LIMITS = {
    "cpu": (0.8, "of a core", "a Python service runs on one core"),
    "host_cpu": (0.9, "of all cores", "the machine (generator included) is out of CPU"),
    "pool_waiting": (1.0, "queries", "queries queue for a database connection"),
    "in_flight": (10.0, "requests", "requests pile up inside the service"),
}


@dataclass(frozen=True)
class ServiceRef:
    """What the sampler needs of a service: its pid and (optionally) its /metrics URL."""

    name: str
    pid: int
    metrics_url: str | None = None


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` in seconds, from /proc/PID/stat (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def host_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


class Sampler:
    """Samples gauges every ``interval`` s in a thread; ``window()`` opens, ``close()`` reduces it."""

    def __init__(self, services: list[ServiceRef], *, interval: float = 0.5) -> None:
        self.services = services
        self.interval = interval
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._cpu0: dict[str, float | None] = {}
        self._host0 = (0.0, 0.0)
        self._t0 = 0.0
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        """Start a window now: CPU counters read, gauges sampled until :meth:`close`."""
        self._sums, self._counts = {}, {}
        self._cpu0 = {s.name: cpu_seconds(s.pid) for s in self.services}
        self._host0 = host_cpu()
        self._t0 = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="pulsekit-signals", daemon=True)
        self._thread.start()

    def close(self) -> dict[str, float]:
        """End the window: ``{"cpu:api-1": 0.42, "pool_waiting:db-primary": 0.0, ...}``."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        elapsed = max(1e-6, time.monotonic() - self._t0)
        out: dict[str, float] = {}
        for svc in self.services:
            before, after = self._cpu0.get(svc.name), cpu_seconds(svc.pid)
            if before is not None and after is not None:
                out[f"cpu:{svc.name}"] = (after - before) / elapsed
        busy0, total0 = self._host0
        busy1, total1 = host_cpu()
        if total1 > total0:
            out["host_cpu:machine"] = (busy1 - busy0) / (total1 - total0)
        with self._lock:
            for key, total in self._sums.items():
                out[key] = total / max(1, self._counts[key])
        return out

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            sample: dict[str, float] = {}
            for svc in self.services:
                if svc.metrics_url:
                    self._scrape(svc, sample)
            with self._lock:
                for key, value in sample.items():
                    self._sums[key] = self._sums.get(key, 0.0) + value
                    self._counts[key] = self._counts.get(key, 0) + 1

    @staticmethod
    def _scrape(svc: ServiceRef, sample: dict[str, float]) -> None:
        """Add ``svc``'s gauges to this round's ``sample``; a gauge labelled ``node="X"`` counts
        for X, summed over every service that reports it (each api replica's pool to a node)."""
        assert svc.metrics_url is not None
        try:
            with urllib.request.urlopen(svc.metrics_url, timeout=1.0) as resp:
                text = resp.read().decode(errors="replace")
        except OSError:
            return  # a dead or frozen service has no gauges; its CPU still shows
        for metric, labels, value in _LINE.findall(text):
            node = _NODE.search(labels)
            key = f"{_GAUGES[metric]}:{node.group(1) if node else svc.name}"
            sample[key] = sample.get(key, 0.0) + float(value)


def refs_of(target: object) -> list[ServiceRef]:
    """ServiceRefs of a Sandbox (every service but the links process); [] for a bare URL."""
    services = getattr(target, "services", None)
    metrics = getattr(target, "metrics_targets", None)
    if not services or not isinstance(services, dict):
        return []
    wanted = {"gateway", "api", "db-primary", "db-replica"}
    return [
        ServiceRef(name, int(svc.pid), (metrics or {}).get(name))
        for name, svc in services.items()
        if getattr(svc, "role", "") in wanted
    ]


def saturated(signals: dict[str, float]) -> list[tuple[str, float, float]]:
    """(signal, value, limit) of each signal at or past its limit, the furthest past first."""
    hits = []
    for key, value in signals.items():
        limit = LIMITS[key.split(":", 1)[0]][0]
        if value >= limit:
            hits.append((key, value, limit))
    return sorted(hits, key=lambda h: -h[1] / h[2])
