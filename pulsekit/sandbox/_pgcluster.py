"""PostgreSQL nodes of one sandbox: data folders, initdb, seeding, streaming replicas, start and stop.

Each node is a real ``postgres`` postmaster on 127.0.0.1, run as an unprivileged user (as root:
Debian's ``postgres`` system user), its data folder under the sandbox's own folder (``db/<node>``).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

from pulsekit.errors import SandboxError, ServiceStartError
from pulsekit.sandbox import _cgroup, _procs
from pulsekit.sandbox._pginstall import Install, RunAs
from pulsekit.sandbox._queries import PG_INDEXES, PG_SCHEMA
from pulsekit.sandbox._seed import rows

USER = "pk"
DATABASE = "shop"
CPUS_PER_NODE = 0.5
_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = {max_connections}
shared_buffers = 16MB
wal_level = replica
max_wal_senders = 20
min_wal_size = 4MB
max_wal_size = 64MB
wal_keep_size = 64MB
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 500ms
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
log_line_prefix = '%m [%p] '
"""


def _reachable(path: Path, user: RunAs) -> bool:
    """True when ``user`` may traverse every folder down to ``path`` (checked from the mode bits)."""
    if user.uid is None:
        return True
    import grp

    groups = {g.gr_gid for g in grp.getgrall() if user.name in g.gr_mem} | {user.gid}
    for folder in [path, *path.parents]:
        st = folder.stat()
        if st.st_uid == user.uid:
            bit = stat.S_IXUSR
        elif st.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def _give(path: Path, user: RunAs, mode: int = 0o700) -> None:
    if user.uid is not None and user.gid is not None:
        os.chown(path, user.uid, user.gid)
    path.chmod(mode)


def let_traverse(folder: Path, user: RunAs) -> None:
    """Let the server user (only it, through its group) traverse a folder the sandbox created."""
    if user.uid is not None and user.gid is not None:
        os.chown(folder, os.geteuid(), user.gid)
        folder.chmod(0o710)


