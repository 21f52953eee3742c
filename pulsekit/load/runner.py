"""``run()``: validate a load plan, run it on Locust in child processes, return a LoadResult."""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pulsekit._types import LoadModel, LoadTarget
from pulsekit._util import check_host_allowed, parse_duration, redact_url
from pulsekit.errors import ConfigError, LoadError
from pulsekit.load import _request
from pulsekit.load import shapes as _shapes
from pulsekit.load._config import ChildConfig, RemoteWorkers
from pulsekit.load._mixes import MIXES
from pulsekit.load._remote import file_sha256, parse_master
from pulsekit.load.result import TIMELINE_COLUMNS, LoadResult
from pulsekit.load.shapes import StageLike
from pulsekit.load.thresholds import Threshold, evaluate, parse_thresholds

MAX_USERS = 100_000
MAX_RATE = 100_000.0
MAX_WORKERS = 64
MAX_DURATION_S = 24 * 3600.0
SATURATED_LAG_MS = 50.0


def run(
    url: LoadTarget,
    *,
    users: int | None = None,
    spawn_rate: float | None = None,
    rate: float | None = None,
    duration: str | float = "30s",
    user_class: type | str | None = None,
    locustfile: str | os.PathLike[str] | None = None,
    mix: str | None = None,
    method: str | None = None,
    headers: Mapping[str, str] | Iterable[str] | None = None,
    body: str | bytes | None = None,
    think_time: tuple[float, float] | None = None,
    shape: str | type | None = None,
    stages: Sequence[StageLike] | None = None,
    workers: int = 0,
    thresholds: Iterable[str | Threshold] | Mapping[str, Iterable[str]] | str | None = None,
    allow: Iterable[str] | None = None,
    max_in_flight: int | None = None,
    seed: int | None = None,
    schedule: Sequence[tuple[str | float, Callable[[], object]]] = (),
    progress: bool | str = "auto",
    monitor: Callable[[Any], str | None] | None = None,
    expect_workers: int | Sequence[str] | None = None,
    master_bind: str | None = None,
    worker_wait: str | float = "60s",
    fail_on_worker_loss: bool = False,
) -> LoadResult:
    """Put load on ``url`` with Locust (in child processes) and measure it honestly.

    What is sent: a plain ``GET`` of that exact URL, as k6, hey, wrk and vegeta do (``method=``,
    ``headers=``, ``body=`` vary it; no think time unless ``think_time=``). A sandbox (``run(shop,
    ...)``, or its root URL, recognised by ``GET /_pulsekit/sandbox``) gets the ``shopper`` mix
    instead; ``mix="shopper"|"vendor"`` picks a mix anywhere, ``locustfile=``/``user_class=`` your own.

    Closed model: ``users=N`` Locust users with think time. Open model: ``rate=RPS`` arrivals a
    second whether or not earlier requests finished; latency counts from each intended start.

    ``schedule=[("2s", start_fault), ("4s", stop_fault)]`` calls each function (quick ones: it
    runs in the loop that reads results) that many seconds after the load started, so faults
    line up with ``result.timeline``; calls not reached (an early stop) are skipped.

    ``monitor(live)`` is called about once a second with the live totals (``live.elapsed()``,
    ``live.window(start_s, end_s)``, ``live.latest()``); returning a reason string stops the run
    early with status "aborted" (a GameDay's stop conditions use it).

    Workers on other hosts: ``expect_workers=N`` (or their names, ``["lg-1", "lg-2"]``) and
    ``master_bind="10.0.0.5[:5557]"`` make this the Locust master; each load host runs
    ``pulsekit load worker --master 10.0.0.5:5557 [--name lg-1]``. The run starts once they all
    joined (at most ``worker_wait``; it then names who joined and who is missing), the
    open-model rate is split across them, and a worker lost mid-run is reported in
    ``result.lost_workers`` (the run continues, or stops with ``fail_on_worker_loss=True``).

    >>> result = run(shop.url, rate=50, duration="10s", thresholds=["http_req_duration: p(95)<200"])
    >>> result.passed, result.latency_ms["p99"]
    """
    target_obj, url = url, _target_url(url)
    model, target = _model(users, rate)
    seconds = parse_duration(duration, field="duration")
    if not 0 < seconds <= MAX_DURATION_S:
        raise ConfigError(f"duration={duration!r} must be more than 0 and at most 24h; try '30s'")
    if spawn_rate is not None and (model == "open" or not _positive(spawn_rate)):
        raise ConfigError(f"spawn_rate={spawn_rate!r} needs users= and must be a number > 0")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 0 <= workers <= MAX_WORKERS:
        raise ConfigError(f"workers={workers!r} must be an integer from 0 (no master) to 64")
    remote: RemoteWorkers | None = None
    expected = _remote_workers(expect_workers, master_bind, worker_wait, workers)
    if expected is not None:
        workers, remote = expected
    plan, shaped, shape_class = _plan(shape, stages, target, seconds, model)
    checks = parse_thresholds(thresholds)
    plan_calls = _schedule(schedule, seconds)
    source = _source(user_class, locustfile, mix, think_time)
    custom = source.custom
    _request.validate(url, mix=mix, custom=custom, method=method, headers=headers, body=body)
    check_host_allowed(url, allow=allow, what="load target")
    _check_reachable(url)
    if not custom and mix is None:
        what = _request.choose(target_obj, url, method=method, headers=headers, body=body)
        if isinstance(what, _request.PlainRequest):
            think = (0.0, 0.0) if think_time is None else source.think
            source = _Source(mix="request", request=what, think=think)
        else:
            source = replace(source, mix=what)

    peak = _shapes.peak(plan)
    if max_in_flight is None:
        max_in_flight = int(min(5000, max(100, math.ceil(peak * 5))))
    elif isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1:
        raise ConfigError(f"max_in_flight={max_in_flight!r} must be an integer >= 1")
    cfg = ChildConfig(
        url=url.rstrip("/"),
        model=model,
        users=int(target) if model == "closed" else None,
        spawn_rate=float(spawn_rate or min(max(target, 1.0), 1000.0)),
        stages=plan,
        shaped=shaped,
        shape_class=shape_class,
        duration=seconds,
        workers=workers,
        max_in_flight=max_in_flight,
        seed=seed,
        mix=source.mix,
        think=source.think,
        request=source.request,
        locustfile=source.locustfile,
        user_class=source.user_class,
        remote=remote,
        locustfile_sha256=file_sha256(source.locustfile) if remote else None,
        fail_on_worker_loss=bool(fail_on_worker_loss) if remote else False,
    )
    return _execute(cfg, checks, progress, plan_calls, monitor)


