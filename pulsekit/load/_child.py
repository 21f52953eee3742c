"""The Locust side of a run: runs only in child processes (``python -m pulsekit.load._child``).

Importing locust monkey-patches the whole process with gevent, so the parent never imports this
module. Each Locust process records latency into HdrHistograms and ships one additive interval
record a second (to the parent's pipe, or to the master over Locust's own channel).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

from pulsekit.load._config import ChildConfig
from pulsekit.load._remote import Joiner
from pulsekit.load.shapes import RateStages, UserStages

LOWEST, HIGHEST, DIGITS = 1, 60_000_000, 3  # microseconds: 1 µs .. 60 s, 3 significant digits
DRAIN_S = 3.0  # how long in-flight open-model requests may finish after the plan ends


def _clamp(us: float) -> int:
    return int(min(max(us, LOWEST), HIGHEST))


class Recorder:
    """Per-second buckets of per-endpoint latency histograms (intended-start and service time)."""

    def __init__(self) -> None:
        import gevent

        self._current = gevent.getcurrent
        self.buckets: dict[int, dict[str, Any]] = {}
        self.free: list[Any] = []
        self.intended: dict[Any, float] = {}  # greenlet -> intended start of its arrival (epoch s)

    def _hist(self) -> Any:
        from hdrh.histogram import HdrHistogram

        return self.free.pop() if self.free else HdrHistogram(LOWEST, HIGHEST, DIGITS)

    def bucket(self, sec: int) -> dict[str, Any]:
        b = self.buckets.get(sec)
        if b is None:
            b = {"ep": {}, "lag": None, "arrivals": 0, "dropped": 0, "errors": {}}
            self.buckets[sec] = b
        return b

    def error(self, message: str) -> None:
        errors = self.bucket(int(time.time()))["errors"]
        if message in errors or len(errors) < 20:
            errors[message] = errors.get(message, 0) + 1

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        exception: BaseException | None = None,
        start_time: float | None = None,
        **_: Any,
    ) -> None:
        b = self.bucket(int(time.time()))
        key = f"{request_type} {name}"
        ep = b["ep"].get(key)
        if ep is None:
            ep = b["ep"][key] = [0, 0, self._hist(), self._hist()]
        svc = (response_time or 0.0) * 1000.0
        lat = svc
        intended = self.intended.pop(self._current(), None)
        if intended is not None and start_time is not None:
            lag = max(0.0, start_time - intended) * 1e6
            lat = svc + lag
            if b["lag"] is None:
                b["lag"] = self._hist()
            b["lag"].record_value(_clamp(lag))
        ep[0] += 1
        if exception is not None:
            ep[1] += 1
            self.error(f"{key}: {type(exception).__name__}: {str(exception)[:160]}")
        ep[2].record_value(_clamp(lat))
        ep[3].record_value(_clamp(svc))

    def _encode(self, hist: Any) -> str:
        blob = hist.encode()
        hist.reset()
        self.free.append(hist)
        return blob.decode() if isinstance(blob, bytes) else str(blob)

    def flush(self, *, users: int, inflight: int, force: bool = False) -> list[dict[str, Any]]:
        """Interval records of every finished second (all of them when ``force``)."""
        now = int(time.time())
        self.bucket(now - 1)  # one record a second even when idle, so users/dropped show
        out = []
        for sec in sorted(self.buckets):
            if sec >= now and not force:
                continue
            b = self.buckets.pop(sec)
            eps = {
                k: [v[0], v[1], self._encode(v[2]), self._encode(v[3])] for k, v in b["ep"].items()
            }
            out.append(
                {
                    "type": "interval",
                    "sec": sec,
                    "ep": eps,
                    "lag": self._encode(b["lag"]) if b["lag"] is not None else None,
                    "arrivals": b["arrivals"],
                    "dropped": b["dropped"],
                    "errors": b["errors"],
                    "users": users,
                    "inflight": inflight,
                }
            )
        return out


class Arrivals:
    """Open-model state of one process: the plan, idle virtual users, in-flight arrivals."""

    def __init__(self, cfg: ChildConfig, recorder: Recorder, index: int) -> None:
        from gevent.pool import Group

        self.cfg, self.recorder, self.index = cfg, recorder, index
        self.stages: RateStages = cfg.rate_stages()
        self.share = 1.0 / max(1, cfg.workers)
        self.limit = max(1, int(cfg.max_in_flight * self.share))
        self.group = Group()
        self.idle: dict[type, list[Any]] = {}
        self.started = False
        self.finished = False  # every planned arrival was started and the drain is over
        self.on_done: Any = None

    def drive(self, environment: Any, vu_classes: list[Any]) -> None:
        import random

        import gevent

        from pulsekit.load.shapes import arrival_times, peak

        if self.started:  # Locust re-dispatched our scheduler user after a lost worker
            return
        self.started = True
        weights = [max(1, int(getattr(c, "weight", 1) or 1)) for c in vu_classes]
        for cls in vu_classes:
            if getattr(cls, "host", None) is None:
                cls.host = environment.host
        gevent.get_hub().loop.update_now()  # libev's cached clock is stale after a busy start
        start = time.time()
        offset = self.index / max(peak(self.stages), 1e-9)
        for t in arrival_times(self.stages, share=self.share, offset=offset):
            intended = start + t
            delay = intended - time.time()
            if delay > 0:
                gevent.sleep(delay)
            b = self.recorder.bucket(int(time.time()))
            b["arrivals"] += 1
            if len(self.group) >= self.limit:
                b["dropped"] += 1
                continue
            cls = random.choices(vu_classes, weights)[0]
            self.group.spawn(self._arrival, environment, cls, intended)
        self.group.join(timeout=DRAIN_S)
        self.finished = True
        if self.on_done is not None:
            self.on_done()

    def _arrival(self, environment: Any, cls: type, intended: float) -> None:
        import random

        import gevent
        from locust.exception import InterruptTaskSet, RescheduleTask, StopUser

        idle = self.idle.setdefault(cls, [])
        vu = idle.pop() if idle else None
        me = gevent.getcurrent()
        try:
            if vu is None:
                vu = cls(environment)
                vu.on_start()
            tasks = getattr(vu, "tasks", None) or []
            if not tasks:
                raise TypeError(f"{cls.__name__} has no @task methods")
            chosen = random.choice(tasks)
            if isinstance(chosen, type):
                raise TypeError(f"{cls.__name__}: TaskSet tasks are not supported with rate=")
            self.recorder.intended[me] = intended
            chosen(vu)
        except (StopUser, RescheduleTask, InterruptTaskSet):
            pass
        except Exception as exc:  # a task's own error: count it, keep the run going
            self.recorder.error(f"task error: {type(exc).__name__}: {str(exc)[:160]}")
        finally:
            self.recorder.intended.pop(me, None)
            if vu is not None:
                idle.append(vu)


def _import_object(spec: str) -> Any:
    import importlib

    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _user_classes(cfg: ChildConfig, index: int) -> tuple[list[type], Any]:
    """The configured user classes and the LoadTestShape class (or None)."""
    from pulsekit.load import _mixes

    shape = _import_object(cfg.shape_class) if cfg.shape_class else None
    if cfg.locustfile:
        from locust.util.load_locustfile import load_locustfile

        users, shapes = load_locustfile(cfg.locustfile)
        if not users:
            raise ValueError(f"locustfile {cfg.locustfile} defines no User class")
        if shape is None and shapes:
            shape = type(shapes[0])
        return list(users.values()), shape
    if cfg.user_class:
        return [_import_object(cfg.user_class)], shape
    seed = cfg.seed + index if cfg.seed is not None else time.time_ns()
    cls = _mixes.build(cfg.mix or "shopper", think=cfg.think, seed=seed, request=cfg.request)
    return [cls], shape


def _scheduler_class(arrivals: Arrivals, vu_classes: list[type]) -> type:
    from locust import User, constant, task

    class PulsekitArrivals(User):
        """One per process: starts the planned arrivals of the open model."""

        wait_time = constant(3600)

        @task
        def drive(self) -> None:
            arrivals.drive(self.environment, vu_classes)

    return PulsekitArrivals


def _stages_shape(plan: UserStages) -> type:
    from locust import LoadTestShape

    from pulsekit.load.shapes import total_duration, value_at

    end = total_duration(plan)

    class PulsekitStages(LoadTestShape):
        def tick(self) -> tuple[int, float] | None:
            t = self.get_run_time()
            if t >= end:
                return None
            users = round(value_at(plan, t))
            return users, float(max(users, 1))

    return PulsekitStages


def _locust_stats(env: Any) -> dict[str, Any]:
    def one(entry: Any) -> dict[str, Any]:
        if not entry.num_requests:
            return {"n": 0, "f": entry.num_failures}
        return {
            "n": entry.num_requests,
            "f": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "max": entry.max_response_time,
        }

    out = {f"{e.method} {e.name}": one(e) for e in env.stats.entries.values()}
    out["Aggregated"] = one(env.stats.total)
    return out


@dataclass(frozen=True)
class Invocation:
    """How this process was started: ``CONFIG local|master --fd N`` or ``CONFIG worker PORT INDEX``."""

    config: str
    role: str = "local"
    fd: int = -1  # the parent's pipe (local and master): where records go
    port: int = 0  # the master's port (master and worker)
    index: int = 0  # the worker's number (0 for local and master)

    @classmethod
    def parse(cls, argv: list[str]) -> Invocation:
        config, role, *rest = [*argv, "local"] if len(argv) == 1 else argv
        if role == "worker":
            return cls(config, role, port=int(rest[0]), index=int(rest[1]))
        if role not in ("local", "master"):
            raise ValueError(f"role {role!r} is not local, master or worker")
        fd = int(rest[1]) if rest[:1] == ["--fd"] and len(rest) > 1 else -1
        return cls(config, role, fd=fd)


def main(argv: list[str] | None = None) -> int:
    """``python -m pulsekit.load._child CONFIG.json [local|master --fd N | worker PORT INDEX]``."""
    inv = Invocation.parse(list(sys.argv[1:] if argv is None else argv))
    cfg = ChildConfig.read(inv.config)
    procs: list[subprocess.Popen[bytes]] = []
    if inv.role == "master":
        procs, port = _spawn_workers(inv.config, cfg)  # before importing locust: imports overlap
        inv = replace(inv, port=port)
    import gevent
    import gevent.event
    import locust  # noqa: F401  (monkey-patches this process with gevent)
    from locust.env import Environment
    from locust.log import setup_logging

    role = inv.role
    setup_logging("WARNING")
    if cfg.seed is not None:
        import random

        random.seed(cfg.seed + inv.index)
    fd = inv.fd

    def emit(obj: dict[str, Any]) -> None:
        data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        try:
            while data:
                data = data[os.write(fd, data) :]
        except OSError:
            os._exit(3)  # the parent is gone: nobody to report to

    ppid = os.getppid()

    def orphan_watch(stop: Any) -> None:
        while True:
            gevent.sleep(0.5)
            if os.getppid() != ppid:
                stop()
                gevent.sleep(5)
                os._exit(3)

    try:
        classes, shape = _user_classes(cfg, inv.index)
    except Exception as exc:
        if role == "worker":
            raise
        emit({"type": "error", "message": f"{type(exc).__name__}: {exc}"})
        return 2

    recorder = Recorder()
    arrivals = Arrivals(cfg, recorder, inv.index) if cfg.model == "open" else None
    run_classes = [_scheduler_class(arrivals, classes)] if arrivals else classes
    shape_obj = None
    if role != "worker":
        if arrivals is None and shape is not None:
            shape_obj = shape()
        elif arrivals is None and cfg.shaped:
            shape_obj = _stages_shape(cfg.user_stages())()
    env = Environment(user_classes=run_classes, shape_class=shape_obj, host=cfg.url)

    if role == "worker":
        return _worker(env, recorder, arrivals, inv, orphan_watch, cfg)

    env.events.request.add_listener(recorder.on_request)
    runner: Any
    workers = cfg.workers
    plans_done: list[Any] = []
    joiner: Joiner | None = None
    if role == "master":
        remote = cfg.remote
        try:
            runner = env.create_master_runner(
                remote.host if remote else "127.0.0.1", remote.port if remote else inv.port
            )
        except Exception as exc:  # RPCError: the address is not ours, or the port is taken
            emit({"type": "error", "message": f"master_bind: cannot listen ({exc})"})
            return 2
        runner.register_message("pk_interval", lambda msg, **_: emit(msg.data))
        runner.register_message("pk_warning", lambda msg, **_: emit(msg.data))
        runner.register_message("pk_done", lambda msg, **_: plans_done.append(msg.data))
        if remote is not None:
            joiner = Joiner(runner, cfg, remote, emit)
            problem = joiner.wait(remote.wait)
            if problem:
                runner.quit()  # first: joined workers get "quit" before the parent stops us
                emit({"type": "error", "message": problem, "config": True})
                return 2
        deadline = time.time() + 60
        while runner.worker_count < workers:
            if time.time() > deadline or any(p.poll() is not None for p in procs):
                emit({"type": "error", "message": f"only {runner.worker_count}/{workers} workers"})
                for p in procs:
                    p.kill()
                return 2
            gevent.sleep(0.1)
    else:
        runner = env.create_local_runner()
    env.events.init.fire(environment=env, runner=runner, web_ui=None)
    env.events.cpu_warning.add_listener(
        lambda **kw: emit({"type": "warning", "message": "load generator CPU above 90%"})
    )

    done = gevent.event.Event()
    reason = {"why": "completed"}

    def stop(why: str = "completed") -> None:
        if not done.is_set():
            reason["why"] = why
            done.set()

    gevent.signal_handler(signal.SIGTERM, lambda: stop("interrupted"))
    gevent.spawn(orphan_watch, lambda: stop("interrupted"))

    def ticker() -> None:
        while not done.is_set():
            gevent.sleep(1.0 - (time.time() % 1.0) + 0.02)
            inflight = len(arrivals.group) if arrivals else 0
            users = inflight if arrivals else _users(runner, role)
            for rec in recorder.flush(users=users, inflight=inflight):
                emit(rec)

    if arrivals is not None:
        env.events.test_stopping.add_listener(lambda **_: arrivals.group.join(timeout=DRAIN_S))

    emit({"type": "started", "t0": time.time(), "workers": workers})
    if shape_obj is not None:
        runner.start_shape()
    elif arrivals is not None:
        runner.start(max(1, workers), float(max(1, workers)))
    else:
        runner.start(cfg.users or 1, cfg.spawn_rate)
    gevent.spawn(ticker)
    t0 = time.time()
    end = t0 + cfg.duration  # wall clock: gevent timers can fire early
    while not done.wait(timeout=0.1):
        if joiner is not None:
            joiner.check_lost(time.time() - t0)
        if arrivals is not None:  # open model: stop when every planned arrival was made
            alive = workers - (len(joiner.lost) if joiner else 0)
            finished = arrivals.finished if role == "local" else len(plans_done) >= alive
            if finished or time.time() >= end + 2 * DRAIN_S:
                stop()
        elif time.time() >= end or (shape_obj is not None and runner.state == "stopped"):
            stop()
    runner.stop()
    inflight = len(arrivals.group) if arrivals else 0
    for rec in recorder.flush(users=0, inflight=inflight, force=True):
        emit(rec)
    gevent.sleep(0.2)  # last worker reports
    emit({"type": "end", "reason": reason["why"], "locust": _locust_stats(env)})
    runner.quit()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    return 0


def _spawn_workers(config: str, cfg: ChildConfig) -> tuple[list[subprocess.Popen[bytes]], int]:
    """Start the worker processes on a port that was free a moment ago (they retry connecting)."""
    from pulsekit._util import free_port

    if cfg.remote is not None:
        return [], 0  # workers on other hosts join by themselves
    port = free_port()
    procs = []
    with open(cfg.log + ".workers", "ab") as log:
        for i in range(cfg.workers):
            cmd = [
                sys.executable,
                "-m",
                "pulsekit.load._child",
                config,
                "worker",
                str(port),
                str(i),
            ]
            procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log))
    return procs, port


def _users(runner: Any, role: str) -> int:
    if role == "master":
        return 0  # workers report their own users; the parent adds them up
    return int(runner.user_count)


def _worker(
    env: Any,
    recorder: Recorder,
    arrivals: Arrivals | None,
    inv: Invocation,
    watch: Any,
    cfg: ChildConfig,
) -> int:
    import gevent

    env.events.request.add_listener(recorder.on_request)
    runner = env.create_worker_runner(cfg.master_host, inv.port)
    name = cfg.worker_name or f"local-{inv.index}"
    if cfg.worker_name:  # a worker on another host: the master maps Locust's id to it
        runner.send_message("pk_joined", {"name": name, "client_id": runner.client_id})

    def send(force: bool = False) -> None:
        inflight = len(arrivals.group) if arrivals else 0
        users = inflight if arrivals else int(runner.user_count)
        for rec in recorder.flush(users=users, inflight=inflight, force=force):
            rec["worker"] = name
            runner.send_message("pk_interval", rec)

    def ticker() -> None:
        while True:
            gevent.sleep(1.0 - (time.time() % 1.0) + 0.02)
            send()

    def on_stopping(**_: Any) -> None:
        if arrivals is not None:
            arrivals.group.join(timeout=DRAIN_S)

    env.events.test_stopping.add_listener(on_stopping)

    def on_stop(**_: Any) -> None:
        send(force=True)
        runner._send_stats()  # Locust's own counts reach the master before "client_stopped"

    env.events.test_stop.add_listener(on_stop)
    env.events.cpu_warning.add_listener(
        lambda **kw: runner.send_message(
            "pk_warning", {"type": "warning", "message": f"worker {inv.index} CPU above 90%"}
        )
    )
    gevent.spawn(ticker)
    if arrivals is not None:
        arrivals.on_done = lambda: runner.send_message("pk_done", {"index": str(inv.index)})
    gevent.spawn(watch, runner.quit)
    runner.greenlet.join()
    return 0


if __name__ == "__main__":
    code = main()
    logging.shutdown()
    os._exit(code)  # skip gevent's slow interpreter teardown: everything is reported already