class Cluster:
    """The primary and replicas of one sandbox as postmaster processes."""

    def __init__(
        self,
        install: Install,
        user: RunAs,
        run_dir: Path,
        *,
        max_connections: int,
        parent_pid: int | None,
    ) -> None:
        self.install = install
        self.user = user
        self.run_dir = run_dir
        self.logs = run_dir / "logs"
        self.max_connections = max_connections
        self.parent_pid = parent_pid
        self.password = secrets.token_urlsafe(18)  # this sandbox's own, set on the primary at start
        self.admin_password = self.password  # the data folder's current one (a template's)
        self.groups: dict[str, _cgroup.CpuGroup] = {}
        self.cpu = "not tried"
        self.root = self._data_root()

    # -- folders -------------------------------------------------------------------------
    def _data_root(self) -> Path:
        link = self.run_dir / "db"
        clean_stale_sandboxes()
        clean_stale(link)
        if link.exists() or link.is_symlink():
            raise SandboxError(
                f"{link} holds the database of a sandbox that is still running; "
                "stop it first or pick another run_dir"
            )
        if _reachable(self.run_dir, self.user):
            link.mkdir()
            _give(link, self.user)
            target = link
        else:  # e.g. a state folder under /root: keep the data beside it in a folder the user reaches
            target = Path(tempfile.mkdtemp(prefix="pulsekit-db-"))
            let_traverse(target, self.user)
            target = target / "db"
            target.mkdir()
            _give(target, self.user)
            link.symlink_to(target)
        owner = json.dumps({"pid": os.getpid(), "started": _procs.create_time(os.getpid())})
        for folder in {self.run_dir, target.parent}:  # the fallback folder is found on its own too
            (folder / "db.owner.json").write_text(owner)
        return target

    def data(self, name: str) -> Path:
        return self.root / name

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    # -- running things as the server user -------------------------------------------------
    def _preexec(self, group: _cgroup.CpuGroup | None, die: bool) -> Callable[[], None]:
        user, parent = self.user, self.parent_pid

        def run() -> None:
            if group is not None:
                # another sandbox's start may have removed the (empty) group a moment ago: the
                # node then runs without its CPU cap rather than not at all
                with contextlib.suppress(OSError):
                    group.procs.write_text(str(os.getpid()))
            if user.uid is not None and user.gid is not None:
                os.setgroups([])
                os.setgid(user.gid)
                os.setuid(user.uid)
            if die and parent:  # after setuid: changing credentials clears the death signal
                ctypes.CDLL("libc.so.6").prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG

        return run

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(PGPASSWORD=self.password, LC_ALL="C", TZ="UTC")
        return env

    def _tool(self, node: str, argv: list[str], timeout: float = 60) -> None:
        with _procs.open_log(self.log(node)) as out:
            try:
                result = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.root,
                    env=self._env(),
                    preexec_fn=self._preexec(None, die=False),
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise ServiceStartError(
                    f"{node}: {Path(argv[0]).name} did not finish in {timeout:.0f} s; log tail:\n"
                    + _procs.tail(self.log(node))
                ) from exc
        if result.returncode != 0:
            raise ServiceStartError(
                f"{node}: {Path(argv[0]).name} failed with code {result.returncode}; log tail:\n"
                + _procs.tail(self.log(node))
            )

    # -- building the nodes ----------------------------------------------------------------
    def init_primary(self, name: str) -> None:
        """``initdb`` a fresh data folder and configure it as a primary that replicas stream from."""
        pwfile = self.root / ".pw"
        pwfile.write_text(self.password + "\n")
        _give(pwfile, self.user, 0o600)
        try:
            self._tool(
                name,
                [
                    self.install.exe("initdb"),
                    "-D",
                    str(self.data(name)),
                    "-U",
                    USER,
                    f"--pwfile={pwfile}",
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--wal-segsize=1",
                    "--no-sync",
                    "--no-instructions",
                ],
            )
        finally:
            pwfile.unlink(missing_ok=True)
        conf = self.data(name) / "postgresql.conf"
        with open(conf, "a") as fh:
            fh.write(_CONF.format(max_connections=self.max_connections))
        with open(self.data(name) / "pg_hba.conf", "a") as fh:
            fh.write(f"host replication {USER} 127.0.0.1/32 scram-sha-256\n")

    def template(self, seed: int) -> Path:
        """The cached folder of a seeded, cleanly stopped primary for this PostgreSQL and seed."""
        text = PG_SCHEMA + PG_INDEXES + _CONF + Path(__file__).with_name("_seed.py").read_text()
        key = hashlib.sha256(f"{self.install.version}|{seed}|{text}".encode()).hexdigest()[:16]
        return cache_root() / f"pg{self.install.major}-seed{seed}-{key}"

    def build_template(self, name: str, port: int, seed: int) -> None:
        """initdb, start, seed and stop ``name`` cleanly, then keep a copy as the template."""
        self.init_primary(name)
        proc = self.start(name, port, "-c", "wal_keep_size=0", "-c", "wal_recycle=off")
        try:
            self.wait_ready(name, port, proc, dbname="postgres")
            self.seed(name, port, seed)
        finally:
            proc.send_signal(signal.SIGINT)  # fast shutdown: a clean checkpoint to copy
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise ServiceStartError(
                f"{name}: did not stop cleanly after seeding; log tail:\n{_procs.tail(self.log(name))}"
            )
        target = self.template(seed)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
        _copy(self.data(name), tmp / "data")
        (tmp / "password").write_text(self.password)
        (tmp / "password").chmod(0o600)
        try:
            tmp.rename(target)
        except OSError:  # another sandbox built it at the same time: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)

    def from_template(self, names: list[str], seed: int) -> None:
        """Copy the template into each node's data folder (in parallel); adopt its password."""
        source = self.template(seed)
        self.admin_password = (source / "password").read_text()
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            list(pool.map(lambda n: _copy(source / "data", self.data(n)), names))

    def make_standby(self, name: str, stream_port: int) -> None:
        """Turn a copy of the stopped primary into a hot standby streaming through ``stream_port``."""
        conninfo = (
            f"host=127.0.0.1 port={stream_port} user={USER} password={self.password} "
            f"application_name={name}"
        )
        auto = self.data(name) / "postgresql.auto.conf"
        auto.write_text(f"primary_conninfo = '{conninfo}'\n")
        (self.data(name) / "standby.signal").touch()
        for path in (auto, self.data(name) / "standby.signal"):
            _give(path, self.user, 0o600)

    def wait_ready(
        self,
        name: str,
        port: int,
        proc: subprocess.Popen[bytes],
        *,
        dbname: str = DATABASE,
        timeout: float = 30.0,
    ) -> None:
        """Poll until the node accepts connections; its exit or the deadline raises with its log."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise ServiceStartError(
                    f"{name}: postgres exited with code {proc.returncode} while starting; "
                    f"log tail:\n{_procs.tail(self.log(name))}"
                )
            try:
                psycopg.connect(
                    self.dsn(port, dbname, password=self.admin_password), connect_timeout=2
                ).close()
                return
            except psycopg.Error:
                if time.monotonic() >= deadline:
                    raise ServiceStartError(
                        f"{name}: not accepting connections after {timeout:.0f} s; "
                        f"log tail:\n{_procs.tail(self.log(name))}"
                    ) from None
                time.sleep(0.02)

    def own_password(self, port: int) -> None:
        """Give this sandbox's role its own password (a template's is shared by every copy)."""
        import psycopg

        if self.admin_password == self.password:
            return
        with psycopg.connect(self.dsn(port, password=self.admin_password), autocommit=True) as c:
            c.execute(f"ALTER ROLE {USER} PASSWORD '{self.password}'")
        self.admin_password = self.password

    def seed(self, name: str, port: int, seed: int) -> None:
        """Create the shop's tables and COPY the seed rows in (the replicas copy the result)."""
        import psycopg

        try:
            with psycopg.connect(self.dsn(port, "postgres"), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
            with psycopg.connect(self.dsn(port)) as conn, conn.cursor() as cur:
                cur.execute(PG_SCHEMA)
                for table, values in rows(seed).items():
                    with cur.copy(f"COPY {table} FROM STDIN") as copy:
                        for row in values:
                            copy.write_row(row)
                cur.execute(PG_INDEXES)
            with psycopg.connect(self.dsn(port), autocommit=True) as conn:
                for unused in ("postgres", "template0", "template1"):  # half the folder to copy
                    conn.execute(f"ALTER DATABASE {unused} IS_TEMPLATE false")
                    conn.execute(f"DROP DATABASE {unused}")
                conn.execute("CHECKPOINT")
                conn.execute("SELECT pg_switch_wal()")
                conn.execute("CHECKPOINT")  # the second one recycles the seeding's WAL
        except psycopg.Error as exc:
            raise ServiceStartError(
                f"{name}: seeding failed ({exc}); log tail:\n{_procs.tail(self.log(name))}"
            ) from exc

    def start(self, name: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
        """Start the node's postmaster (its PID is the node's PID) inside its CPU budget."""
        group = self.groups.get(name)
        if group is not None and not group.procs.exists():
            group = None  # removed while the node was down (an older sandbox's stale clean-up)
        if group is None:
            group = _cgroup.create(f"{os.getpid()}-{id(self):x}-{name}", CPUS_PER_NODE)
            if group is not None:
                self.groups[name] = group
        self.cpu = _cgroup.describe() if self.groups else "bounded pool and storage delay only"
        argv = [self.install.exe("postgres"), "-D", str(self.data(name)), "-p", str(port), *extra]
        log, env, preexec = self.log(name), self._env(), self._preexec(group, die=True)

        def popen() -> subprocess.Popen[bytes]:
            with _procs.open_log(log) as out:
                return subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.root,
                    env=env,
                    start_new_session=True,
                    preexec_fn=preexec,
                )

        # forked from the sandbox's one spawner thread: the death signal follows the forking
        # thread, so a sandbox started from a short-lived thread must not lose its database
        return _procs.fork_from_spawner(popen)

    def dsn(self, port: int, dbname: str = DATABASE, *, password: str | None = None) -> str:
        return (
            f"host=127.0.0.1 port={port} user={USER} password={password or self.password} "
            f"dbname={dbname} connect_timeout=5"
        )

    def remove(self) -> None:
        """Delete the data folders and CPU groups (the processes must be gone)."""
        for group in self.groups.values():
            group.remove()
        link = self.run_dir / "db"
        if link.is_symlink():
            target = link.resolve()
            link.unlink()
            shutil.rmtree(target.parent, ignore_errors=True)
        shutil.rmtree(link, ignore_errors=True)
        (self.run_dir / "db.owner.json").unlink(missing_ok=True)


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/pulsekit/postgres`` (else ``~/.cache/...``): seeded template folders."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulsekit" / "postgres"


def _copy(source: Path, target: Path) -> None:
    """``cp -a``: a data folder with its owner and modes (postgres checks both)."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True, timeout=120)


def tree(pid: int, started: float | None) -> list[psutil.Process]:
    """A postmaster and every backend it forked (children first, so a kill leaves no orphan)."""
    if not _procs.alive(pid, started):
        return []
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        return [*root.children(recursive=True), root]
    return []


def leftovers(data: Path) -> list[psutil.Process]:
    """Backends still running in a node's folder after its postmaster alone was killed."""
    found = []
    for proc in psutil.process_iter(["name", "cwd"]):
        with contextlib.suppress(psutil.Error, OSError):
            if proc.info["name"] == "postgres" and proc.info["cwd"] == str(data):
                found.append(proc)
    return found


def signal_tree(pid: int, started: float | None, sig: int) -> list[psutil.Process]:
    """Signal a postmaster first (so it forks no new backend), then every backend it had."""
    procs = tree(pid, started)
    if not procs:
        return []
    root = procs[-1]
    with contextlib.suppress(psutil.Error):
        root.send_signal(sig)
        if sig != signal.SIGKILL:  # still there: catch a backend forked meanwhile
            procs = [*root.children(recursive=True), root]
    for proc in procs[:-1]:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)
    return procs