def _remote_workers(
    expect: Any, bind: Any, wait: Any, workers: int
) -> tuple[int, RemoteWorkers] | None:
    """Validate the options of workers on other hosts: (count, where to meet); None: local only."""
    if expect is None and bind is None:
        return None
    if expect is None or bind is None:
        raise ConfigError(
            "pass expect_workers=N together with master_bind='ADDRESS[:PORT]' (the address "
            "the workers reach this host at), or neither"
        )
    names = None
    if isinstance(expect, list | tuple):  # the workers' --name values: missing ones get named
        names = [str(n) for n in expect]
        ok = all(isinstance(n, str) and n.strip() == n and n for n in expect)
        if not ok or not names or len(set(names)) != len(names) or len(names) > MAX_WORKERS:
            raise ConfigError(
                f"expect_workers={expect!r} must be a count, or a list of distinct worker names "
                "(their --name), e.g. ['loadgen-1', 'loadgen-2']"
            )
        expect = len(names)
    if isinstance(expect, bool) or not isinstance(expect, int) or not 1 <= expect <= MAX_WORKERS:
        raise ConfigError(f"expect_workers={expect!r} must be an integer from 1 to {MAX_WORKERS}")
    if workers:
        raise ConfigError("pass workers= (local processes) or expect_workers= (other hosts)")
    host, port = parse_master(bind, field="master_bind")
    seconds = parse_duration(wait, field="worker_wait")
    if not 0 < seconds <= 3600:
        raise ConfigError(f"worker_wait={wait!r} must be more than 0 and at most 1h; try '60s'")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise ConfigError(
            f"master_bind {bind!r}: cannot listen there ({exc.strerror or exc}); use an address "
            "of this host that the workers can reach, and a free port"
        ) from None
    return expect, RemoteWorkers(host, port, seconds, tuple(names) if names is not None else None)


