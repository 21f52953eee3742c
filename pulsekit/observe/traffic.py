"""Light synthetic traffic from a background thread: enough to make metrics move in a dojo."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pulsekit._util import check_host_allowed, parse_duration
from pulsekit.errors import ConfigError

DEFAULT_PATHS = (
    "/api/products/{id}",
    "/api/search?q=lamp&page=1",
    "/api/vendors/{vendor}/dashboard",
)
MAX_RPS = 50.0
UNTIL_STOPPED_MAX_S = 4 * 3600.0  # duration=None: until stop(), bounded so a forgotten thread ends


@dataclass(frozen=True)
class TrafficStats:
    """Requests sent so far by a :class:`Trickle`, by outcome."""

    sent: int
    ok: int
    errors: int


class Trickle:
    """GET requests against ``url`` at about ``rps`` on a daemon thread until :meth:`stop`.

    ``duration=None`` (the default) sends until ``stop()`` (at most 4 hours, so a forgotten thread
    still ends): a learner reading at human speed never finds an idle shop. Give a duration such
    as ``"5m"`` to bound it more tightly.

    ``{id}`` in a path becomes a product id (1..5000), ``{vendor}`` a vendor id (1..300).

    Loopback only unless the host is allow-listed. Not a load test: use ``pulsekit.load`` for that.

    >>> with Trickle(shop.url, rps=20, duration="60s") as trickle:  # doctest: +SKIP
    ...     ...
    """

    def __init__(
        self,
        url: str,
        *,
        rps: float = 20.0,
        duration: str | float | None = None,
        paths: Sequence[str] = DEFAULT_PATHS,
        seed: int = 42,
        timeout: float = 5.0,
    ) -> None:
        check_host_allowed(url, what="traffic target")
        if not 0 < rps <= MAX_RPS:
            raise ConfigError(
                f"rps={rps!r} must be in (0, {MAX_RPS:g}]; use pulsekit.load for more"
            )
        if not paths:
            raise ConfigError("paths is empty; pass at least one path such as '/api/products/{id}'")
        self.url = url.rstrip("/")
        self.rps = float(rps)
        self.duration = (
            UNTIL_STOPPED_MAX_S if duration is None else parse_duration(duration, field="duration")
        )
        self.paths = tuple(paths)
        self.timeout = timeout
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sent = self._ok = self._errors = 0

    def start(self) -> Trickle:
        """Start sending (idempotent)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="pulsekit-trickle", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sending and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 2)
            self._thread = None

    def __enter__(self) -> Trickle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True while the sending thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def stats(self) -> TrafficStats:
        """Counts so far."""
        with self._lock:
            return TrafficStats(self._sent, self._ok, self._errors)

    def _one(self) -> None:
        import urllib.error
        import urllib.request

        path = self._random.choice(self.paths)
        path = path.replace("{id}", str(self._random.randint(1, 5000)))
        path = path.replace("{vendor}", str(self._random.randint(1, 300)))
        ok = False
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=self.timeout) as response:
                response.read()
                ok = response.status < 500
        except urllib.error.HTTPError as exc:
            ok = exc.code < 500
        except OSError:
            ok = False
        with self._lock:
            self._sent += 1
            self._ok += ok
            self._errors += not ok

    def _loop(self) -> None:
        end = time.monotonic() + self.duration
        next_at = time.monotonic()
        while not self._stop.is_set() and time.monotonic() < end:
            self._one()
            next_at = max(next_at + 1.0 / self.rps, time.monotonic() - 1.0)
            self._stop.wait(max(0.0, next_at - time.monotonic()))


def trickle(url: str, *, rps: float = 20.0, duration: str | float | None = None) -> Trickle:
    """Start a :class:`Trickle` of light traffic against ``url``; stop it or use ``with``."""
    return Trickle(url, rps=rps, duration=duration).start()
