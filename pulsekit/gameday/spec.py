"""A GameDay spec: the YAML file and the same thing as frozen dataclasses, checked before anything runs.

>>> spec = load_spec("gamedays/01_db_replica_loss", duration="15s")   # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError, SpecError
from pulsekit.gameday import _params
from pulsekit.gameday import target as _target_mod
from pulsekit.gameday._schema import (
    ACTIONS,
    KEYS,
    KNOB_ACTIONS,
    LINK_ACTIONS,
    SERVICE_ACTIONS,
    STRING_PARAMS,
    WINDOW_METRICS,
    known_targets,
)
from pulsekit.gameday._spec_analysis import (
    CounterSpec,
    KneeSpec,
    check_rehearsal,
    parse_counters,
    parse_knee,
    parse_stages,
)
from pulsekit.load.thresholds import Threshold, parse_threshold

SPEC_FILE = "gameday.yaml"
MAX_DURATION_S = 3600.0


@dataclass(frozen=True)
class SandboxSpec:
    """The sandbox to start (``target: sandbox``)."""

    replicas: int = 3
    db_replicas: int = 2
    db_pool: int = 4
    seed: int = 42
    cache_ttl: float = 0.0  # seconds each api replica caches catalog reads (0: no cache)


@dataclass(frozen=True)
class LoadSpec:
    """The load: closed model (``users``) or open model (``rate``), as :func:`pulsekit.load.run`."""

    users: int | None = None
    spawn_rate: float | None = None
    rate: float | None = None
    mix: str = "shopper"
    think_time: tuple[float, float] = (0.5, 1.5)
    locustfile: Path | None = None
    workers: int = 0
    seed: int | None = 7
    stages: tuple[tuple[float, float], ...] | None = None  # (seconds, arrivals/s), open model
    expect_workers: int | tuple[str, ...] | None = None  # load workers on other hosts
    master_bind: str | None = None  # ADDRESS[:PORT] those workers join (`pulsekit load worker`)
    worker_wait_s: float | None = None  # how long the master waits for them


@dataclass(frozen=True)
class Window:
    """A named span ``[start_s, end_s)`` of the run, in whole seconds after the load started."""

    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Step:
    """One timed action: ``kill db-replica-1 at 25s`` (reverted at ``at_s + duration_s`` if set)."""

    name: str
    at_s: float
    action: str
    target: str
    params: tuple[tuple[str, Any], ...] = ()
    duration_s: float | None = None


@dataclass(frozen=True)
class StopCondition:
    """Stop the run when ``threshold`` holds over the trailing ``over_s`` seconds, or (``slo:``)
    when the SLO burns faster than ``max_burn``."""

    text: str
    over_s: float
    threshold: Threshold | None = None
    max_burn: float | None = None


@dataclass(frozen=True)
class SLOSpec:
    """A latency SLO on one service, judged on scraped metrics (compressed for a short run)."""

    service: str = "gateway"
    objective: float = 0.99
    latency_ms: float = 250.0
    route: str | None = None
    compress: str = "10m"
    sli: str = "latency"  # or "availability": the share of requests not answered 5xx
    page_within_s: float | None = None  # judged: a page alert within this long of the 1st step


@dataclass(frozen=True)
class PriceSpec:
    """A price model for the cost of each window: instances running, and requests served."""

    instance_hour: float = 0.0  # USD per instance-hour
    per_million_requests: float = 0.0  # USD per million requests
    instances: int = 1
    egress_per_gb: float = 0.0  # USD per GB carried between services (the sandbox's links)
    db_reads_per_million: float = 0.0  # USD per million database queries
    source: str = ""  # where the prices come from, and when they were read

    def cost(
        self, seconds: float, requests: int, db_queries: float = 0.0, link_bytes: float = 0.0
    ) -> float:
        """USD for ``seconds`` of the instances, ``requests`` served, ``db_queries`` run and
        ``link_bytes`` carried between services (1 GB = 1e9 bytes, as cloud bills count)."""
        return (
            self.instances * seconds / 3600.0 * self.instance_hour
            + requests / 1e6 * self.per_million_requests
            + db_queries / 1e6 * self.db_reads_per_million
            + link_bytes / 1e9 * self.egress_per_gb
        )

    @property
    def meters_traffic(self) -> bool:
        """True when the model prices database queries or bytes between services."""
        return bool(self.egress_per_gb or self.db_reads_per_million)


@dataclass(frozen=True)
class GameDaySpec:
    """Everything a GameDay run needs, validated."""

    title: str
    duration_s: float
    load: LoadSpec
    target: str = "sandbox"  # "sandbox" or a URL
    sandbox: SandboxSpec = field(default_factory=SandboxSpec)
    windows: tuple[Window, ...] = ()
    hypothesis: Mapping[str, tuple[Threshold, ...]] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    stop_when: tuple[StopCondition, ...] = ()
    slo: SLOSpec | None = None
    price: PriceSpec | None = None
    counters: tuple[CounterSpec, ...] = ()
    knee: KneeSpec | None = None
    rehearsal: Mapping[str, Any] = field(default_factory=dict)
    rehearsed: bool = False  # the spec's rehearsal values were applied
    description: str = ""
    path: Path | None = None
    staging: _target_mod.StagingTarget | None = None  # a real system (target: {url:, ...})
    allow: tuple[str, ...] = ()  # hosts allowed beside loopback (spec allow:)

    @property
    def uses_sandbox(self) -> bool:
        return self.target == "sandbox"

    def window(self, name: str) -> Window:
        return next(w for w in self.windows if w.name == name)

    def hypothesis_text(self) -> list[str]:
        """One line per window: ``fault [27s, 60s): http_req_duration: p(95)<1000, ...``."""
        lines = []
        for w in self.windows:
            exprs = self.hypothesis.get(w.name, ())
            if exprs:
                joined = ", ".join(t.text for t in exprs)
                lines.append(f"{w.name} [{w.start_s:g}s, {w.end_s:g}s): {joined}")
        if self.slo is not None and self.slo.page_within_s is not None:
            lines.append(
                f"slo: the latency SLO ({self.slo.objective:.2%} of {self.slo.service} requests "
                f"under {self.slo.latency_ms:g} ms) pages within {self.slo.page_within_s:g}s "
                "of the first step"
            )
        if self.knee is not None:
            k = self.knee
            judged = (
                f"the knee is at least {k.min_headroom:g}x the {k.baseline} window's rate"
                if k.min_headroom is not None
                else "the knee is measured (no bound)"
            )
            lines.append(
                f"knee: {judged}; a rate passes while p95 stays within {k.p95_factor:g}x the "
                f"{k.baseline} window's p95 and errors under {k.max_error_rate:.0%}"
            )
        return lines


def load_spec(source: Any, *, rehearsal: bool = False, **params: Any) -> GameDaySpec:
    """A validated spec from a file, a folder holding ``gameday.yaml``, a YAML string, a dict or
    a GameDaySpec. ``params`` override keys first: ``load__users=40`` or ``{"load.users": 40}``;
    ``rehearsal=True`` applies the spec's own ``rehearsal:`` values before them."""
    if isinstance(source, GameDaySpec) and not params and not rehearsal:
        return source
    raw, where, base = _read(source)
    if rehearsal:
        if not raw.get("rehearsal"):
            raise SpecError(
                f"{where}: rehearsal was asked for, but the spec has no rehearsal: section; "
                "add one (rehearsal: {load.users: 50, duration: 20s}) or pass params"
            )
        raw = _params.apply(raw, dict(raw["rehearsal"]), f"{where} (rehearsal)")
    raw = _params.apply(raw, params, where)
    return parse(raw, where=where, base=base, rehearsed=rehearsal)