def _target_url(url: Any) -> str:
    url = getattr(url, "url", url)  # a Sandbox (or anything with .url) works too
    if not isinstance(url, str) or not url:
        raise ConfigError(f"url={url!r} is not a URL; pass one like 'http://127.0.0.1:8080'")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"url={redact_url(url)!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"url={redact_url(url)!r} must be an http:// or https:// URL with a host")
    return url


def _positive(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value > 0


def _model(users: Any, rate: Any) -> tuple[LoadModel, float]:
    if users is not None and rate is not None:
        raise ConfigError(
            "pass either users= (closed model) or rate= (open model, requests/s), not both"
        )
    if users is None and rate is None:
        raise ConfigError("pass users=N (closed model) or rate=RPS (open model arrival rate)")
    if users is not None:
        if isinstance(users, bool) or not isinstance(users, int) or not 0 < users <= MAX_USERS:
            raise ConfigError(f"users={users!r} must be an integer from 1 to {MAX_USERS}")
        return "closed", float(users)
    if not _positive(rate) or rate > MAX_RATE:
        raise ConfigError(f"rate={rate!r} must be a number of requests/s > 0 (at most 100000)")
    return "open", float(rate)


def _plan(
    shape: Any, stages: Any, target: float, seconds: float, model: str
) -> tuple[tuple[_shapes.Stage, ...], bool, str | None]:
    if stages is not None and shape is not None:
        raise ConfigError("pass shape= or stages=, not both")
    if stages is not None:
        plan = _shapes.parse_stages(stages)
        if _shapes.total_duration(plan) > seconds + 1e-9:
            raise ConfigError("stages last longer than duration=; lengthen duration or the stages")
        return plan, True, None
    if shape is None or isinstance(shape, str):
        name = shape or "constant"
        return _shapes.stages_for(name, target, seconds), name != "constant", None
    if model == "open":
        raise ConfigError("a LoadTestShape class drives users; with rate= use shape='ramp' etc.")
    return _shapes.stages_for("constant", target, seconds), False, _import_path(shape, "shape")


def _import_path(obj: Any, field: str) -> str:
    if isinstance(obj, str):
        if ":" not in obj:
            raise ConfigError(f"{field}={obj!r} must look like 'package.module:ClassName'")
        return obj
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or module == "__main__" or "<locals>" in qualname:
        raise ConfigError(
            f"{field}={obj!r} is not importable by name (defined in a notebook or function); "
            "Locust runs in a child process, so put the class in a .py file and pass "
            "locustfile='that_file.py' or 'module:ClassName'"
        )
    return f"{module}:{qualname}"


@dataclass(frozen=True)
class _Source:
    """Where the virtual users come from: a locustfile, a user class, or a mix (None: decide later)."""

    mix: str | None = None
    think: tuple[float, float] = (0.5, 1.5)
    request: _request.PlainRequest | None = None
    locustfile: str | None = None
    user_class: str | None = None

    @property
    def custom(self) -> bool:
        return self.locustfile is not None or self.user_class is not None


def _source(user_class: Any, locustfile: Any, mix: str | None, think: Any) -> _Source:
    if user_class is not None and locustfile is not None:
        raise ConfigError("pass user_class= or locustfile=, not both")
    if locustfile is not None:
        path = Path(locustfile)
        if path.suffix != ".py" or not path.is_file():
            raise ConfigError(f"locustfile={str(locustfile)!r} is not an existing .py file")
        return _Source(locustfile=str(path.resolve()))
    if user_class is not None:
        return _Source(user_class=_import_path(user_class, "user_class"))
    if mix is not None and mix not in MIXES:
        raise ConfigError(f"mix={mix!r} is unknown; use one of {', '.join(MIXES)}")
    return _Source(mix=mix, think=_think((0.5, 1.5) if think is None else think))


def _think(think: Any) -> tuple[float, float]:
    ok = (
        isinstance(think, Sequence)
        and len(think) == 2
        and all(_positive(v) or v == 0 for v in think)
        and think[0] <= think[1]
    )
    if not ok:
        raise ConfigError(f"think_time={think!r} must be (min_s, max_s) with 0 <= min <= max")
    return (float(think[0]), float(think[1]))


def _schedule(schedule: Any, seconds: float) -> list[tuple[float, Callable[[], object]]]:
    out = []
    for i, item in enumerate(schedule or ()):
        if not isinstance(item, tuple | list) or len(item) != 2 or not callable(item[1]):
            raise ConfigError(f"schedule[{i}]={item!r} must be (offset like '2s', function)")
        offset = parse_duration(item[0], field=f"schedule[{i}] offset")
        if offset > seconds:
            raise ConfigError(f"schedule[{i}] offset {item[0]!r} is after the end of the run")
        out.append((offset, item[1]))
    return sorted(out, key=lambda pair: pair[0])


def _check_reachable(url: str) -> None:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=3):
            pass
    except OSError as exc:
        raise LoadError(
            f"load target {redact_url(url)} is unreachable ({exc}); start it or check the URL "
            "and port"
        ) from exc