def stop(nodes: list[tuple[int, float | None]], *, grace: float = 5.0) -> None:
    """Immediate shutdown (SIGQUIT) of each postmaster, then SIGKILL whatever is left of its tree."""
    procs: list[psutil.Process] = []
    for pid, started in nodes:
        found = tree(pid, started)
        for proc in found:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGCONT)
        with contextlib.suppress(psutil.Error):
            if found:
                found[-1].send_signal(signal.SIGQUIT)
        procs += found
    _, left = psutil.wait_procs(procs, timeout=grace)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(left, timeout=grace)


def clean_stale_sandboxes() -> None:
    """Remove database folders of unnamed sandboxes (in the temp folder) whose controller died."""
    temp = Path(tempfile.gettempdir())
    for pattern in ("pulsekit-sandbox-*/db.owner.json", "pulsekit-db-*/db.owner.json"):
        for owner in temp.glob(pattern):
            with contextlib.suppress(OSError):
                clean_stale(owner.parent / "db")


def clean_stale(link: Path) -> None:
    """Remove a data folder left at ``link`` by a sandbox whose controller died (and empty cgroups)."""
    _cgroup.clean_stale()
    owner_file = link.parent / "db.owner.json"
    if not (link.exists() or link.is_symlink()):
        return
    try:
        owner: dict[str, Any] = json.loads(owner_file.read_text())
    except (OSError, ValueError):
        owner = {}
    if owner and _procs.alive(int(owner["pid"]), owner.get("started")):
        return
    for pidfile in link.glob("*/postmaster.pid"):  # a node still running: stop it first
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pidfile.read_text().split()[0])
            if psutil.pid_exists(pid) and "postgres" in psutil.Process(pid).name():
                stop([(pid, None)])
    if link.is_symlink():
        target = link.resolve()
        link.unlink()
        shutil.rmtree(target.parent, ignore_errors=True)
    shutil.rmtree(link, ignore_errors=True)
    owner_file.unlink(missing_ok=True)
    if link.parent.name.startswith("pulsekit-db-"):  # a fallback folder: nothing else lives there
        shutil.rmtree(link.parent, ignore_errors=True)
