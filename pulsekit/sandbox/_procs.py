"""Process machinery for the sandbox: pre-bound sockets, spawning, health polling, stopping."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil


def bind(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (port 0: an ephemeral port), inheritable by a child."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


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
    with open(log, "ab") as out:
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


def service_argv(config: dict[str, Any]) -> list[str]:
    return ["-m", "pulsekit.sandbox._service", json.dumps(config)]


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