def _execute(
    cfg: ChildConfig,
    checks: tuple[Threshold, ...],
    progress: bool | str,
    calls: list[tuple[float, Callable[[], object]]],
    monitor: Callable[[Any], str | None] | None = None,
) -> LoadResult:
    from pulsekit.load._aggregate import Aggregate
    from pulsekit.load._process import stream
    from pulsekit.load._progress import Progress

    agg = Aggregate()
    state: dict[str, Any] = {
        "locust": {},
        "warnings": [],
        "last_eval": 0.0,
        "aborted_by": None,
        "stopped_by": None,
        "joined": [],
        "lost": [],
    }
    bar = Progress(progress, cfg.duration, f"{cfg.model} load")

    def on_message(msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "started":
            agg.start(float(msg["t0"]))
        elif kind == "interval":
            agg.add(msg)
        elif kind == "warning" and msg["message"] not in state["warnings"]:
            state["warnings"].append(msg["message"])
        elif kind == "workers":
            state["joined"] = list(msg["joined"])
        elif kind == "worker_lost":
            state["lost"].append(msg)
        elif kind == "end":
            state["locust"] = msg.get("locust", {})
            agg.stop()

    def on_tick() -> bool:
        if state["lost"] and cfg.fail_on_worker_loss and not state["stopped_by"]:
            lost = state["lost"][0]
            state["stopped_by"] = f"worker {lost['name']} ({lost['address']}) was lost"
            return True
        while calls and agg.t0 is not None and agg.elapsed() >= calls[0][0]:
            calls.pop(0)[1]()
        now = time.monotonic()
        if now - state["last_eval"] < 1.0 or agg.t0 is None:
            return False
        state["last_eval"] = now
        rps, p95, errors = agg.latest()
        bar.update(agg.elapsed(), rps, p95, errors)
        for check in checks:
            due = check.abort_on_fail and agg.elapsed() >= check.delay_abort_eval
            if due and not evaluate(check, agg).passed:
                state["aborted_by"] = check.text
                return True
        reason = monitor(agg) if monitor is not None else None
        if reason:
            state["stopped_by"] = reason
            return True
        return False

    try:
        wait = cfg.remote.wait if cfg.remote else 0.0
        status = stream(
            cfg, on_message=on_message, on_tick=on_tick, max_seconds=cfg.duration + 120 + wait
        )
        rps, p95, errors = agg.latest()
        bar.update(agg.elapsed(), rps, p95, errors)
    finally:
        bar.close()
    agg.finish()
    return _result(cfg, agg, checks, status, state)


def _result(
    cfg: ChildConfig,
    agg: Any,
    checks: tuple[Threshold, ...],
    status: str,
    state: dict[str, Any],
) -> LoadResult:
    import pandas as pd

    from pulsekit.load._aggregate import encode, spread

    timeline = pd.DataFrame.from_dict(agg.rows, orient="index")
    timeline = timeline.reindex(columns=list(TIMELINE_COLUMNS)).sort_index()
    timeline = timeline[(timeline.index >= 0)]
    timeline.index.name = "second"
    locust = state["locust"]
    rows = {}
    elapsed = max(agg.elapsed(), 1e-9)
    for key in sorted(agg.endpoints):
        n, f, lat, svc = agg.endpoints[key]
        spread_lat = spread(lat)
        rows[key] = {
            "requests": n,
            "failures": f,
            "fail_rate": f / n if n else 0.0,
            "rps": n / elapsed,
            "p50_ms": spread_lat.get("p50", math.nan),
            "p95_ms": spread_lat.get("p95", math.nan),
            "p99_ms": spread_lat.get("p99", math.nan),
            "max_ms": spread_lat.get("max", math.nan),
            "service_p99_ms": spread(svc).get("p99", math.nan),
            "locust_p99_ms": (locust.get(key) or {}).get("p99", math.nan),
            "locust_requests": (locust.get(key) or {}).get("n", 0),
        }
    endpoints = pd.DataFrame.from_dict(rows, orient="index")
    endpoints.index.name = "endpoint"
    verdicts = tuple(evaluate(check, agg) for check in checks)
    warnings = list(state["warnings"])
    lag = spread(agg.total_lag)
    if cfg.model == "open" and lag.get("p99", 0.0) > SATURATED_LAG_MS:
        warnings.append(
            f"the load generator is saturated: send lag p99 {lag['p99']:.0f} ms "
            f"(> {SATURATED_LAG_MS:.0f} ms); add workers= or lower rate="
        )
    if cfg.model == "open" and agg.dropped:
        warnings.append(
            f"{agg.dropped} arrivals dropped at the in-flight limit ({cfg.max_in_flight}); "
            "the target is too slow for this rate, or raise max_in_flight="
        )
    if state["aborted_by"]:
        warnings.append(f"aborted early: threshold {state['aborted_by']!r} failed")
    for lost in state["lost"]:
        warnings.append(
            f"worker {lost['name']} ({lost['address']}) was lost {lost['at_s']:.1f} s into the "
            "run; its share of the load was missing from then on (closed model: until Locust "
            "moves its users to the other workers, about 60 s later)"
        )
    if state["stopped_by"]:
        warnings.append(f"stopped early: {state['stopped_by']}")
    if status == "completed" and agg.t0 is None:
        raise LoadError("the Locust process reported nothing; see the pulsekit load log")
    return LoadResult(
        url=redact_url(cfg.url),  # summaries, JSON and journals never show a password
        model=cfg.model,
        status=status,
        duration_s=agg.elapsed(),
        workers=cfg.workers,
        requests=agg.requests,
        failures=agg.failures,
        arrivals=agg.arrivals,
        dropped=agg.dropped,
        latency_ms=spread(agg.total),
        service_ms=spread(agg.total_svc),
        send_lag_ms=lag,
        locust_p99_ms=(locust.get("Aggregated") or {}).get("p99"),
        timeline=timeline,
        endpoints=endpoints,
        thresholds=verdicts,
        warnings=tuple(warnings),
        errors=dict(sorted(agg.errors.items(), key=lambda kv: -kv[1])[:20]),
        histogram=encode(agg.total),
        started_at=float(int(agg.t0 or 0.0)),
        service_histogram=encode(agg.total_svc),
        lag_histogram=encode(agg.total_lag),
        endpoint_histograms={k: (encode(v[2]), encode(v[3])) for k, v in agg.endpoints.items()},
        second_histograms=dict(agg.kept),
        worker_stats={
            name: {"requests": n, "failures": f, "histogram": encode(hist)}
            for name, (n, f, hist) in sorted(agg.per_worker.items())
        },
        joined_workers=tuple(state["joined"]),
        lost_workers=tuple(lost["name"] for lost in state["lost"]),
    )
