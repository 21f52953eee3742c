"""Thresholds in k6 syntax (``http_req_duration: p(95)<200``): parsing and evaluation."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError

# metric -> (kind, aggregations it accepts)
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "http_req_duration": ("trend", ("avg", "min", "max", "med", "p")),
    "http_req_service_time": ("trend", ("avg", "min", "max", "med", "p")),
    "send_lag": ("trend", ("avg", "min", "max", "med", "p")),
    "http_req_failed": ("rate", ("rate",)),
    "http_reqs": ("counter", ("count", "rate")),
    "dropped_iterations": ("counter", ("count", "rate")),
    "rps": ("gauge", ("value",)),
}
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "===": operator.eq,
    "!=": operator.ne,
}
_SYNTAX = re.compile(
    r"^\s*(?P<metric>[a-z_]+)\s*(?:\{\s*name\s*:\s*(?P<tag>.+?)\s*\})?\s*:\s*"
    r"(?P<agg>avg|min|max|med|count|rate|value|p\(\s*(?P<p>[0-9.]+)\s*\))\s*"
    r"(?P<op>===|==|!=|>=|<=|<|>)\s*(?P<value>[0-9.]+(?:e-?\d+)?)\s*(?P<unit>ms|s)?"
    r"(?P<opts>(?:\s+(?:abortOnFail|delayAbortEval=\S+))*)\s*$"
)
HINT = (
    "use k6 syntax like 'http_req_duration: p(95)<200', 'http_req_failed: rate<0.01' or "
    "'rps: value>=100', optionally followed by ' abortOnFail delayAbortEval=10s'"
)


class Stats(Protocol):
    """What thresholds are evaluated against (the run's running totals)."""

    def trend(self, metric: str, name: str | None, agg: str, pct: float | None) -> float | None: ...

    def count(self, metric: str, name: str | None) -> float: ...

    def elapsed(self) -> float: ...


@dataclass(frozen=True)
class Threshold:
    """One k6-style threshold: ``metric{name:tag}: agg op value``, latency values in ms."""

    text: str
    metric: str
    aggregation: str
    op: str
    value: float
    percentile: float | None = None
    name: str | None = None
    abort_on_fail: bool = False
    delay_abort_eval: float = 0.0


@dataclass(frozen=True)
class ThresholdResult:
    """A threshold with the value observed and whether it held."""

    threshold: Threshold
    observed: float | None
    passed: bool

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        seen = "n/a" if self.observed is None else f"{self.observed:.4g}"
        return f"{mark} {self.threshold.text} (observed {seen})"


def parse_threshold(text: str | Threshold) -> Threshold:
    """Parse ``"http_req_duration: p(95)<200"`` (optionally ``abortOnFail delayAbortEval=5s``)."""
    if isinstance(text, Threshold):
        return text
    if not isinstance(text, str):
        raise ConfigError(f"threshold {text!r} is not a string; {HINT}")
    match = _SYNTAX.match(text)
    if match is None:
        raise ConfigError(f"threshold {text!r} is not understood; {HINT}")
    metric = match["metric"]
    if metric not in METRICS:
        raise ConfigError(
            f"threshold {text!r}: unknown metric {metric!r}; use one of {', '.join(METRICS)}"
        )
    kind, aggs = METRICS[metric]
    agg = "p" if match["p"] is not None else match["agg"]
    if agg not in aggs:
        allowed = ", ".join("p(N)" if a == "p" else a for a in aggs)
        raise ConfigError(f"threshold {text!r}: {metric} ({kind}) accepts {allowed}, not {agg}")
    pct = float(match["p"]) if match["p"] is not None else None
    if pct is not None and not 0 <= pct <= 100:
        raise ConfigError(f"threshold {text!r}: percentile {pct} is outside 0..100")
    value = float(match["value"])
    if match["unit"] == "s":
        value *= 1000.0
    tagged = ("http_req_duration", "http_req_service_time", "http_req_failed", "http_reqs")
    if match["tag"] and metric not in tagged:
        raise ConfigError(f"threshold {text!r}: {metric} has no per-endpoint values")
    abort, delay = False, 0.0
    for opt in (match["opts"] or "").split():
        if opt == "abortOnFail":
            abort = True
        else:
            delay = parse_duration(opt.split("=", 1)[1], field="delayAbortEval")
    return Threshold(
        text=text.strip(),
        metric=metric,
        aggregation=agg,
        op=match["op"],
        value=value,
        percentile=pct,
        name=match["tag"],
        abort_on_fail=abort,
        delay_abort_eval=delay,
    )


def parse_thresholds(
    items: Iterable[str | Threshold] | Mapping[str, Iterable[str]] | str | None,
) -> tuple[Threshold, ...]:
    """Thresholds from a list of strings or a k6-style ``{metric: [expr, ...]}`` mapping."""
    if items is None:
        return ()
    if isinstance(items, str | Threshold):
        items = [items]
    if isinstance(items, Mapping):
        flat: list[str | Threshold] = []
        for metric, exprs in items.items():
            exprs = [exprs] if isinstance(exprs, str | dict) else exprs
            flat += [f"{metric}: {_long_form(expr)}" for expr in exprs]
        items = flat
    return tuple(parse_threshold(item) for item in items)


def _long_form(expr: object) -> str:
    """k6's ``{threshold, abortOnFail, delayAbortEval}`` object as our one-line syntax."""
    if not isinstance(expr, dict):
        return str(expr)
    if "threshold" not in expr:
        raise ConfigError(f"threshold {expr!r} has no 'threshold' key; {HINT}")
    text = str(expr["threshold"])
    if expr.get("abortOnFail"):
        text += " abortOnFail"
    if expr.get("delayAbortEval"):
        text += f" delayAbortEval={expr['delayAbortEval']}"
    return text


def observe(threshold: Threshold, stats: Stats) -> float | None:
    """The value a threshold compares against (ms for latencies), or None without data."""
    kind, _ = METRICS[threshold.metric]
    elapsed = max(stats.elapsed(), 1e-9)
    if kind == "trend":
        return stats.trend(
            threshold.metric, threshold.name, threshold.aggregation, threshold.percentile
        )
    if threshold.metric == "http_req_failed":
        total = stats.count("http_reqs", threshold.name)
        return stats.count("http_req_failed", threshold.name) / total if total else None
    if threshold.metric == "rps":
        return stats.count("http_reqs", None) / elapsed
    count = stats.count(threshold.metric, threshold.name)
    return count if threshold.aggregation == "count" else count / elapsed


def evaluate(threshold: Threshold, stats: Stats) -> ThresholdResult:
    """Evaluate one threshold; no data yet counts as passing (as k6 does for empty trends)."""
    observed = observe(threshold, stats)
    passed = True if observed is None else _OPS[threshold.op](observed, threshold.value)
    return ThresholdResult(threshold, observed, passed)
