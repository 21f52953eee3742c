"""The dead-man: a separate process that removes a GameDay's toxics from a plain Toxiproxy (which has
no TTL of its own) at their TTL, at once when the runner dies, and on the halt lever; it also runs the
undo command (thaw, restart) of a staging service the run froze or killed if the runner dies.

The runner starts it (:class:`DeadMan`) in a session of its own, so a SIGKILL of the runner (or of the
runner's process group) does not reach it, and tells it each toxic over a pipe (JSON lines)::

    {"op": "add", "id": "ab12", "proxy": "gateway", "toxic": "latency_downstream", "expires_at": T}
    {"op": "add", "id": "cd34", "undo": {"command": "kill -CONT 42"}, "timeout": 60, "expires_at": T}
    {"op": "forget", "id": "ab12"}     # the runner removed it itself
    {"op": "halt"}                     # remove every toxic now (the screen's HALT; the runner
                                       # rolls back its services itself)
    {"op": "close"}                    # the run ended: remove anything left, exit

End of the pipe or the runner's PID gone without ``close``: the runner died, every toxic is removed
at once. ``SIGUSR1`` (sent by ``pulsekit faults halt --proxy URL``) removes them all and prints
``halted`` to the runner, which then halts the run. Every removal is a JSON line in ``deadman.jsonl``.
It exits when the run ends, and in any case after ``max_life`` seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pulsekit.sandbox._procs import alive

LOG_FILE = "deadman.jsonl"
POLL_S = 0.25  # how often the runner's PID is checked
REMOVE_ATTEMPTS = 3


def registry_dir() -> Path:
    """Where live dead-men register (``pulsekit faults halt`` looks here)."""
    base = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    return Path(base) / f"pulsekit-{os.getuid()}" / "deadmen"


def registered(toxiproxy: str) -> list[int]:
    """PIDs of live dead-men guarding toxics on ``toxiproxy``."""
    out = []
    folder = registry_dir()
    for entry in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, KeyError):
            info = json.loads(entry.read_text())
            pid = int(info["pid"])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if (
                info["toxiproxy"] == toxiproxy.rstrip("/")
                and b"pulsekit.gameday.deadman" in cmdline
            ):
                out.append(pid)
    return out


def halt_all(toxiproxy: str) -> int:
    """Signal every dead-man on ``toxiproxy`` to remove its run's toxics (and halt its run)."""
    pids = registered(toxiproxy)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGUSR1)
    return len(pids)


class DeadMan:
    """The runner's side: start the process, tell it each toxic, close it at the end."""

    def __init__(
        self, toxiproxy: str | None, out_dir: Path, *, max_life: float, on_halt: Any
    ) -> None:
        self.toxiproxy = (toxiproxy or "-").rstrip("/")  # "-": services only
        self.log = Path(out_dir) / LOG_FILE
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pulsekit.gameday.deadman",
                self.toxiproxy,
                str(self.log),
                str(os.getpid()),
                f"{max_life:g}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a SIGKILL of the runner's group must not reach it
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().strip()
        if ready != "ready":
            self.process.kill()
            self.process.wait(5)
            raise RuntimeError(f"the dead-man did not start (said {ready!r})")
        self._reader = threading.Thread(
            target=self._read, args=(self.process.stdout, on_halt), daemon=True
        )
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self, stream: Any, on_halt: Any) -> None:
        for line in stream:
            if line.strip() == "halted":
                on_halt()

    def _send(self, **message: Any) -> None:
        with self._lock, contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()

    def add(self, fault_id: str, proxy: str, toxic: str | None, expires_at: float) -> None:
        """Guard a toxic (``toxic=None``: the link was disabled, ``down``)."""
        self._send(op="add", id=fault_id, proxy=proxy, toxic=toxic, expires_at=expires_at)

    def add_undo(self, fault_id: str, undo: Any, timeout: float, expires_at: float) -> None:
        """Run ``undo`` (a ServiceAction) if the runner dies first, or at ``expires_at``."""
        spec = {
            "command": undo.command,
            "module": undo.module,
            "func": undo.func,
            "arguments": [list(kv) for kv in undo.arguments],
        }
        self._send(op="add", id=fault_id, undo=spec, timeout=timeout, expires_at=expires_at)

    def forget(self, fault_id: str) -> None:
        self._send(op="forget", id=fault_id)

    def halt(self) -> None:
        self._send(op="halt")

    def close(self, timeout: float = 30.0) -> None:
        """The run ended: anything left is removed, the process exits."""
        self._send(op="close")
        with contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


