"""The spec's analysis keys: ``counters`` (what scraped counters grew by per window), ``knee``
(which window's rate p95 leaves its baseline at), ``load.stages`` and ``rehearsal``."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulsekit.gameday._schema import KEYS, known_targets

DEFAULT_COUNTER = "shop_http_requests_total"


@dataclass(frozen=True)
class CounterSpec:
    """A Prometheus counter summed over the services matching ``service`` (a glob: ``api-*``),
    optionally only the series whose ``route``/``status`` labels match."""

    name: str
    service: str
    metric: str = DEFAULT_COUNTER
    route: str | None = None
    status: str | None = None

    def describe(self) -> str:
        labels = [f'{k}="{v}"' for k, v in (("route", self.route), ("status", self.status)) if v]
        sel = "{" + ",".join(labels) + "}" if labels else ""
        return f"{self.metric}{sel} on {self.service}"


@dataclass(frozen=True)
class KneeSpec:
    """Judge the ``windows`` (plateaus of the load shape) in order of offered rate: a window
    passes while its p95 stays within ``p95_factor`` x the ``baseline`` window's p95 and its
    error rate within ``max_error_rate``; the knee is the highest passing rate before the first
    failing one."""

    baseline: str
    windows: tuple[str, ...]
    p95_factor: float = 2.0
    max_error_rate: float = 0.01
    min_headroom: float | None = None  # judged: knee / baseline rate must reach this


def parse_counters(check: Any, raw: Any, box: Any, target: str) -> tuple[CounterSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or not raw:
        check.fail(
            "counters",
            "must map names to {service:, route:}, e.g. {charges: {service: payments, "
            "route: /charge}}",
        )
    if target != "sandbox":
        check.fail("counters", "are read from the sandbox's scraped metrics; remove them")
    services, _ = known_targets(box)
    out = []
    for name, item in raw.items():
        key = f"counters.{name}"
        check.keys(item, f"{key}.", KEYS["counter"])
        service = item.get("service")
        if not isinstance(service, str) or not fnmatch.filter(services, service):
            check.fail(
                f"{key}.service",
                f"{service!r} matches no service; use one of {', '.join(services)} or a glob "
                "like api-*",
            )
        metric = item.get("metric", DEFAULT_COUNTER)
        if not isinstance(metric, str) or not metric.endswith("_total"):
            check.fail(
                f"{key}.metric",
                f"{metric!r} must be a counter's exposed name ending in _total, e.g. "
                "shop_http_requests_total",
            )
        extra = {k: str(item[k]) for k in ("route", "status") if item.get(k) is not None}
        out.append(CounterSpec(str(name), service, metric, **extra))
    return tuple(out)


def parse_knee(check: Any, raw: Any, windows: tuple[Any, ...], load: Any) -> KneeSpec | None:
    if raw is None:
        return None
    check.keys(raw, "knee.", KEYS["knee"])
    names = [w.name for w in windows]
    listed = raw.get("windows")
    if not isinstance(listed, list) or len(listed) < 2:
        check.fail("knee.windows", "must list at least two window names, e.g. [normal, x2, x3]")
    for name in listed:
        if name not in names:
            check.fail(
                "knee.windows", f"{name!r} names no window; the windows are {', '.join(names)}"
            )
    baseline = raw.get("baseline", listed[0])
    if baseline not in listed:
        check.fail("knee.baseline", f"{baseline!r} must be one of knee.windows ({listed})")
    factor = check.number(raw.get("p95_factor", 2.0), "knee.p95_factor")
    if factor <= 1:
        check.fail("knee.p95_factor", f"{factor!r} must be above 1, e.g. 2 (twice the baseline)")
    errors = check.number(raw.get("max_error_rate", 0.01), "knee.max_error_rate")
    if errors >= 1:
        check.fail("knee.max_error_rate", f"{errors!r} must be below 1, e.g. 0.01")
    headroom = raw.get("min_headroom")
    if headroom is not None and check.number(headroom, "knee.min_headroom") < 1:
        check.fail("knee.min_headroom", f"{headroom!r} must be at least 1, e.g. 2 (twice normal)")
    if load.stages is None:
        check.fail("knee", "needs load.stages (the rate of each window comes from the shape)")
    return KneeSpec(
        str(baseline),
        tuple(str(n) for n in listed),
        float(factor),
        float(errors),
        None if headroom is None else float(headroom),
    )


def parse_stages(check: Any, raw: Any, duration: float) -> tuple[tuple[float, float], ...]:
    """``[[10s, 20], [0s, 40], [10s, 40]]``: (duration, arrivals/s) k6-style stages from 0/s."""
    from pulsekit.errors import ConfigError
    from pulsekit.load import shapes

    if not isinstance(raw, list) or not raw:
        check.fail(
            "load.stages",
            "must be a list of [duration, rate], e.g. [[0s, 20], [10s, 20], [0s, 40]]",
        )
    pairs = []
    for i, item in enumerate(raw):
        if not isinstance(item, list) or len(item) != 2:
            check.fail(f"load.stages[{i}]", f"{item!r} must be [duration, rate], e.g. [10s, 40]")
        seconds = check.duration(item[0], f"load.stages[{i}]")
        pairs.append((seconds, item[1]))
    try:
        plan = shapes.parse_stages(pairs)
    except ConfigError as exc:
        check.fail("load.stages", f"{exc}")
    total = shapes.total_duration(plan)
    if total > duration + 1e-9:
        check.fail(
            "load.stages", f"last {total:g}s, longer than duration {duration:g}s; shorten them"
        )
    return tuple((s.duration, s.target) for s in plan[1:])


def offered_rate(stages: tuple[tuple[float, float], ...], start_s: float, end_s: float) -> float:
    """The stages' mean arrival rate over ``[start_s, end_s)`` (numerically, 0.05 s steps)."""
    from pulsekit.load import shapes

    plan = (shapes.Stage(0.0, 0.0), *(shapes.Stage(d, t) for d, t in stages))
    n = max(1, round((end_s - start_s) / 0.05))
    dt = (end_s - start_s) / n
    return sum(shapes.value_at(plan, start_s + (i + 0.5) * dt) for i in range(n)) / n


def check_rehearsal(check: Any, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not raw:
        check.fail(
            "rehearsal",
            "must map spec keys to their short values, e.g. {load.users: 50, duration: 20s}",
        )
    for key in raw:
        if not isinstance(key, str) or key.split(".")[0] == "rehearsal":
            check.fail(f"rehearsal.{key}", "must name another spec key, e.g. load.users")
    return dict(raw)
