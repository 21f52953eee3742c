"""Poll Prometheus ``/metrics`` endpoints in a background thread into a tidy DataFrame."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError, ExpositionError, ObserveError
from pulsekit.observe._exposition import parse_exposition
from pulsekit.observe._http import get_text

if TYPE_CHECKING:
    import pandas as pd

    from pulsekit.observe.golden import GoldenSignals

SAMPLE_COLUMNS = ["time", "target", "metric", "labels", "value"]
Row = tuple[float, str, str, str, float]


def normalize_targets(targets: Any) -> dict[str, str]:
    """``{name: url}`` from a dict, one URL, a list of URLs or anything with ``.metrics_targets``."""
    if hasattr(targets, "metrics_targets"):
        targets = targets.metrics_targets
    if isinstance(targets, str):
        targets = [targets]
    if isinstance(targets, Mapping):
        pairs = [(str(k), str(v)) for k, v in targets.items()]
    elif isinstance(targets, Iterable):
        pairs = [(urlsplit(str(u)).netloc or str(u), str(u)) for u in targets]
    else:
        raise ConfigError(f"targets={targets!r}: pass a dict name -> URL, a URL or a list of URLs")
    if not pairs:
        raise ConfigError("targets is empty; pass at least one http://HOST:PORT/metrics URL")
    out: dict[str, str] = {}
    for name, url in pairs:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"target {name!r}: {url!r} is not an http(s) URL; use http://127.0.0.1:PORT/metrics"
            )
        if parts.path in ("", "/"):
            url = f"{parts.scheme}://{parts.netloc}/metrics"
        out[name] = url
    return out


class Scraper:
    """Scrapes every target each ``every`` seconds on a daemon thread; safe inside Jupyter.

    >>> with Scraper({"api": "http://127.0.0.1:9100/metrics"}, every="1s") as s:  # doctest: +SKIP
    ...     s.wait_for(rounds=5)
    ...     s.golden().summary()
    """

    def __init__(
        self,
        targets: Any,
        *,
        every: str | float = "1s",
        timeout: str | float | None = None,
        retention: str | float = "30m",
    ) -> None:
        self.targets = normalize_targets(targets)
        self.interval = parse_duration(every, field="every")
        if self.interval <= 0:
            raise ConfigError(f"every={every!r} must be positive, e.g. '1s'")
        self.timeout = parse_duration(timeout, field="timeout") if timeout else self.interval
        self.retention = parse_duration(retention, field="retention")
        self._chunks: deque[tuple[float, list[Row]]] = deque()
        self._gaps: deque[tuple[float, str, str]] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self.rounds = 0

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> Scraper:
        """Start the background thread (idempotent); returns self."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=min(8, len(self.targets)))
        self._thread = threading.Thread(target=self._loop, name="pulsekit-scraper", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop scraping and wait for the thread; the collected samples stay readable."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def running(self) -> bool:
        """True while the background thread is scraping."""
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Scraper:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Scraper {len(self.targets)} targets every {self.interval:g}s, {state}, {self.rounds} rounds>"

    # scraping --------------------------------------------------------------------------------
    def _scrape_target(self, name: str, url: str) -> tuple[float, str, list[Row] | None, str]:
        started = time.time()
        try:
            rows = parse_exposition(get_text(url, timeout=self.timeout))
        except ExpositionError as exc:
            return started, name, None, str(exc)
        except (OSError, ValueError) as exc:  # refused, timeout, HTTP error, bad URL
            return started, name, None, f"{type(exc).__name__}: {exc}"
        return started, name, [(started, name, m, lab, v) for m, lab, v in rows], ""

    def scrape_once(self) -> int:
        """Scrape every target once now; returns how many answered."""
        pool = self._pool or ThreadPoolExecutor(max_workers=min(8, len(self.targets)))
        try:
            futures = [pool.submit(self._scrape_target, n, u) for n, u in self.targets.items()]
            results = [f.result() for f in futures]
        finally:
            if pool is not self._pool:
                pool.shutdown(wait=False)
        chunk: list[Row] = []
        ok = 0
        with self._lock:
            for started, name, rows, error in results:
                chunk.append((started, name, "up", "", 0.0 if rows is None else 1.0))
                if rows is None:
                    self._gaps.append((started, name, error))
                else:
                    ok += 1
                    chunk.extend(rows)
            now = time.time()
            self._chunks.append((now, chunk))
            while self._chunks and self._chunks[0][0] < now - self.retention:
                self._chunks.popleft()
            while self._gaps and self._gaps[0][0] < now - self.retention:
                self._gaps.popleft()
            self.rounds += 1
        return ok

    def _loop(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.scrape_once()
            next_at += self.interval
            now = time.monotonic()
            if next_at < now:  # fell behind (slow target, loaded machine): skip, never burst
                next_at = now + self.interval
            self._stop.wait(next_at - now)

    def wait_for(self, *, rounds: int = 2, timeout: float = 30.0) -> Scraper:
        """Block until ``rounds`` more scrape rounds completed (poll with a deadline)."""
        goal = self.rounds + rounds
        deadline = time.monotonic() + timeout
        if not self.running:
            while self.rounds < goal:
                self.scrape_once()
            return self
        while self.rounds < goal:
            if time.monotonic() > deadline:
                raise ObserveError(
                    f"only {self.rounds} scrape rounds after {timeout:g}s (wanted {goal}); "
                    "is the machine overloaded or a target hanging? pass a larger timeout"
                )
            time.sleep(min(0.05, self.interval / 4))
        return self

    # results ---------------------------------------------------------------------------------
    @property
    def df(self) -> pd.DataFrame:
        """Tidy samples: ``time`` (UTC), ``target``, ``metric``, ``labels``, ``value``."""
        with self._lock:
            rows = [row for _, chunk in self._chunks for row in chunk]
        return samples_frame(rows)

    @property
    def gaps(self) -> pd.DataFrame:
        """Failed scrapes: ``time``, ``target``, ``error`` (those samples are missing, not filled)."""
        import pandas as pd

        with self._lock:
            gaps = list(self._gaps)
        frame = pd.DataFrame(gaps, columns=["time", "target", "error"])
        frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
        return frame

    def golden(self, **kwargs: Any) -> GoldenSignals:
        """Golden signals per target from what was scraped so far (see :func:`golden_signals`)."""
        from pulsekit.observe.golden import golden_signals

        return golden_signals(self, **kwargs)


def samples_frame(rows: list[Row]) -> pd.DataFrame:
    """A tidy samples DataFrame from ``(unix_time, target, metric, labels, value)`` rows."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=SAMPLE_COLUMNS)
    frame["time"] = pd.to_datetime(frame["time"].astype("float64"), unit="s", utc=True)
    frame["value"] = frame["value"].astype("float64")
    return frame


def scrape(
    targets: Any, every: str | float = "1s", *, timeout: str | float | None = None
) -> Scraper:
    """Start scraping ``targets`` every ``every`` in the background; use as a context manager.

    >>> with scrape(shop.metrics_targets, every="1s") as scraper:  # doctest: +SKIP
    ...     scraper.wait_for(rounds=5)
    ...     print(scraper.golden().summary())
    """
    return Scraper(targets, every=every, timeout=timeout).start()