def _read(source: Any) -> tuple[dict[str, Any], str, Path | None]:
    import yaml

    if isinstance(source, Mapping):
        return dict(source), "spec", None
    if isinstance(source, GameDaySpec):
        raise SpecError("pass the spec's file or dict to override params, not a GameDaySpec")
    text: str
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        if path.is_dir():
            path = path / SPEC_FILE
        if not path.is_file():
            raise SpecError(
                f"{path}: no such spec file; give a gameday.yaml or a folder holding one"
            )
        text, where, base = path.read_text(encoding="utf-8"), str(path), path.parent
    elif isinstance(source, str):
        text, where, base = source, "spec", None
    else:
        raise SpecError(f"spec={source!r}: pass a path, a YAML string or a dict")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise SpecError(f"{where} is not YAML{at} ({problem}); fix the syntax") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{where} is not a YAML mapping of keys (title:, load:, duration:, ...)")
    return raw, where, base


def parse(
    raw: Mapping[str, Any],
    *,
    where: str = "spec",
    base: Path | None = None,
    rehearsed: bool = False,
) -> GameDaySpec:
    """Check every key of ``raw`` and build the spec; the first problem raises :class:`SpecError`.
    A ``rehearsal:`` section is checked too: the spec with it applied must be valid."""
    check = _Checker(where)
    check.keys(raw, "", KEYS[""])
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        check.fail("title", "is missing; add a one-line title: Lose a database replica ...")
    staging = _target_mod.read_target(raw.get("target", "sandbox"), where=where, base=base)
    target = "sandbox" if staging is None else staging.url
    allow = raw.get("allow") or []
    if not isinstance(allow, list) or not all(isinstance(h, str) and h for h in allow):
        check.fail("allow", f"{allow!r} must be a list of host names, e.g. [staging.example.com]")
    duration = check.duration(raw.get("duration"), "duration", required=True)
    if not 0 < duration <= MAX_DURATION_S:
        check.fail("duration", f"{duration:g}s must be above 0 and at most 1h")
    box = _sandbox(check, raw.get("sandbox") or {}) if target == "sandbox" else SandboxSpec()
    if target != "sandbox" and raw.get("sandbox"):  # the shape used when run on the sandbox
        check.keys(raw["sandbox"], "sandbox.", KEYS["sandbox"])
    load = _load(check, raw.get("load"), base, duration)
    windows = _windows(check, raw.get("windows") or {}, duration)
    hypothesis = _hypothesis(check, raw.get("hypothesis") or {}, windows)
    slo = _slo(check, raw.get("slo"), box, target, staging)
    price = _price(check, raw.get("price"), box, target)
    steps = _steps(check, raw.get("steps") or [], duration, box, target, staging)
    stops = _stops(check, raw.get("stop_when") or [], slo)
    counters = parse_counters(check, raw.get("counters"), box, target)
    knee = parse_knee(check, raw.get("knee"), windows, load)
    rehearsal = check_rehearsal(check, raw.get("rehearsal"))
    if rehearsal and not rehearsed:
        short = _params.apply(dict(raw), rehearsal, f"{where} (rehearsal)")
        parse(short, where=f"{where} (with its rehearsal values)", base=base, rehearsed=True)
    return GameDaySpec(
        title=str(title).strip(),
        description=str(raw.get("description") or ""),
        target=target,
        sandbox=box,
        load=load,
        duration_s=duration,
        windows=windows,
        hypothesis=hypothesis,
        steps=steps,
        stop_when=stops,
        slo=slo,
        price=price,
        counters=counters,
        knee=knee,
        rehearsal=rehearsal,
        rehearsed=rehearsed,
        path=base,
        staging=staging,
        allow=tuple(allow),
    )


