"""Stop conditions from an SLO: a callable a GameDay polls, answering continue or abort."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError, ObserveError
from pulsekit.observe._source import MetricsSource, to_samples
from pulsekit.observe.burn import good_total, sli_samples, window_ratio
from pulsekit.observe.slo import SLO


@dataclass(frozen=True)
class Verdict:
    """What a guard decided: ``action`` is ``"continue"`` or ``"abort"``, with the reason."""

    action: str
    reason: str
    burn_rate: float
    error_ratio: float
    events: float
    at: float

    @property
    def ok(self) -> bool:
        """True when the GameDay may continue."""
        return self.action == "continue"

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class Guard:
    """Call it to get a :class:`Verdict` from the burn rate over the trailing ``window``."""

    slo: SLO
    source: MetricsSource
    max_burn: float
    window: float
    min_events: int
    step: float

    def __call__(self) -> Verdict:
        now = time.time()
        lookback = max(self.window * 3, 30.0)
        try:
            samples = to_samples(
                self.source, sli_samples(self.slo.sli), start=now - lookback, step=self.step
            )
        except ObserveError as exc:
            return Verdict("abort", f"cannot observe the SLI: {exc}", math.nan, math.nan, 0, now)
        if samples.empty:
            return Verdict("continue", "no samples yet", math.nan, math.nan, 0, now)
        _, good, total = good_total(self.slo.sli, samples, step=self.step)
        steps = max(1, round(self.window / self.step))
        bad = total - good
        ratio = float(window_ratio(bad, total, steps)[-1])
        events = float(total[-1] - total[max(0, len(total) - 1 - steps)])
        if events < self.min_events or math.isnan(ratio):
            return Verdict(
                "continue",
                f"only {events:.0f} events in the last {self.window:g}s (< {self.min_events}); "
                "not enough to judge",
                math.nan,
                ratio,
                events,
                now,
            )
        burn = self.slo.burn_rate(ratio)
        if burn > self.max_burn:
            return Verdict(
                "abort",
                f"{self.slo.name}: burn rate {burn:.1f} > {self.max_burn:g} over the last "
                f"{self.window:g}s ({ratio:.2%} of {events:.0f} requests bad)",
                burn,
                ratio,
                events,
                now,
            )
        return Verdict(
            "continue",
            f"{self.slo.name}: burn rate {burn:.1f} <= {self.max_burn:g} over the last {self.window:g}s",
            burn,
            ratio,
            events,
            now,
        )


def guard(
    slo: SLO,
    max_burn: float = 14.4,
    *,
    source: MetricsSource,
    window: str | float | None = None,
    min_events: int = 20,
    step: str | float = "1s",
) -> Guard:
    """A stop condition: abort when ``slo`` burns faster than ``max_burn`` over ``window``.

    ``window`` defaults to the long window of the fastest page rule (5 s floor).

    >>> stop = guard(SLO(0.999).compressed("10m"), max_burn=14.4, source=scraper)  # doctest: +SKIP
    >>> verdict = stop()  # Verdict(action='continue', reason='...', ...)  # doctest: +SKIP
    """
    if not max_burn > 0:
        raise ConfigError(f"max_burn={max_burn!r} must be positive, e.g. 14.4")
    if window is None:
        w = max(5.0, slo.alert_rules()[0].long_window)
    else:
        w = parse_duration(window, field="window")
    if w <= 0:
        raise ConfigError(f"window={window!r} must be positive")
    return Guard(
        slo, source, float(max_burn), w, int(min_events), parse_duration(step, field="step")
    )
