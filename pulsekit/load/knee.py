"""``find_knee()``: a stepped open-model run that finds the highest rate a target holds within bounds."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, html_view, json_safe, no_time_axis
from pulsekit._types import LoadTarget
from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError
from pulsekit.load import _signals

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.load.result import LoadResult

MAX_STEPS = 40
SATURATED_LAG_MS = 50.0
GENERATOR_REASON = "generator could not keep up (send lag or dropped arrivals)"


@dataclass(frozen=True)
class Saturation:
    """The first signal past its limit: which, on which service, how far, at which rate."""

    signal: str  # "cpu", "host_cpu", "pool_waiting", "in_flight"
    service: str
    value: float
    limit: float
    rate: float

    def __str__(self) -> str:
        unit, meaning = _signals.LIMITS[self.signal][1], _signals.LIMITS[self.signal][2]
        return (
            f"{self.signal} of {self.service}: {self.value:.2f} {unit} (limit {self.limit:g}) "
            f"at {self.rate:g}/s: {meaning}"
        )


@dataclass(frozen=True)
class KneeResult(ResultMixin):
    """The knee (highest passing rate), the first failing rate, headroom over the normal rate,
    the first saturated signal and one row per step. Rates are arrivals per second (open model);
    each step's p95 comes from the merged histogram of that whole step."""

    url: str
    normal_rate: float
    knee_rate: float | None
    first_fail_rate: float | None
    bound_ms: float
    baseline_p95_ms: float
    max_error_rate: float
    status: str  # "found", "no knee below max_rate", "time limit", "failed at baseline",
    # "generator saturated" (the failing step failed only because the load generator lagged)
    steps: pd.DataFrame
    first_saturated: Saturation | None
    elapsed_s: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def headroom(self) -> float | None:
        """knee / normal rate (2.0: the target holds twice its normal traffic)."""
        if self.knee_rate is None or self.normal_rate <= 0:
            return None
        return self.knee_rate / self.normal_rate

    def to_frame(self) -> pd.DataFrame:
        """One row per step: rate, p95 over the step, error rate, passed, saturation signals."""
        return self.steps.copy()

    def summary(self) -> str:
        lines = [
            f"capacity of {self.url}: {self.status} after {len(self.steps)} steps "
            f"({self.elapsed_s:.0f} s)"
        ]
        lines.append(
            f"  pass = p95 <= {self.bound_ms:.1f} ms (2x baseline p95 {self.baseline_p95_ms:.1f} ms"
            f" unless set), errors <= {self.max_error_rate:.0%}, generator not saturated"
        )
        if self.knee_rate is not None:
            band = f"; first fail {self.first_fail_rate:g}/s" if self.first_fail_rate else ""
            lines.append(f"  knee: {self.knee_rate:g}/s{band}")
            lines.append(f"  headroom over the normal {self.normal_rate:g}/s: {self.headroom:.1f}x")
        elif self.status == "generator saturated":
            lines.append("  knee: unknown (the load generator lagged at the first step)")
        else:
            lines.append("  knee: none (even the first step failed)")
        lines.append(f"  first saturated: {self.first_saturated or 'none seen'}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            v = v.item() if hasattr(v, "item") else v
            return None if isinstance(v, float) and not math.isfinite(v) else v

        sat = self.first_saturated
        return json_safe(  # type: ignore[no-any-return]
            {
                "url": self.url,
                "status": self.status,
                "normal_rate": self.normal_rate,
                "knee_rate": self.knee_rate,
                "first_fail_rate": self.first_fail_rate,
                "headroom": self.headroom,
                "bound_ms": self.bound_ms,
                "baseline_p95_ms": self.baseline_p95_ms,
                "first_saturated": None if sat is None else {**sat.__dict__, "text": str(sat)},
                "steps": [
                    {k: clean(v) for k, v in r.items()} for r in self.steps.to_dict("records")
                ],
                "warnings": list(self.warnings),
            }
        )

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """p95 per step against the bound, passing steps in blue and failing ones in red (the x
        axis is the offered rate, not time: ``faults`` must be empty)."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "KneeResult.plot (p95 per offered rate)")
        ax = axes_or_new(ax, (8, 4))
        steps = self.steps.sort_values("rate")
        colors = ["tab:blue" if p else "tab:red" for p in steps["passed"]]
        ax.plot(steps["rate"], steps["p95_ms"], "-", color="grey", zorder=1)
        ax.scatter(steps["rate"], steps["p95_ms"], c=colors, zorder=2)
        ax.axhline(self.bound_ms, linestyle="--", color="tab:red", label="p95 bound")
        if self.knee_rate is not None:
            ax.axvline(self.knee_rate, color="tab:green", label=f"knee {self.knee_rate:g}/s")
        ax.axvline(self.normal_rate, color="grey", linestyle=":", label="normal rate")
        ax.set_xlabel("offered rate (arrivals/s)")
        ax.set_ylabel("p95 over the step (ms)")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
        return ax

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.steps)


def _lagging(rate: float, conclusion: str) -> str:
    return (
        f"the load generator could not keep up at {rate:g}/s (send lag p95 over "
        f"{SATURATED_LAG_MS:.0f} ms or dropped arrivals): that step says nothing about the "
        f"target, so {conclusion}; add workers= or measure on a quieter machine"
    )


def _ladder(start: float, factor: float, max_rate: float) -> list[float]:
    rates: list[float] = []
    rate = start
    while rate <= max_rate + 1e-9 and len(rates) < MAX_STEPS:
        rates.append(round(rate, 1))
        rate *= factor
    return rates


def find_knee(
    target: LoadTarget,
    *,
    normal_rate: float,
    start: float | None = None,
    factor: float = 1.5,
    max_rate: float = 2000.0,
    refine: int = 1,
    step_duration: str | float = "5s",
    p95_bound_ms: float | None = None,
    max_error_rate: float = 0.01,
    mix: str = "vendor",
    user_class: type | str | None = None,
    max_time: str | float = "3m",
    workers: int = 0,
    progress: bool = False,
    run: Callable[..., LoadResult] | None = None,
) -> KneeResult:
    """Step the arrival rate up (×``factor`` from ``start``) until a step fails, then bisect.

    A step passes when its p95 stays within ``p95_bound_ms`` (default: twice the first step's p95),
    its errors stay under ``max_error_rate`` and the load generator kept up. The run stops at the
    first failing step (then ``refine`` bisections between the last pass and it) and at
    ``max_time``. With a Sandbox as target, CPU of each service (/proc), database pool waiting
    and in-flight requests are sampled per step, and the first one past its limit is reported.

    >>> knee = find_knee(shop, normal_rate=50, step_duration="5s")   # doctest: +SKIP
    >>> print(knee.summary())                                         # doctest: +SKIP
    """
    from pulsekit.load.runner import run as load_run

    runner = run or load_run
    if (
        isinstance(normal_rate, bool)
        or not isinstance(normal_rate, int | float)
        or normal_rate <= 0
    ):
        raise ConfigError(f"normal_rate={normal_rate!r} must be a rate > 0, e.g. normal_rate=50")
    first = float(start) if start is not None else max(1.0, normal_rate / 2)
    if first <= 0 or first > max_rate:
        raise ConfigError(f"start={start!r} must be > 0 and <= max_rate={max_rate!r}")
    if not 1.05 <= factor <= 4:
        raise ConfigError(f"factor={factor!r} must be from 1.05 to 4 (each step x factor)")
    if not 0 <= max_error_rate < 1:
        raise ConfigError(f"max_error_rate={max_error_rate!r} must be from 0 to 1, e.g. 0.01")
    if p95_bound_ms is not None and p95_bound_ms <= 0:
        raise ConfigError(f"p95_bound_ms={p95_bound_ms!r} must be > 0 (or None: 2x baseline)")
    step_s = parse_duration(step_duration, field="step_duration")
    budget = parse_duration(max_time, field="max_time")
    if step_s < 1:
        raise ConfigError(f"step_duration={step_duration!r} is too short; use at least '2s'")
    url: str = target if isinstance(target, str) else getattr(target, "url", str(target))
    sampler = _signals.Sampler(_signals.refs_of(target))
    began = time.monotonic()
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    bound = p95_bound_ms

    def step(rate: float) -> str:
        """Run one step: "pass", "fail" (the target broke a bound) or "generator" (only lag)."""
        nonlocal bound
        opened: list[bool] = []

        def mark() -> None:
            sampler.open()
            opened.append(True)

        kwargs: dict[str, Any] = {"user_class": user_class} if user_class else {"mix": mix}
        result = runner(
            url,
            rate=rate,
            duration=step_s,
            workers=workers,
            progress=progress,
            schedule=[(0.0, mark)],
            **kwargs,
        )
        signals = sampler.close() if opened else {}
        p95 = result.latency_ms.get("p95", math.nan)
        if bound is None:
            bound = 2.0 * p95 if math.isfinite(p95) and p95 > 0 else math.inf
        # p95, not p99: a step has a few hundred arrivals, and one scheduler hiccup of a busy
        # machine is its p99
        lag = result.send_lag_ms.get("p95", 0.0)
        reasons: list[str] = []
        if not p95 <= bound:
            reasons.append(f"p95 {p95:.1f} > {bound:.1f} ms")
        if result.fail_rate > max_error_rate:
            reasons.append(f"errors {result.fail_rate:.1%} > {max_error_rate:.0%}")
        if lag > SATURATED_LAG_MS or result.dropped:
            reasons.append(GENERATOR_REASON)
        rows.append(
            {
                "rate": rate,
                "achieved_rps": result.rps,
                "requests": result.requests,
                "p50_ms": result.latency_ms.get("p50", math.nan),
                "p95_ms": p95,
                "p99_ms": result.latency_ms.get("p99", math.nan),
                "error_rate": result.fail_rate,
                "passed": not reasons,
                "reason": "; ".join(reasons),
                "generator_limited": reasons == [GENERATOR_REASON],
                **{k: round(v, 3) for k, v in sorted(signals.items())},
            }
        )
        if not reasons:
            return "pass"
        return "generator" if reasons == [GENERATOR_REASON] else "fail"

    def out_of_time() -> bool:
        return time.monotonic() - began + step_s + 3 > budget

    last_pass: float | None = None
    first_fail: float | None = None
    status = "no knee below max_rate"
    for rate in _ladder(first, factor, max_rate):
        if rows and out_of_time():
            status = "time limit"
            break
        verdict = step(rate)
        if verdict == "pass":
            last_pass = rate
            continue
        first_fail = rate
        if verdict == "generator":
            status = "generator saturated"
            floor = f"at least {last_pass:g}/s" if last_pass is not None else "unknown"
            warnings.append(_lagging(rate, f"the knee is {floor}"))
        else:
            status = "found" if last_pass is not None else "failed at baseline"
        break
    for _ in range(max(0, refine)):
        if status != "found" or last_pass is None or first_fail is None or out_of_time():
            break
        mid = round((last_pass + first_fail) / 2, 1)
        if mid in (last_pass, first_fail):
            break
        verdict = step(mid)
        if verdict == "generator":
            warnings.append(_lagging(mid, "the knee stays between the last pass and first fail"))
            break
        if verdict == "pass":
            last_pass = mid
        else:
            first_fail = mid
    if status == "time limit":
        warnings.append(f"max_time={max_time!r} reached: the knee is at least {last_pass}/s")
    return _result(
        url,
        normal_rate,
        last_pass,
        first_fail,
        bound,
        max_error_rate,
        status,
        rows,
        began,
        warnings,
    )


def _result(
    url: str,
    normal_rate: float,
    knee: float | None,
    first_fail: float | None,
    bound: float | None,
    max_error_rate: float,
    status: str,
    rows: list[dict[str, Any]],
    began: float,
    warnings: list[str],
) -> KneeResult:
    import pandas as pd

    steps = pd.DataFrame(rows)
    first_sat = _first_saturated(rows, services=True) or _first_saturated(rows, services=False)
    if rows and rows[0].get("host_cpu:machine", 0.0) >= _signals.LIMITS["host_cpu"][0]:
        warnings.append(
            "the machine's CPU was already past 90% at the first step: other processes share it, "
            "so the knee is pessimistic; measure on a quiet machine for headline figures"
        )
    baseline = float(rows[0]["p95_ms"]) if rows else math.nan
    return KneeResult(
        url=str(url),
        normal_rate=float(normal_rate),
        knee_rate=knee,
        first_fail_rate=first_fail,
        bound_ms=float(bound if bound is not None else math.nan),
        baseline_p95_ms=baseline,
        max_error_rate=max_error_rate,
        status=status,
        steps=steps,
        first_saturated=first_sat,
        elapsed_s=time.monotonic() - began,
        warnings=tuple(warnings),
    )


def _first_saturated(rows: list[dict[str, Any]], *, services: bool) -> Saturation | None:
    """The first signal past its limit, step by step from the lowest rate; services' own
    signals first (the machine's CPU says little about which service is the bottleneck)."""
    for row in sorted(rows, key=lambda r: r["rate"]):
        signals = {
            k: v
            for k, v in row.items()
            if ":" in k and isinstance(v, float) and k.startswith("host_cpu:") != services
        }
        hits = _signals.saturated(signals)
        if hits:
            key, value, limit = hits[0]
            kind, service = key.split(":", 1)
            return Saturation(kind, service, value, limit, row["rate"])
    return None