# -- the process -----------------------------------------------------------------------------
class _Guard:
    def __init__(self, toxiproxy: str, log: Path) -> None:
        self.toxiproxy = toxiproxy
        self.log = log
        self.items: dict[str, dict[str, Any]] = {}

    def write(self, event: str, **data: Any) -> None:
        line = json.dumps({"time": time.time(), "event": event, **data})
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def remove(self, fault_id: str, by: str) -> None:
        from pulsekit.errors import FaultError
        from pulsekit.faults._http import call

        item = self.items.pop(fault_id, None)
        if item is None:
            return
        if "undo" in item:
            self._undo(fault_id, item, by)
            return
        proxy, toxic = item["proxy"], item["toxic"]
        for attempt in range(REMOVE_ATTEMPTS):
            try:
                if toxic is None:
                    call(self.toxiproxy, "POST", f"/proxies/{proxy}", {"enabled": True}, timeout=5)
                else:
                    call(self.toxiproxy, "DELETE", f"/proxies/{proxy}/toxics/{toxic}", timeout=5)
                self.write("toxic.removed", id=fault_id, proxy=proxy, toxic=toxic, by=by)
                return
            except FaultError as exc:
                if getattr(exc, "status", None) == 404:
                    self.write("toxic.gone", id=fault_id, proxy=proxy, toxic=toxic, by=by)
                    return
                error = str(exc)
            time.sleep(0.5 * (attempt + 1))
        self.write("toxic.remove_failed", id=fault_id, proxy=proxy, toxic=toxic, error=error)

    def _undo(self, fault_id: str, item: dict[str, Any], by: str) -> None:
        from pulsekit.gameday.staging import run_action
        from pulsekit.gameday.target import ServiceAction

        spec = dict(item["undo"])
        spec["arguments"] = tuple(tuple(kv) for kv in spec.get("arguments") or ())
        done = run_action(ServiceAction(**spec), float(item["timeout"]))
        ok = done["exit_code"] == 0 and not done["timed_out"]
        event = "service.undone" if ok else "service.undo_failed"
        self.write(event, id=fault_id, by=by, **done)

    def note(self, msg: dict[str, Any]) -> None:
        if msg.get("op") == "add":
            self.items[str(msg["id"])] = msg
        elif msg.get("op") == "forget":
            self.items.pop(str(msg["id"]), None)

    def remove_all(self, by: str, *, toxics_only: bool = False) -> None:
        for fault_id, item in list(self.items.items()):
            if not (toxics_only and "undo" in item):
                self.remove(fault_id, by)


def _drain(messages: queue.Queue[dict[str, Any] | None], guard: _Guard) -> None:
    """Every message the runner wrote before it died, up to the end of the pipe (at most 2 s)."""
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            msg = messages.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            return
        if msg is None:
            return
        guard.note(msg)


def main(argv: list[str]) -> int:
    toxiproxy, log, runner_pid, max_life = argv[0], Path(argv[1]), int(argv[2]), float(argv[3])
    guard = _Guard(toxiproxy, log)
    messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
    halted = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the runner

    def on_halt(*_: Any) -> None:
        halted.set()
        messages.put({"op": "wake"})

    signal.signal(signal.SIGUSR1, on_halt)

    def read() -> None:
        for line in sys.stdin:
            with contextlib.suppress(ValueError):
                messages.put(json.loads(line))
        messages.put(None)  # end of the pipe

    threading.Thread(target=read, daemon=True).start()
    entry = registry_dir() / f"{os.getpid()}.json"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(json.dumps({"pid": os.getpid(), "toxiproxy": toxiproxy, "log": str(log)}))
    guard.write("deadman.started", pid=os.getpid(), runner_pid=runner_pid, toxiproxy=toxiproxy)
    print("ready", flush=True)
    deadline = time.monotonic() + max_life
    reason = "max_life"
    try:
        while time.monotonic() < deadline:
            if halted.is_set():
                halted.clear()
                guard.remove_all("halt", toxics_only=True)
                with contextlib.suppress(OSError):
                    print("halted", flush=True)
            now = time.time()
            for fault_id, item in list(guard.items.items()):
                if item["expires_at"] <= now:
                    guard.remove(fault_id, "ttl")
            if not alive(runner_pid):  # a zombie counts as dead
                reason = "runner-lost"
                _drain(messages, guard)  # a toxic it announced just before dying is guarded too
                break
            due = min((i["expires_at"] for i in guard.items.values()), default=now + POLL_S)
            try:
                msg = messages.get(timeout=max(0.01, min(POLL_S, due - now)))
            except queue.Empty:
                continue
            if msg is None:
                reason = "runner-lost"
                break
            op = msg.get("op")
            if op in ("add", "forget"):
                guard.note(msg)
            elif op == "halt":
                guard.remove_all("halt", toxics_only=True)
            elif op == "close":
                reason = "close"
                break
        guard.remove_all(reason)
        guard.write("deadman.ended", reason=reason)
    finally:
        entry.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
