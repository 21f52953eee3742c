"""Start the Locust child process, stream its records, stop it cleanly and leave nothing behind."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pulsekit.errors import ConfigError, LoadError
from pulsekit.load._config import ChildConfig

_EOF = object()


class Child:
    """One Locust controller process (local runner, or master with its workers) and its pipe."""

    def __init__(self, cfg: ChildConfig) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pulsekit-load-"))
        self.log = self.dir / "locust.log"
        read_fd, write_fd = os.pipe()
        config = self.dir / "config.json"
        cfg.with_log(self.log).write(config)
        env = dict(os.environ)
        paths = [p for p in sys.path if p and Path(p).exists()]
        env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), *paths])
        env.pop("PYTHONSTARTUP", None)
        role = "master" if cfg.workers else "local"
        # the pipe is inherited, so its number travels on the command line, not in the config
        cmd = [
            sys.executable,
            "-m",
            "pulsekit.load._child",
            str(config),
            role,
            "--fd",
            str(write_fd),
        ]
        try:
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    pass_fds=(write_fd,),
                    env=env,
                    start_new_session=True,  # Ctrl-C reaches the parent only; it stops us cleanly
                )
        except OSError as exc:
            os.close(read_fd)
            shutil.rmtree(self.dir, ignore_errors=True)
            raise LoadError(f"could not start the Locust process: {exc}") from exc
        finally:
            os.close(write_fd)
        self.queue: queue.Queue[Any] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(read_fd,), daemon=True)
        self._reader.start()
        self.terminated = False

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "rb") as fh:
            for line in fh:
                with contextlib.suppress(ValueError):
                    self.queue.put(json.loads(line))
        self.queue.put(_EOF)

    def messages(self, poll: float, deadline: float) -> Iterator[dict[str, Any] | None]:
        """Yield records as they come (None every ``poll`` s when idle) until EOF or deadline."""
        while time.monotonic() < deadline:
            try:
                msg = self.queue.get(timeout=poll)
            except queue.Empty:
                yield None
                continue
            if msg is _EOF:
                return
            yield msg
        raise LoadError(f"the Locust process did not finish in time; see its log {self.log}")

    def terminate(self) -> None:
        """Ask the run to stop: it stops users, reports the last seconds and exits."""
        if not self.terminated and self.proc.poll() is None:
            self.terminated = True
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def close(self, grace: float = 15.0) -> None:
        """Wait for the process tree to exit, kill what is left, remove the temp dir."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers share the child's process group
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


def stream(
    cfg: ChildConfig,
    *,
    on_message: Callable[[dict[str, Any]], None],
    on_tick: Callable[[], bool],
    max_seconds: float,
) -> str:
    """Run the child, feed ``on_message``; ``on_tick`` returning True aborts. Returns the status.

    Ctrl-C (KeyboardInterrupt) or an exception in a callback stops the child, drains what it
    still reports, and re-raises only exceptions (a Ctrl-C becomes status "interrupted").
    """
    child = Child(cfg)
    status = "completed"
    deadline = time.monotonic() + max_seconds
    try:
        try:
            for msg in child.messages(0.1, deadline):
                if msg is not None:
                    if msg.get("type") == "error" and msg.get("config"):
                        raise ConfigError(msg["message"])
                    if msg.get("type") == "error":
                        raise LoadError(f"Locust could not start the run: {msg['message']}")
                    on_message(msg)
                if on_tick() and status == "completed":
                    status = "aborted"
                    child.terminate()
        except KeyboardInterrupt:
            status = "interrupted"
            child.terminate()
            _drain(child, on_message)
        except BaseException:
            child.terminate()
            with contextlib.suppress(Exception):
                _drain(child, on_message)
            raise
        code = child.proc.wait(timeout=15)
        if code not in (0, None) and status == "completed" and not child.terminated:
            raise LoadError(
                f"the Locust process exited with code {code}; last log lines:\n{child.log_tail()}"
            )
    finally:
        child.close()
    return status


def _drain(child: Child, on_message: Callable[[dict[str, Any]], None]) -> None:
    """Collect the records a stopping child still sends (at most 15 s, a second Ctrl-C skips)."""
    try:
        for msg in child.messages(0.25, time.monotonic() + 15):
            if msg is not None and msg.get("type") != "error":
                on_message(msg)
    except (KeyboardInterrupt, LoadError):
        pass
