"""Process faults: kill, freeze/thaw, restart (sandbox services or own child PIDs), CPU and memory hogs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError, FaultError, NotAllowedError
from pulsekit.faults._fault import Fault
from pulsekit.faults.records import FaultLog, FaultRecord, params_of

if TYPE_CHECKING:
    from pulsekit.sandbox.sandbox import Sandbox

MAX_TTL = 3600.0


def _ttl(value: str | float) -> float:
    ttl = parse_duration(value, field="ttl")
    if not 0 < ttl <= MAX_TTL:
        raise ConfigError(f"ttl={value!r} must be above 0 and at most {MAX_TTL:g}s")
    return ttl


def _resolve(
    target: str | int, sandbox: Sandbox | None, allow_foreign: bool
) -> tuple[int, str, bool]:
    """(pid, label, is a sandbox service) after the own-sandbox / own-child safety check."""
    if isinstance(target, str) and not target.isdigit():
        if sandbox is None:
            raise ConfigError(
                f"target {target!r} is a service name but no sandbox was given; pass sandbox=shop "
                "(or use faults.connect(shop)) or give a PID"
            )
        service = sandbox.services.get(target)
        if service is None:
            known = ", ".join(sorted(sandbox.services))
            raise ConfigError(f"unknown service {target!r}; the services are: {known}")
        return int(service.pid), target, True
    pid = int(target)
    if sandbox is not None and any(s.pid == pid for s in sandbox.services.values()):
        name = next(n for n, s in sandbox.services.items() if s.pid == pid)
        return pid, name, True
    if not allow_foreign and not _is_descendant(pid):
        raise NotAllowedError(
            f"pid {pid} is neither a child of this process nor a sandbox service; pass "
            "allow_foreign=True if you really mean to signal it"
        )
    return pid, f"pid:{pid}", False


def _is_descendant(pid: int) -> bool:
    import psutil

    try:
        return any(p.pid == os.getpid() for p in psutil.Process(pid).parents())
    except psutil.Error:
        return False


def _record(kind: str, target: str, source: str, **params: Any) -> FaultRecord:
    ttl = params.pop("_ttl", None)
    now = time.time()
    return FaultRecord(
        kind=kind,
        target=target,
        params=params_of(params),
        applied_at=now,
        expires_at=None if ttl is None else now + ttl,
        source=source,
        id=uuid.uuid4().hex[:12],
    )


def _signal(pid: int, sig: signal.Signals, label: str) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError as exc:
        raise FaultError(f"cannot signal {label}: process {pid} does not exist") from exc
    except PermissionError as exc:
        raise FaultError(f"cannot signal {label}: permission denied for pid {pid}") from exc


def kill(
    target: str | int,
    *,
    sandbox: Sandbox | None = None,
    allow_foreign: bool = False,
    log: FaultLog | None = None,
) -> Fault:
    """SIGKILL a sandbox service (by name) or an own child PID; ``remove()`` restarts a service."""
    log = log if log is not None else FaultLog()
    pid, label, in_sandbox = _resolve(target, sandbox, allow_foreign)
    if in_sandbox and sandbox is not None:
        sandbox.kill(label)
    else:
        _signal(pid, signal.SIGKILL, label)
    record = log.add(_record("kill", label, "sandbox" if in_sandbox else "local", pid=pid))

    def undo() -> str:
        if in_sandbox and sandbox is not None:
            sandbox.restart(label)
            return "restart"
        return "api"

    return Fault(log, record, undo, revert_at_exit=False)


def freeze(
    target: str | int,
    *,
    ttl: str | float = "5m",
    sandbox: Sandbox | None = None,
    allow_foreign: bool = False,
    log: FaultLog | None = None,
) -> Fault:
    """SIGSTOP a process; a detached watchdog sends SIGCONT at ``ttl`` even if this process dies."""
    log = log if log is not None else FaultLog()
    seconds = _ttl(ttl)
    pid, label, in_sandbox = _resolve(target, sandbox, allow_foreign)
    watchdog = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pulsekit.faults._hog",
            "thaw",
            "--ttl",
            str(seconds),
            "--pid",
            str(pid),
        ],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        if in_sandbox and sandbox is not None:
            sandbox.freeze(label)
        else:
            _signal(pid, signal.SIGSTOP, label)
    except BaseException:
        watchdog.kill()
        watchdog.wait()
        raise
    source = "sandbox" if in_sandbox else "local"
    record = log.add(_record("freeze", label, source, pid=pid, _ttl=seconds))

    def undo() -> str:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
        watchdog.kill()
        watchdog.wait()
        return "api"

    return Fault(log, record, undo)


def thaw(target: str | int, *, sandbox: Sandbox | None = None, allow_foreign: bool = False) -> None:
    """SIGCONT a frozen process."""
    pid, label, in_sandbox = _resolve(target, sandbox, allow_foreign)
    if in_sandbox and sandbox is not None:
        sandbox.thaw(label)
    else:
        _signal(pid, signal.SIGCONT, label)


def restart(target: str, *, sandbox: Sandbox | None) -> None:
    """Restart a sandbox service on its port (killing it first if it still runs)."""
    _, label, in_sandbox = _resolve(target, sandbox, False)
    if not in_sandbox or sandbox is None:
        raise ConfigError(f"restart({target!r}) needs a sandbox service name such as 'api-2'")
    sandbox.restart(label)


def _hogs(kind: str, count: int, seconds: float, *extra: str) -> list[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "pulsekit.faults._hog", kind, "--ttl", str(seconds), *extra]
    return [
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        for _ in range(count)
    ]


def _stop_hogs(procs: list[subprocess.Popen[bytes]]) -> str:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return "api"


def cpu_hog(cores: int = 1, *, ttl: str | float = "30s", log: FaultLog | None = None) -> Fault:
    """Burn ``cores`` CPUs in child processes that exit by themselves at ``ttl``."""
    log = log if log is not None else FaultLog()
    if not isinstance(cores, int) or not 1 <= cores <= (os.cpu_count() or 1) * 4:
        raise ConfigError(f"cores={cores!r} must be an integer from 1 to 4x the CPU count")
    seconds = _ttl(ttl)
    procs = _hogs("cpu", cores, seconds)
    record = log.add(_record("cpu_hog", "local", "local", cores=cores, _ttl=seconds))
    return Fault(log, record, lambda: _stop_hogs(procs))


def memory_hog(mb: int = 100, *, ttl: str | float = "30s", log: FaultLog | None = None) -> Fault:
    """Hold ``mb`` MiB of resident memory in a child process that exits by itself at ``ttl``."""
    log = log if log is not None else FaultLog()
    if not isinstance(mb, int) or not 1 <= mb <= 64 * 1024:
        raise ConfigError(f"mb={mb!r} must be an integer from 1 to 65536")
    seconds = _ttl(ttl)
    procs = _hogs("memory", 1, seconds, "--mb", str(mb))
    record = log.add(_record("memory_hog", "local", "local", mb=mb, _ttl=seconds))
    return Fault(log, record, lambda: _stop_hogs(procs))
