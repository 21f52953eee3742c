"""The local demo platform: a small marketplace of real processes on 127.0.0.1.

>>> with Sandbox(replicas=3, db_replicas=2) as shop:   # doctest: +SKIP
...     print(shop.url)
...     shop.kill("db-replica-1")
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from pulsekit._types import LinkName
from pulsekit.errors import ConfigError, SandboxError, ServiceStartError
from pulsekit.sandbox import _pginstall, _procs, _state
from pulsekit.sandbox._config import DBTier, NodeRole, Role, ServiceConfig

START_TIMEOUT_S = 15.0
_SIGNAL_OF = {"kill": signal.SIGKILL, "freeze": signal.SIGSTOP, "thaw": signal.SIGCONT}


@dataclass(frozen=True)
class Service:
    """One sandbox process."""

    name: str
    role: str
    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class Link:
    """A named hop between two tiers, carried by the links process (where faults are injected)."""

    name: str
    source: str
    target: str
    listen_port: int
    upstream_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen_port}"


@dataclass
class _Proc:
    name: str
    role: str
    port: int
    argv: list[str]  # the links process's ("{fd}": its socket); a service's comes from config
    config: ServiceConfig | None = None  # what a service reads at start (None: links, postgres)
    pid: int = 0
    started: float | None = None
    popen: Any = None
    kind: str = "python"  # or "postgres": a postmaster, watched through its exporter
    exporter: _Proc | None = None
    env: dict[str, str] = field(default_factory=dict)
    sock: socket.socket | None = None  # its port, reserved (bound) until the service starts
    signalled: list[Any] = field(default_factory=list)  # a PostgreSQL node's processes, last signal


def _count(value: Any, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{field}={value!r} must be a whole number, for example {field}=2")
    if value < minimum:
        raise ConfigError(f"{field}={value} is too small; use {field}>={minimum}")
    if value > 16:
        raise ConfigError(f"{field}={value} is too many for one machine; use {field}<=16")
    return value


class Sandbox:
    """Start the shop (gateway, api replicas, database primary and replicas, payments) and its links.

    Args:
        replicas: api replicas behind the gateway.
        db_replicas: database read replicas beside the primary.
        prometheus: also start Debian's prometheus scraping every service each second.
        db_pool: connections per database node (its capacity); on the PostgreSQL tier, per api
            replica and node (each api replica holds a bounded pool to each node).
        db: "postgres" (a real primary with streaming replicas), "embedded" (SQLite nodes with
            replication in this project) or "auto" (postgres when installed, with a notice if not).
        name: register the sandbox under this name (state file) so ``status``/``down`` find it.
        detached: leave the processes running when this object goes away (``sandbox up --detach``).
        n_plus_one: plant a slow path in the api: the vendor dashboard loads its daily series one
            day at a time, 30 queries where one does (an N+1, dojo 07). Off by default.
        cache_ttl: seconds each api replica keeps a catalog read (search, product) in its own
            read-through cache; 0 (the default) reads the database every time. Change it on a
            running sandbox with :meth:`set_cache_ttl` (GameDay 05).
    """

    def __init__(
        self,
        *,
        replicas: int = 3,
        db_replicas: int = 2,
        prometheus: bool = False,
        seed: int = 42,
        db_pool: int = 4,
        name: str | None = None,
        detached: bool = False,
        run_dir: str | os.PathLike[str] | None = None,
        start_timeout: float = START_TIMEOUT_S,
        n_plus_one: bool = False,
        db: str = "auto",
        cache_ttl: float = 0.0,
    ) -> None:
        self.replicas = _count(replicas, "replicas", 1)
        self.db_replicas = _count(db_replicas, "db_replicas", 0)
        self.db_pool = _count(db_pool, "db_pool", 1)
        if not isinstance(seed, int):
            raise ConfigError(f"seed={seed!r} must be an integer")
        if name is not None:
            _state.check_name(name)
        if detached and name is None:
            raise ConfigError("detached=True needs a name so `pulsekit sandbox down` can find it")
        if not isinstance(n_plus_one, bool):
            raise ConfigError(f"n_plus_one={n_plus_one!r} must be True or False")
        self.n_plus_one = n_plus_one
        from pulsekit.sandbox._cache import check_ttl

        self.cache_ttl = check_ttl(cache_ttl)
        self.db = _pginstall.choose(db)
        if db == "auto" and self.db == "embedded":
            print(
                "pulsekit: PostgreSQL not found, using the embedded database tier; for the real "
                f"one: {_pginstall.INSTALL}",
                file=sys.stderr,
            )
        self._pg_install = _pginstall.require() if self.db == "postgres" else None
        self._pg_user = _pginstall.run_as() if self.db == "postgres" else None
        self._pg: Any = None
        self.seed = seed
        self.prometheus = bool(prometheus)
        self.name = name
        self.detached = detached
        self.start_timeout = start_timeout
        self._run_dir = Path(run_dir) if run_dir else None
        self._procs: dict[str, _Proc] = {}
        self._links: dict[str, Link] = {}
        self._prometheus: Any = None
        self._started = False
        self._own_run_dir = False

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Sandbox:
        """Start every service and wait until all are healthy (or stop them all and raise)."""
        if self._started:
            raise SandboxError("this sandbox is already running; stop() it first")
        self.run_dir = self._prepare_run_dir()
        atexit.register(self._stop_at_exit)
        self._started = True
        try:
            self._start_links()
            self._populate_links()
            self._start_services()
            if self.prometheus:
                self._start_prometheus()
        except BaseException:
            self._stop_all(keep_logs=True)  # the error quotes the logs; keep them to read
            raise
        if self.name:
            _state.save(self.name, self.state())
        return self

    def stop(self) -> None:
        """Stop every process this sandbox started (SIGTERM, then SIGKILL); safe to call twice."""
        if self.detached and self._started and self.name and _state.present(self.name):
            return  # a detached sandbox lives on until `pulsekit sandbox down`
        self._stop_all()

    def _stop_all(self, *, keep_logs: bool = False) -> None:
        atexit.unregister(self._stop_at_exit)
        if self._prometheus is not None:
            self._prometheus.stop()
            self._prometheus = None
        if self._pg is not None:
            from pulsekit.sandbox import _pgcluster

            nodes = [(p.pid, p.started) for p in self._procs.values() if p.kind == "postgres"]
            _pgcluster.stop([n for n in nodes if n[0]])
        everything = [*self._procs.values(), *self._exporters()]
        pids = [(p.pid, p.started) for p in everything if p.pid and p.kind == "python"]
        _procs.terminate(pids)
        for proc in everything:
            if proc.popen is not None:
                proc.popen.poll()
        if self._pg is not None:
            self._pg.remove()
            self._pg = None
        if self.name and self._started:
            _state.remove(self.name)
        if self._own_run_dir and self._started and not keep_logs:
            shutil.rmtree(self.run_dir, ignore_errors=True)  # an unnamed run leaves nothing behind
        self._started = False

    def _stop_at_exit(self) -> None:
        if not self.detached:
            self._stop_all()

    # -- the public view -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The gateway: the shop's front door."""
        return self._url("gateway")

    @property
    def proxy_url(self) -> str:
        """The Toxiproxy-compatible API of the process that carries every link."""
        return self._url("links")

    @property
    def prometheus_url(self) -> str | None:
        """Prometheus's URL when started with ``prometheus=True``."""
        return None if self._prometheus is None else str(self._prometheus.url)

    @property
    def services(self) -> dict[str, Service]:
        return {n: Service(n, p.role, p.pid, p.port) for n, p in self._procs.items()}

    @property
    def links(self) -> dict[str, Link]:
        return dict(self._links)

    @property
    def metrics_targets(self) -> dict[str, str]:
        """Service name -> its Prometheus ``/metrics`` URL (a PostgreSQL node's: its exporter's)."""
        return {
            n: f"http://127.0.0.1:{(p.exporter or p).port}/metrics" for n, p in self._procs.items()
        }

    def _exporters(self) -> list[_Proc]:
        return [p.exporter for p in self._procs.values() if p.exporter is not None]

    def is_running(self, name: str) -> bool:
        proc = self._proc(name)
        return _procs.alive(proc.pid, proc.started)

    def state(self) -> dict[str, Any]:
        """A JSON-ready description: URLs, services (pid, port, alive) and links."""
        return {
            "name": self.name,
            "url": self.url,
            "proxy_url": self.proxy_url,
            "prometheus_url": self.prometheus_url,
            "prometheus_pid": None if self._prometheus is None else self._prometheus.pid,
            # with the PID's start time, `down` never signals a process that reused the PID
            "prometheus_started": None
            if self._prometheus is None
            else _procs.create_time(self._prometheus.pid),
            "run_dir": str(self.run_dir),
            "db": self.db,
            "helpers": {
                p.name: {"pid": p.pid, "started": p.started} for p in self._exporters() if p.pid
            },
            "services": {
                n: {
                    "role": p.role,
                    "pid": p.pid,
                    "port": p.port,
                    "started": p.started,
                    "alive": _procs.alive(p.pid, p.started),
                }
                for n, p in self._procs.items()
            },
            "links": {
                n: {
                    "source": k.source,
                    "target": k.target,
                    "listen_port": k.listen_port,
                    "upstream_port": k.upstream_port,
                }
                for n, k in self._links.items()
            },
        }

    # -- acting on services ----------------------------------------------------------------
    def kill(self, name: str) -> None:
        """SIGKILL a service, as a crash would."""
        proc = self._signal(name, "kill")
        if proc.popen is not None:
            proc.popen.wait(timeout=10)
        else:
            _procs.wait_until(lambda: not _procs.alive(proc.pid, proc.started), 10)
        for backend in proc.signalled:  # a PostgreSQL node: every backend too
            _procs.wait_until(lambda b=backend: not b.is_running(), 10)
        if proc.exporter is not None and proc.exporter.popen is not None:
            proc.exporter.popen.wait(timeout=10)

    def freeze(self, name: str) -> None:
        """SIGSTOP a service: it keeps its sockets but answers nothing (a hung process).

        Returns once the kernel reports the process stopped.
        """
        proc = self._signal(name, "freeze")
        _procs.wait_until(lambda: _procs.stopped(proc.pid), 5)

    def thaw(self, name: str) -> None:
        """SIGCONT a frozen service; returns once it runs again."""
        proc = self._signal(name, "thaw")
        _procs.wait_until(lambda: not _procs.stopped(proc.pid), 5)

    def restart(self, name: str, *, timeout: float = START_TIMEOUT_S) -> Service:
        """Start a service again on the same port (killing it first if it still runs)."""
        proc = self._proc(name)
        if _procs.alive(proc.pid, proc.started):
            self.kill(name)
        if proc.kind == "postgres":
            from pulsekit.sandbox import _pgtier

            exporter = proc.exporter
            if exporter is not None and _procs.alive(exporter.pid, exporter.started):
                _procs.terminate([(exporter.pid, exporter.started)])
            _pgtier.restart(self._pg, proc)
            if exporter is not None:
                self._spawn(exporter)
        else:
            self._spawn(proc)
        self._wait_healthy([proc], timeout)
        if name == "links":
            self._populate_links()
        if self.name:
            _state.save(self.name, self.state())
        return self.services[name]

    def deploy(
        self, name: str, version: str = "good", *, timeout: float = START_TIMEOUT_S
    ) -> Service:
        """Restart api replica ``name`` as build ``version``: "good", "faulty" (500 on every
        product read, yet healthy on ``/healthz``) or "slow" (product reads 800 ms late)."""
        from pulsekit.sandbox import _knobs

        _knobs.check_version(self._proc(name), version)
        return self.restart(name, timeout=timeout)

    def version(self, name: str) -> str:
        """The build an api replica runs ("good" unless :meth:`deploy` said otherwise)."""
        config = self._proc(name).config
        return "good" if config is None else config.version

    def set_cache_ttl(self, seconds: float, name: str | None = None) -> dict[str, float]:
        """Set the catalog cache's TTL on api replica ``name`` (None: every replica), live, through
        its control endpoint; returns each replica's previous TTL. A restart keeps the new TTL."""
        from pulsekit.sandbox import _knobs

        names = [name] if name else [n for n, p in self._procs.items() if p.role == "api"]
        return _knobs.set_cache_ttl([self._proc(n) for n in names], seconds)

    def wait_healthy(self, timeout: float = 10.0) -> None:
        """Poll until every running service answers ``/healthz``."""
        running = [p for p in self._procs.values() if _procs.alive(p.pid, p.started)]
        self._wait_healthy(running, timeout)

    def _signal(self, name: str, action: str) -> _Proc:
        proc = self._proc(name)
        if not _procs.alive(proc.pid, proc.started):
            raise SandboxError(
                f"cannot {action} {name}: it is not running; restart it with restart({name!r})"
            )
        if proc.kind == "postgres":
            from pulsekit.sandbox import _pgcluster

            # the whole machine: postmaster, every backend, and its exporter (so a killed node
            # leaves scrape gaps and a frozen one times scrapes out, as on the embedded tier)
            proc.signalled = _pgcluster.signal_tree(proc.pid, proc.started, _SIGNAL_OF[action])
            helper = proc.exporter
            if helper is not None and _procs.alive(helper.pid, helper.started):
                os.kill(helper.pid, _SIGNAL_OF[action])
        else:
            os.kill(proc.pid, _SIGNAL_OF[action])
        return proc

    def _proc(self, name: str) -> _Proc:
        if not self._started:
            raise SandboxError(
                "the sandbox is not running; use `with Sandbox() as shop:` or start()"
            )
        if name not in self._procs:
            known = ", ".join(sorted(self._procs))
            raise ConfigError(f"unknown service {name!r}; the services are: {known}")
        return self._procs[name]

    def _url(self, name: str) -> str:
        if name not in self._procs:
            raise SandboxError(
                "the sandbox is not running; use `with Sandbox() as shop:` or start()"
            )
        return f"http://127.0.0.1:{self._procs[name].port}"

    # -- start-up machinery ----------------------------------------------------------------
    def _prepare_run_dir(self) -> Path:
        if self.name:
            _state.clear_if_stale(self.name)
            existing = _state.load(self.name)
            if existing:
                raise SandboxError(
                    f"a sandbox named {self.name!r} is already running at {existing.get('url')}; "
                    f"stop it with `pulsekit sandbox down --name {self.name}` or pick another name"
                )
            run_dir = _state.directory(self.name)
        else:
            self._own_run_dir = self._run_dir is None
            run_dir = self._run_dir or Path(tempfile.mkdtemp(prefix="pulsekit-sandbox-"))
            if self._run_dir is None and self._pg_user is not None:
                from pulsekit.sandbox._pgcluster import let_traverse

                let_traverse(run_dir, self._pg_user)
        try:
            (run_dir / "logs").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SandboxError(
                f"run_dir {run_dir} cannot be used ({exc.strerror}); pass a folder you can write"
            ) from exc
        return run_dir

    def _parent_pid(self) -> int | None:
        # services are forked by _procs' long-lived spawner thread, so the death signal holds
        # whichever thread started this sandbox
        return None if self.detached else os.getpid()

    def _plan(self) -> list[_Proc]:
        plan = [("gateway", "gateway")]
        plan += [(f"api-{i}", "api") for i in range(1, self.replicas + 1)]
        plan += [("db-primary", "db-primary")]
        plan += [(f"db-replica-{i}", "db-replica") for i in range(1, self.db_replicas + 1)]
        plan += [("payments", "payments")]
        procs = [_Proc(name, role, 0, []) for name, role in plan]
        for proc in procs:
            if self.db == "postgres" and proc.role in ("db-primary", "db-replica"):
                proc.kind = "postgres"
        return procs

    def _start_links(self) -> None:
        proc = _Proc("links", "links", 0, [])
        proc.argv = ["-m", "pulsekit.sandbox._links", "--fd", "{fd}"]
        if self._parent_pid():
            proc.argv += ["--parent", str(self._parent_pid())]
        self._procs["links"] = proc
        for planned in self._plan():
            self._procs[planned.name] = planned
        self._spawn(proc)
        self._wait_healthy([proc], self.start_timeout)

    def _link_specs(self) -> list[dict[str, Any]]:
        specs = []
        for proc in self._procs.values():
            if proc.role == "api":
                specs.append(("gateway", proc.name))
            elif proc.role in ("db-primary", "db-replica", "payments"):
                specs.append(("api", proc.name))
        links = [
            {
                "name": str(LinkName(src, dst)),
                "listen": "127.0.0.1:0",
                "upstream": f"127.0.0.1:{self._port_of(dst)}",
                "enabled": True,
            }
            for src, dst in specs
        ]
        if self.db == "postgres":  # the WAL stream: each replica dials the primary through it
            links += [
                {
                    "name": str(LinkName("db-primary", p.name)),
                    "listen": "127.0.0.1:0",
                    "upstream": f"127.0.0.1:{self._port_of('db-primary')}",
                    "enabled": True,
                }
                for p in self._procs.values()
                if p.role == "db-replica"
            ]
        return links

    def _port_of(self, name: str) -> int:
        proc = self._procs[name]
        if not proc.port:  # reserve the service's port now: its socket is bound until it starts
            proc.sock = _procs.bind()
            proc.port = proc.sock.getsockname()[1]
        return proc.port

    def _populate_links(self) -> None:
        specs = self._link_specs()
        for spec in specs:
            if spec["name"] in self._links:  # re-populating after a restart: keep the ports
                spec["listen"] = f"127.0.0.1:{self._links[spec['name']].listen_port}"
        try:
            answer = _procs.http_json(f"{self.proxy_url}/populate", specs)
        except OSError as exc:
            raise ServiceStartError(
                f"links: could not create the links ({exc}); log tail:\n"
                + _procs.tail(self.run_dir / "logs" / "links.log")
            ) from exc
        for item in answer["proxies"]:
            hop = LinkName.parse(item["name"])
            self._links[item["name"]] = Link(
                item["name"],
                hop.source,
                hop.target,
                int(item["listen"].rsplit(":", 1)[1]),
                int(item["upstream"].rsplit(":", 1)[1]),
            )

    def _service_config(self, proc: _Proc) -> ServiceConfig:
        primary = f"http://127.0.0.1:{self._procs['db-primary'].port}"
        return ServiceConfig(
            name=proc.name,
            role=cast(Role, proc.role),
            parent_pid=self._parent_pid(),
            seed=self.seed,
            db=cast(DBTier, self.db),
            db_pool=self.db_pool,
            n_plus_one=self.n_plus_one,
            cache_ttl=self.cache_ttl,
            # the links this tier dials, by their source (the gateway's, the api's; none for others)
            links={n: k.url for n, k in self._links.items() if k.source == proc.role},
            primary_url=primary if proc.role == "db-replica" else None,
        )

    def _start_services(self) -> None:
        procs = [p for p in self._procs.values() if p.role != "links"]
        if self.db == "postgres":
            self._pg = self._new_cluster()
        for proc in procs:
            if proc.kind == "postgres":
                continue
            proc.config = self._service_config(proc)
            if self._pg is not None:
                proc.env = {"PULSEKIT_DB_PASSWORD": self._pg.password}
            self._spawn(proc)
        if self._pg is not None:
            self._start_postgres([p for p in procs if p.kind == "postgres"])
        self._wait_healthy(procs, self.start_timeout)

    def _new_cluster(self) -> Any:
        from pulsekit.sandbox._pgcluster import Cluster

        replicas = self.replicas
        return Cluster(
            self._pg_install,  # type: ignore[arg-type]
            self._pg_user,  # type: ignore[arg-type]
            self.run_dir,
            max_connections=replicas * (self.db_pool + 1) + 20,
            parent_pid=self._parent_pid(),
        )

    def _start_postgres(self, nodes: list[_Proc]) -> None:
        from pulsekit.sandbox import _pgtier

        streams = {
            k.target: k.listen_port for k in self._links.values() if k.source == "db-primary"
        }
        for node in nodes:  # first, so they start up while the nodes do (they retry until then)
            exporter = _Proc(f"{node.name}-exporter", "pg-exporter", 0, [])
            exporter.config = ServiceConfig(
                name=node.name,
                role="pg-exporter",
                parent_pid=self._parent_pid(),
                node_role=cast(NodeRole, node.role),
                pg_port=node.port,
            )
            exporter.env = {"PULSEKIT_DB_PASSWORD": self._pg.password}
            node.exporter = exporter
            self._spawn(exporter)
        _pgtier.start(self._pg, nodes, seed=self.seed, stream_ports=streams)

    def _spawn(self, proc: _Proc) -> None:
        sock, proc.sock = proc.sock or _procs.bind(proc.port), None
        proc.port = sock.getsockname()[1]
        try:
            if proc.config is not None:
                argv = _procs.service_argv(replace(proc.config, fd=sock.fileno()))
            else:
                argv = [a.replace("{fd}", str(sock.fileno())) for a in proc.argv]
            proc.popen = _procs.spawn(
                argv,
                fd=sock.fileno(),
                log=self.run_dir / "logs" / f"{proc.name}.log",
                detached=self.detached,
                env=proc.env,
            )
        finally:
            sock.close()  # the child holds it now; closing ours lets a crash refuse connections
        proc.pid = proc.popen.pid
        proc.started = _procs.create_time(proc.pid)

    def _wait_healthy(self, procs: list[_Proc], timeout: float) -> None:
        _procs.wait_healthy(procs, self.run_dir / "logs", timeout)

    def _start_prometheus(self) -> None:
        from pulsekit.observe.server import PrometheusServer

        targets = {n: u for n, u in self.metrics_targets.items()}
        self._prometheus = PrometheusServer(targets, scrape_interval="1s", run_dir=self.run_dir)
        self._prometheus.start()
