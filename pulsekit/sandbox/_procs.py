"""Process machinery for the sandbox: pre-bound sockets, spawning, health polling, stopping."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import psutil

from pulsekit.errors import ServiceStartError
from pulsekit.sandbox._config import ServiceConfig


def bind(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (port 0: an ephemeral port), inheritable by a child."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


class _Spawner:
    """One daemon thread, alive as long as the process, that forks every service.

    Linux's PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process.
    Forking from this thread makes the death signal mean "the controlling process died" whichever
    thread started the sandbox (a short-lived worker thread, a Jupyter kernel thread).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: list[tuple[Any, dict[str, Any], threading.Event]] = []
        self._ready = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def run(self, job: Any) -> Any:
        box: dict[str, Any] = {}
        done = threading.Event()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="pulsekit-spawner", daemon=True
                )
                self._thread.start()
            self._jobs.append((job, box, done))
            self._ready.notify()
        done.wait()
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._jobs:
                    self._ready.wait()
                job, box, done = self._jobs.pop(0)
            try:
                box["result"] = job()
            except BaseException as exc:  # handed back to the caller's thread
                box["error"] = exc
            finally:
                done.set()


# process-wide by nature: the thread must outlive every Sandbox that forks through it
_SPAWNER = _Spawner()


def open_log(path: Path) -> Any:
    """Open a service log for appending, private (0600): logs may quote requests and data."""
    return open(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab")


def fork_from_spawner(popen: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """Run ``popen`` on the spawner thread (so a child's death signal means "the process died")."""
    return _SPAWNER.run(popen)  # type: ignore[no-any-return]


def spawn(
    argv: list[str],
    *,
    fd: int,
    log: Path,
    detached: bool,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a service process that inherits ``fd``; its output goes to ``log``.

    ``env`` adds variables (secrets such as the database password: the argv is public in ``ps``).
    """
    return _SPAWNER.run(lambda: _popen(argv, fd=fd, log=log, env=env))  # type: ignore[no-any-return]


def _popen(
    argv: list[str], *, fd: int, log: Path, env: dict[str, str] | None
) -> subprocess.Popen[bytes]:
    # logs may quote requests and data: private (0600), like the state file
    with open_log(log) as out:
        return subprocess.Popen(
            [sys.executable, *argv],
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C reaches the controller, which stops us in order
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            close_fds=True,
        )


def service_argv(config: ServiceConfig) -> list[str]:
    """The arguments after ``python`` that start the service ``config`` describes."""
    return ["-m", "pulsekit.sandbox._service", config.to_json()]


class Started(Protocol):
    """What :func:`wait_healthy` reads of a sandbox process record."""

    @property
    def name(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def popen(self) -> Any: ...
    @property
    def exporter(self) -> Started | None: ...  # a PostgreSQL node's: it answers for the node


def wait_healthy(procs: Sequence[Started], logs: Path, timeout: float) -> None:
    """Poll until every process answers ``/healthz``; a ServiceStartError with its log tail (in
    ``logs``) when one exits, or when some are not healthy after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pending = list(procs)
    while pending:
        for proc in list(pending):
            for part in (proc, proc.exporter):
                if part is not None and part.popen is not None and part.popen.poll() is not None:
                    raise ServiceStartError(
                        f"{part.name} exited with code {part.popen.returncode} while "
                        "starting; log tail:\n" + tail(logs / f"{part.name}.log")
                    )
            if healthy(f"http://127.0.0.1:{(proc.exporter or proc).port}", timeout=1.0):
                pending.remove(proc)
        if pending and time.monotonic() >= deadline:
            names = ", ".join(p.name for p in pending)
            text = "\n".join(f"--- {p.name}:\n{tail(logs / f'{p.name}.log')}" for p in pending)
            raise ServiceStartError(f"{names} not healthy after {timeout:.0f} s; log tail:\n{text}")
        if pending:
            time.sleep(0.05)


def healthy(url: str, timeout: float = 0.5) -> bool:
    """True when ``url/healthz`` answers 200 within ``timeout``."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError, ValueError):
        return False


def http_json(url: str, payload: Any | None = None, timeout: float = 5.0) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json", "User-Agent": "pulsekit-sandbox"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def alive(pid: int, create_time: float | None = None) -> bool:
    """True when ``pid`` runs (and, given ``create_time``, is still the same process)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return create_time is None or abs(proc.create_time() - create_time) < 0.5
    except psutil.Error:
        return False


def stopped(pid: int) -> bool:
    """True while ``pid`` is stopped by a signal (SIGSTOP)."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_STOPPED)
    except psutil.Error:
        return False


def create_time(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


def terminate(pids: list[tuple[int, float | None]], *, grace: float = 3.0) -> None:
    """SIGCONT (a frozen process cannot exit), SIGTERM, then SIGKILL whatever is left after ``grace``.

    A process's children are included: they are SIGKILLed too if still there after ``grace``.
    """
    procs = []
    for pid, started in pids:
        if alive(pid, started):
            try:
                proc = psutil.Process(pid)
                children = proc.children(recursive=True)  # e.g. a postmaster's backends
                for child in children:
                    with contextlib.suppress(psutil.Error):
                        child.send_signal(signal.SIGCONT)
                proc.send_signal(signal.SIGCONT)
                proc.send_signal(signal.SIGTERM)
                procs += [proc, *children]
            except psutil.Error:
                pass
    _, left = psutil.wait_procs(procs, timeout=grace)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(left, timeout=grace)


def wait_until(check: Any, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``check()`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