class _Checker:
    """Raises errors that name the file, the key and the fix."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, key: str, problem: str) -> None:
        raise SpecError(f"{self.where}: {key} {problem}")

    def keys(self, mapping: Any, prefix: str, allowed: tuple[str, ...]) -> None:
        name = prefix.rstrip(".") or "the spec"
        if not isinstance(mapping, Mapping):
            self.fail(name, f"must be a mapping with keys {', '.join(allowed)}")
        for key in mapping:
            if key not in allowed:
                self.fail(f"{prefix}{key}", f"is not a known key; use one of {', '.join(allowed)}")

    def duration(self, value: Any, key: str, *, required: bool = False) -> float:
        if value is None:
            if required:
                self.fail(key, "is missing; give a duration like 60s")
            return 0.0
        try:
            return parse_duration(value, field=key)
        except ConfigError:
            self.fail(key, f"{value!r} is not a duration; use one like 30s, 1m30s or 250ms")
        raise AssertionError  # unreachable

    def number(self, value: Any, key: str, *, integer: bool = False, low: float = 0) -> Any:
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or value < low:
            kind = "an integer" if integer else "a number"
            self.fail(key, f"{value!r} must be {kind} >= {low:g}")
        return value

    def threshold(self, text: Any, key: str) -> Threshold:
        try:
            return parse_threshold(text)
        except ConfigError as exc:
            self.fail(key, f"does not parse: {exc}")
        raise AssertionError  # unreachable


def _remote_workers(check: _Checker, raw: Mapping[str, Any], out: dict[str, Any]) -> None:
    """``expect_workers`` / ``master_bind`` / ``worker_wait``: load from workers on other hosts."""
    if ("expect_workers" in raw) != ("master_bind" in raw):
        given, missing = (
            ("expect_workers", "master_bind")
            if "expect_workers" in raw
            else ("master_bind", "expect_workers")
        )
        check.fail(f"load.{missing}", f"is missing; load.{given} needs it too")
    if "expect_workers" not in raw:
        if "worker_wait" in raw:
            check.fail("load.worker_wait", "means nothing without load.expect_workers; remove it")
        return
    if out.get("workers"):
        check.fail("load.workers", "cannot go with load.expect_workers (remote workers); pick one")
    wanted = raw["expect_workers"]
    if isinstance(wanted, list):
        if not wanted or not all(isinstance(n, str) and n for n in wanted):
            check.fail("load.expect_workers", f"{wanted!r} must be a count or a list of names")
        out["expect_workers"] = tuple(wanted)
    else:
        out["expect_workers"] = check.number(wanted, "load.expect_workers", integer=True, low=1)
        if out["expect_workers"] > 64:
            check.fail("load.expect_workers", f"{wanted} is more than 64 workers")
    if not isinstance(raw["master_bind"], str) or not raw["master_bind"]:
        check.fail("load.master_bind", f"{raw['master_bind']!r} must be ADDRESS[:PORT]")
    out["master_bind"] = raw["master_bind"]
    if "worker_wait" in raw:
        out["worker_wait_s"] = check.duration(raw["worker_wait"], "load.worker_wait")


def _sandbox(check: _Checker, raw: Any) -> SandboxSpec:
    check.keys(raw, "sandbox.", KEYS["sandbox"])
    values: dict[str, Any] = {
        k: check.number(v, f"sandbox.{k}", integer=True) for k, v in raw.items() if k != "cache_ttl"
    }
    if "cache_ttl" in raw:
        values["cache_ttl"] = check.duration(raw["cache_ttl"], "sandbox.cache_ttl")
        if values["cache_ttl"] > 86400:
            check.fail("sandbox.cache_ttl", "must be at most 1 day (86400s); 0s turns it off")
    if values.get("replicas", 1) < 1:
        check.fail("sandbox.replicas", "must be at least 1")
    return SandboxSpec(**values)


def _load(check: _Checker, raw: Any, base: Path | None, duration: float) -> LoadSpec:
    if raw is None:
        check.fail("load", "is missing; add load: {users: 100, spawn_rate: 50} or {rate: 100}")
    check.keys(raw, "load.", KEYS["load"])
    out: dict[str, Any] = {}
    if "stages" in raw:
        if "users" in raw or "rate" in raw:
            check.fail(
                "load.stages",
                "are arrival rates a second (open model) and replace users/rate; remove those",
            )
        out["stages"] = parse_stages(check, raw["stages"], duration)
        out["rate"] = max(t for _, t in out["stages"])
    elif ("users" in raw) == ("rate" in raw):
        check.fail(
            "load",
            "needs users: N (closed model), rate: RPS or stages: [[duration, rate], ...] "
            "(open model), one of them",
        )
    if "users" in raw:
        out["users"] = check.number(raw["users"], "load.users", integer=True, low=1)
    if "rate" in raw:
        out["rate"] = float(check.number(raw["rate"], "load.rate", low=0.001))
    if "spawn_rate" in raw:
        out["spawn_rate"] = float(check.number(raw["spawn_rate"], "load.spawn_rate", low=0.001))
    if "workers" in raw:
        out["workers"] = check.number(raw["workers"], "load.workers", integer=True)
    if "seed" in raw:
        out["seed"] = None if raw["seed"] is None else check.number(raw["seed"], "load.seed")
    _remote_workers(check, raw, out)
    if "mix" in raw:
        from pulsekit.load._mixes import MIXES

        if raw["mix"] not in MIXES:
            check.fail("load.mix", f"{raw['mix']!r} is unknown; use one of {', '.join(MIXES)}")
        out["mix"] = raw["mix"]
    if "think_time" in raw:
        think = raw["think_time"]
        ok = isinstance(think, list) and len(think) == 2
        ok = (
            ok
            and all(isinstance(v, int | float) and v >= 0 for v in think)
            and think[0] <= think[1]
        )
        if not ok:
            check.fail("load.think_time", f"{think!r} must be [min_s, max_s] with 0 <= min <= max")
        out["think_time"] = (float(think[0]), float(think[1]))
    if "locustfile" in raw:
        path = Path(str(raw["locustfile"]))
        path = path if path.is_absolute() or base is None else base / path
        if path.suffix != ".py" or not path.is_file():
            check.fail(
                "load.locustfile", f"{path} is not an existing .py file (relative to the spec)"
            )
        out["locustfile"] = path
    return LoadSpec(**out)


def _windows(check: _Checker, raw: Any, duration: float) -> tuple[Window, ...]:
    if not isinstance(raw, Mapping):
        check.fail("windows", "must map names to [start, end], e.g. {baseline: [15s, 25s]}")
    out = []
    for name, span in raw.items():
        key = f"windows.{name}"
        if not isinstance(span, list) or len(span) != 2:
            check.fail(key, f"{span!r} must be [start, end], e.g. [15s, 25s]")
        start, end = (check.duration(v, key) for v in span)
        for value in (start, end):
            if not math.isclose(value, round(value)):
                check.fail(
                    key, f"{value:g}s is not a whole second; the load keeps a histogram a second"
                )
        if not 0 <= start < end <= duration:
            check.fail(
                key,
                f"[{start:g}s, {end:g}s] is outside the run (0s to duration {duration:g}s) or "
                "empty; give 0 <= start < end <= duration",
            )
        out.append(Window(str(name), float(round(start)), float(round(end))))
    return tuple(out)


def _hypothesis(
    check: _Checker, raw: Any, windows: tuple[Window, ...]
) -> dict[str, tuple[Threshold, ...]]:
    if not isinstance(raw, Mapping):
        check.fail("hypothesis", "must map window names to lists of k6 thresholds")
    names = [w.name for w in windows]
    out: dict[str, tuple[Threshold, ...]] = {}
    for name, exprs in raw.items():
        key = f"hypothesis.{name}"
        if name not in names:
            known = ", ".join(names) or "(no windows: add windows: {baseline: [10s, 20s]})"
            check.fail(key, f"names no window; the windows are: {known}")
        exprs = [exprs] if isinstance(exprs, str) else exprs
        if not isinstance(exprs, list) or not exprs:
            check.fail(key, 'must be a list like ["http_req_duration: p(95)<200"]')
        parsed = []
        for i, text in enumerate(exprs):
            threshold = check.threshold(text, f"{key}[{i}]")
            if threshold.metric not in WINDOW_METRICS or threshold.name:
                check.fail(
                    f"{key}[{i}]",
                    f"{text!r}: a window judges {', '.join(WINDOW_METRICS)} over all requests "
                    "(no {name:...} tag)",
                )
            parsed.append(threshold)
        out[str(name)] = tuple(parsed)
    return out


def _slo(check: _Checker, raw: Any, box: SandboxSpec, target: str, staging: Any) -> SLOSpec | None:
    if raw is None:
        return None
    check.keys(raw, "slo.", KEYS["slo"])
    if target != "sandbox" and (staging is None or staging.prometheus is None):
        check.fail(
            "slo",
            "is judged on the sandbox's scraped metrics or the target's Prometheus; add "
            "prometheus: URL to the target or remove slo:",
        )
    out: dict[str, Any] = {}
    if "service" in raw and target != "sandbox":
        out["service"] = str(raw["service"])
    elif "service" in raw:
        services, _ = known_targets(box)
        if raw["service"] not in services:
            check.fail(
                "slo.service",
                f"{raw['service']!r} is not a service; use one of {', '.join(services)}",
            )
        out["service"] = raw["service"]
    if "objective" in raw:
        value = check.number(raw["objective"], "slo.objective")
        if not 0 < value < 1:
            check.fail("slo.objective", f"{value!r} must be between 0 and 1, e.g. 0.99")
        out["objective"] = float(value)
    if "latency" in raw:
        out["latency_ms"] = check.duration(raw["latency"], "slo.latency") * 1000.0
    if "route" in raw:
        out["route"] = str(raw["route"])
    if "compress" in raw:
        check.duration(raw["compress"], "slo.compress")
        out["compress"] = str(raw["compress"])
    if "sli" in raw:
        if raw["sli"] not in ("latency", "availability"):
            check.fail("slo.sli", f"{raw['sli']!r} is unknown; use latency or availability")
        if raw["sli"] == "availability" and "latency" in raw:
            check.fail("slo.latency", "means nothing for sli: availability; remove it")
        out["sli"] = raw["sli"]
    if "page_within" in raw:
        out["page_within_s"] = check.duration(raw["page_within"], "slo.page_within")
        if out["page_within_s"] <= 0:
            check.fail("slo.page_within", "must be above 0s, e.g. 30s")
    return SLOSpec(**out)


def _price(check: _Checker, raw: Any, box: SandboxSpec, target: str) -> PriceSpec | None:
    if raw is None:
        return None
    check.keys(raw, "price.", KEYS["price"])
    usd = ("instance_hour", "per_million_requests", "egress_per_gb", "db_reads_per_million")
    if not any(k in raw for k in usd):
        check.fail("price", f"needs {', '.join(usd[:-1])} and/or {usd[-1]} (USD)")
    if target != "sandbox" and ("egress_per_gb" in raw or "db_reads_per_million" in raw):
        check.fail("price", "egress_per_gb and db_reads_per_million are measured on the sandbox")
    if target != "sandbox" and "instance_hour" in raw and "instances" not in raw:
        check.fail("price.instances", "is needed with instance_hour for a URL target")
    services, _ = known_targets(box)
    return PriceSpec(
        instance_hour=float(check.number(raw.get("instance_hour", 0.0), "price.instance_hour")),
        per_million_requests=float(
            check.number(raw.get("per_million_requests", 0.0), "price.per_million_requests")
        ),
        instances=check.number(
            raw.get("instances", len(services)), "price.instances", integer=True, low=1
        ),
        egress_per_gb=float(check.number(raw.get("egress_per_gb", 0.0), "price.egress_per_gb")),
        db_reads_per_million=float(
            check.number(raw.get("db_reads_per_million", 0.0), "price.db_reads_per_million")
        ),
        source=str(raw.get("source") or ""),
    )


def _steps(
    check: _Checker, raw: Any, duration: float, box: SandboxSpec, target: str, staging: Any
) -> tuple[Step, ...]:
    if not isinstance(raw, list):
        check.fail("steps", "must be a list like [{at: 25s, action: kill, target: db-replica-1}]")
    services, links = known_targets(box)
    out: list[Step] = []
    for i, item in enumerate(raw):
        key = f"steps[{i}]"
        if not isinstance(item, Mapping):
            check.fail(key, "must be a mapping {at:, action:, target:, ...}")
        action = item.get("action")
        if action not in ACTIONS:
            check.fail(f"{key}.action", f"{action!r} is unknown; use one of {', '.join(ACTIONS)}")
        check.keys(
            item, f"{key}.", ("at", "action", "target", "name", "duration", *ACTIONS[action])
        )
        at = check.duration(item.get("at"), f"{key}.at", required=True)
        if at > duration:
            check.fail(
                f"{key}.at", f"{at:g}s is after the end of the run ({duration:g}s); move it earlier"
            )
        length = item.get("duration")
        length_s = None if length is None else check.duration(length, f"{key}.duration")
        if length_s is not None and at + length_s > duration:
            check.fail(
                f"{key}.duration", f"ends at {at + length_s:g}s, after the run ({duration:g}s)"
            )
        if length_s is not None and action in ("restart", "thaw"):
            check.fail(f"{key}.duration", f"means nothing for {action}; remove it")
        name = item.get("target")
        if staging is not None:
            if not isinstance(name, str) or not name:
                check.fail(f"{key}.target", "is missing; name a service or a Toxiproxy link")
            _target_mod.check_step(staging, str(action), str(name), f"{check.where}: {key}")
            params = tuple(sorted((k, v) for k, v in item.items() if k in ACTIONS[action]))
            for k, v in params:
                check.number(v, f"{key}.{k}")
            label = str(item.get("name") or f"{action} {name}")
            out.append(Step(label, at, str(action), str(name), params, length_s))
            continue
        pool, kind = (services, "service") if action in SERVICE_ACTIONS else (links, "link")
        if action in KNOB_ACTIONS:
            apis = [s for s in services if s.startswith("api-")]
            pool, kind = (apis, "api replica") if action == "deploy" else (["api", *apis], "api")
            needed = ACTIONS[action][0]
            if needed not in item:
                check.fail(f"{key}.{needed}", f"is missing; {action} needs {needed}: ...")
        if name not in pool:
            check.fail(
                f"{key}.target",
                f"{name!r} is not {'an' if kind[0] in 'aeiou' else 'a'} {kind} of this sandbox; "
                f"use one of {', '.join(pool)}",
            )
        params = tuple(sorted((k, v) for k, v in item.items() if k in ACTIONS[action]))
        for k, v in params:
            if k not in STRING_PARAMS:
                check.number(v, f"{key}.{k}")
        if action == "deploy":
            from pulsekit.sandbox._config import VERSIONS

            if item["version"] not in VERSIONS:
                check.fail(
                    f"{key}.version", f"{item['version']!r}: use one of {', '.join(VERSIONS)}"
                )
            if length_s is not None:
                check.fail(f"{key}.duration", "means nothing for deploy; add a later deploy step")
        if action == "cache_ttl" and item["seconds"] > 86400:
            check.fail(f"{key}.seconds", "must be at most 86400 (1 day)")
        label = str(item.get("name") or f"{action} {name}")
        out.append(Step(label, at, str(action), str(name), params, length_s))
    assert all(a in SERVICE_ACTIONS or a in LINK_ACTIONS or a in KNOB_ACTIONS for a in ACTIONS)
    return tuple(sorted(out, key=lambda s: s.at_s))


def _stops(check: _Checker, raw: Any, slo: SLOSpec | None) -> tuple[StopCondition, ...]:
    if not isinstance(raw, list):
        check.fail("stop_when", 'must be a list like ["http_req_failed: rate>0.5 over 5s"]')
    out = []
    for i, text in enumerate(raw):
        key = f"stop_when[{i}]"
        if not isinstance(text, str):
            check.fail(key, f'{text!r} must be a string like "http_req_failed: rate>0.5 over 5s"')
        expr, _, over = text.partition(" over ")
        over_s = check.duration(over.strip(), key) if over else 5.0
        if over_s < 1:
            check.fail(key, "needs a window of at least 1s: ... over 5s")
        if expr.strip().startswith("slo:"):
            if slo is None:
                check.fail(key, "judges the SLO, but the spec has no slo: section; add one")
            burn = expr.split(":", 1)[1].strip().replace(" ", "")
            if not burn.startswith("burn_rate>"):
                check.fail(key, f'{text!r}: write it as "slo: burn_rate>14.4 over 1m"')
            value = burn.removeprefix("burn_rate>")
            try:
                max_burn = float(value)
            except ValueError:
                check.fail(key, f"burn rate {value!r} is not a number")
            out.append(StopCondition(text, over_s, max_burn=max_burn))
            continue
        threshold = check.threshold(expr.strip(), key)
        if threshold.metric not in WINDOW_METRICS or threshold.name:
            check.fail(key, f"{text!r}: a stop condition judges {', '.join(WINDOW_METRICS)}")
        out.append(StopCondition(text, over_s, threshold=threshold))
    return tuple(out)
