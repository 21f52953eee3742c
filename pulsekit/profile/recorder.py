"""``record()``: attach py-spy to a running process (a sandbox service or any PID you own)."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError, ProfileError
from pulsekit.profile import _pyspy, _speedscope
from pulsekit.profile.result import Profile

if TYPE_CHECKING:
    from pulsekit.sandbox.sandbox import Service

ProfileTarget: TypeAlias = "int | str | Service"
"""A pid, a sandbox service's name (with ``sandbox=``) or a sandbox ``Service``."""

MAX_DURATION_S = 600.0
MAX_RATE_HZ = 1000


def _resolve(target: ProfileTarget, sandbox: Any) -> tuple[int, str]:
    """(pid, label) from a pid, a service name (with ``sandbox=``) or a Service object."""
    if isinstance(target, bool):
        raise ConfigError(f"target={target!r} must be a pid or a service name like 'api-1'")
    if isinstance(target, int):
        return target, f"pid {target}"
    if hasattr(target, "pid") and hasattr(target, "name"):  # a sandbox Service
        return int(target.pid), f"{target.name} (pid {target.pid})"
    if isinstance(target, str):
        if target.isdigit():
            return int(target), f"pid {target}"
        if sandbox is None:
            raise ConfigError(
                f"target={target!r} is a service name; pass sandbox=shop (or a pid) to find it"
            )
        services = sandbox.services if hasattr(sandbox, "services") else sandbox
        if target not in services:
            known = ", ".join(sorted(services))
            raise ConfigError(f"unknown service {target!r}; the services are: {known}")
        pid = services[target].pid if hasattr(services[target], "pid") else services[target]["pid"]
        return int(pid), f"{target} (pid {pid})"
    raise ConfigError(f"target={target!r} must be a pid, a service name or a sandbox Service")


def _check_owned(pid: int) -> None:
    import psutil

    try:
        proc = psutil.Process(pid)
        owner = proc.uids().real
    except psutil.NoSuchProcess:
        raise ProfileError(f"pid {pid} is not running; check the pid or the service name") from None
    except psutil.Error as exc:
        raise ProfileError(f"pid {pid} cannot be inspected ({exc})") from exc
    if os.geteuid() != 0 and owner != os.geteuid():
        raise ProfileError(
            f"pid {pid} belongs to uid {owner}, not you; profile your own processes or use sudo"
        )


def record(
    target: ProfileTarget,
    *,
    sandbox: Any = None,  # a Sandbox, or its services by name
    duration: str | float = "10s",
    rate: int = 100,
    out: str | os.PathLike[str] | None = None,
    idle: bool = False,
    native: bool = False,
) -> Profile:
    """Sample ``target``'s Python stacks with py-spy for ``duration``, without restarting it.

    ``target`` is a pid, a service name with ``sandbox=shop`` (``"api-1"``) or a sandbox Service.
    100 Hz costs a few percent of one core (see docs/profile.md); ``out`` keeps the speedscope
    JSON (open it at https://www.speedscope.app), otherwise it goes to a temporary file.

    >>> prof = record("api-1", sandbox=shop, duration="5s")   # doctest: +SKIP
    >>> prof.top(5)                                            # doctest: +SKIP
    """
    pid, label = _resolve(target, sandbox)
    seconds = parse_duration(duration, field="duration")
    if not 0 < seconds <= MAX_DURATION_S:
        raise ConfigError(f"duration={duration!r} must be more than 0 and at most 10m; try '10s'")
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_RATE_HZ:
        raise ConfigError(f"rate={rate!r} must be a whole number of Hz from 1 to {MAX_RATE_HZ}")
    binary = _pyspy.find_pyspy()
    _check_owned(pid)
    if out is None:
        fd, name = tempfile.mkstemp(prefix=f"pulsekit-profile-{pid}-", suffix=".speedscope.json")
        os.close(fd)
        path = Path(name)
    else:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
    argv = _pyspy.record_argv(
        binary, pid, seconds=seconds, rate=rate, out=path, idle=idle, native=native
    )
    report = _pyspy.run_record(argv, seconds=seconds, pid=pid)
    if not path.exists() or path.stat().st_size == 0:
        raise ProfileError(f"py-spy wrote nothing for pid {pid}: {report.strip()[-200:]}")
    stacks, _ = _speedscope.read(path)
    warnings = []
    if not stacks:
        warnings.append(
            "no CPU-active samples: the process was idle; put load on it while recording"
        )
    return Profile(
        target=label,
        pid=pid,
        duration_s=float(max(1, -(-seconds // 1))),
        rate_hz=rate,
        stacks=stacks,
        path=str(path),
        warnings=tuple(warnings),
    )


def start(target: ProfileTarget, **kwargs: Any) -> Future[Profile]:
    """:func:`record` in a background thread, so load can run meanwhile; ``.result()`` waits.

    >>> recording = start("api-1", sandbox=shop, duration="3s")   # doctest: +SKIP
    >>> load.run(shop, rate=20, duration="4s")                     # doctest: +SKIP
    >>> prof = recording.result()                                  # doctest: +SKIP
    """
    _resolve(target, kwargs.get("sandbox"))  # a bad target fails here, not in the thread
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulsekit-profile")
    future = executor.submit(record, target, **kwargs)
    executor.shutdown(wait=False)
    return future


def from_speedscope(path: str | os.PathLike[str], *, rate: int = 100) -> Profile:
    """A Profile from a speedscope JSON file py-spy wrote earlier (``--format speedscope``)."""
    stacks, seconds = _speedscope.read(Path(path))
    return Profile(
        target=Path(path).name,
        pid=0,
        duration_s=seconds if seconds > 0 else sum(stacks.values()) / rate,
        rate_hz=rate,
        stacks=stacks,
        path=str(path),
    )
