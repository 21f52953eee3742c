"""Steps on a staging target: links through its Toxiproxy (each toxic guarded by the dead-man),
services through shell commands or Chaos Toolkit python actions, run with a timeout and journalled.

:class:`StagingFaults` answers the same calls as :class:`pulsekit.faults.Faults` so the GameDay's
:class:`~pulsekit.gameday.steps.Ledger` drives both the sandbox and a staging system.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

from pulsekit.errors import GameDayError
from pulsekit.gameday.journal import Journal
from pulsekit.gameday.target import ServiceAction, StagingTarget

TOXIC_KIND = {"http_errors": "status_code"}  # the Toxiproxy toxic type of a step's action
OUTPUT_LIMIT = 4000
MAX_UNDO_S = 3600.0  # a kill's restart: when the runner dies or the run ends, not at a TTL  # characters of stdout/stderr kept in the journal
_CTK_CALL = (
    "import importlib, json, sys\n"
    "fn = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])\n"
    "print(json.dumps(fn(**json.loads(sys.argv[3])), default=str))\n"
)


def run_action(action: ServiceAction, timeout: float) -> dict[str, Any]:
    """Run one service action; ``{argv/command, exit_code, stdout, stderr, seconds, timed_out}``."""
    if action.command is not None:
        argv: Any = ["/bin/sh", "-c", action.command]
    else:
        argv = [
            sys.executable,
            "-c",
            _CTK_CALL,
            str(action.module),
            str(action.func),
            json.dumps(dict(action.arguments)),
        ]
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a timeout ends the command's whole group
    )
    timed_out = False
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate(timeout=10)
    return {
        "command": action.describe(),
        "exit_code": process.returncode,
        "stdout": out[-OUTPUT_LIMIT:],
        "stderr": err[-OUTPUT_LIMIT:],
        "seconds": round(time.monotonic() - started, 3),
        "timed_out": timed_out,
    }


class _Handle:
    """What the ledger holds for an applied step: ``active`` and an idempotent ``remove()``."""

    def __init__(self, undo: Any) -> None:
        self._undo = undo
        self._lock = threading.Lock()
        self.active = True

    def remove(self) -> None:
        with self._lock:
            if not self.active:
                return
            self.active = False
        self._undo()


class StagingFaults:
    """Faults on a staging target (the sandbox's Faults interface, as the Ledger uses it)."""

    def __init__(
        self,
        target: StagingTarget,
        journal: Journal,
        *,
        log: Any,
        allow: tuple[str, ...],
        deadman: Any = None,
    ) -> None:
        self.target = target
        self.journal = journal
        self.deadman = deadman
        self.links: Any = None
        self._handles: list[_Handle] = []
        if target.toxiproxy is not None:
            from pulsekit.faults import Faults

            self.links = Faults(target.toxiproxy, allow=(*target.allow, *allow), log=log)

    # -- services -------------------------------------------------------------------------
    def _service(self, name: str, action: str) -> None:
        spec = self.target.services[name][action]
        outcome = run_action(spec, self.target.command_timeout_s)
        ok = outcome["exit_code"] == 0 and not outcome["timed_out"]
        how = "timed out" if outcome["timed_out"] else f"exit {outcome['exit_code']}"
        self.journal.write(
            "service.command",
            f"{action} {name}: {spec.describe()} ({how}, {outcome['seconds']:g} s)",
            service=name,
            action=action,
            ok=ok,
            **outcome,
        )
        if not ok:
            tail = (outcome["stderr"] or outcome["stdout"]).strip().splitlines()[-1:] or [""]
            raise GameDayError(
                f"services.{name}.{action} {how} after {outcome['seconds']:g} s "
                f"(command_timeout {self.target.command_timeout_s:g} s): {tail[0]}"
            )

    def _guarded(self, name: str, action: str, undo: str, ttl: float) -> Any:
        """Run ``action``; the dead-man knows ``undo`` first, in case the runner dies meanwhile."""
        fault_id = uuid.uuid4().hex[:12]
        if self.deadman is not None:
            spec = self.target.services[name][undo]
            self.deadman.add_undo(fault_id, spec, self.target.command_timeout_s, time.time() + ttl)
        try:
            self._service(name, action)
        except Exception:
            if self.deadman is not None:
                self.deadman.forget(fault_id)
            with contextlib.suppress(Exception):  # undo whatever it did before failing (journalled)
                self._service(name, undo)
            raise

        def revert() -> None:
            try:
                self._service(name, undo)
            finally:
                if self.deadman is not None:
                    self.deadman.forget(fault_id)

        return _Handle(revert)

    def kill(self, name: str) -> Any:
        if "restart" not in self.target.services[name]:
            self._service(name, "kill")
            return None  # the platform restarts it (e.g. a Kubernetes Deployment)
        return self._guarded(name, "kill", "restart", MAX_UNDO_S)

    def restart(self, name: str) -> None:
        self._service(name, "restart")

    def freeze(self, name: str, *, ttl: float) -> Any:
        return self._guarded(name, "freeze", "thaw", ttl)

    def thaw(self, name: str) -> None:
        self._service(name, "thaw")

    # -- links (Toxiproxy) ----------------------------------------------------------------
    def __getattr__(self, action: str) -> Any:
        if action.startswith("_") or self.__dict__.get("links") is None:
            raise AttributeError(action)
        method = getattr(self.links, action)

        def apply(link: str, **kwargs: Any) -> Any:
            # the dead-man hears of the toxic before it exists: a runner dying between the two
            # leaves nothing unguarded (removing a toxic that never came is a harmless 404)
            fault_id = uuid.uuid4().hex[:12]
            toxic = None if action == "down" else f"{TOXIC_KIND.get(action, action)}_downstream"
            if self.deadman is not None:  # a plain Toxiproxy ignores the TTL: the dead-man keeps it
                expires = time.time() + float(kwargs.get("ttl") or self.links.ttl)
                self.deadman.add(fault_id, link, toxic, expires)
            try:
                fault = method(link, **kwargs)
            except Exception as exc:
                refused = getattr(exc.__cause__, "status", None) in (404, 409, 423)
                if self.deadman is not None and refused:  # not ours (409: someone else's toxic)
                    self.deadman.forget(fault_id)
                raise  # otherwise it may exist: the dead-man removes it at the end

            def undo() -> None:
                fault.remove()
                if self.deadman is not None:
                    self.deadman.forget(fault_id)

            handle = _Handle(undo)
            self._handles.append(handle)
            return handle

        return apply

    def halt(self) -> None:
        """The lever: every toxic of this run off now (the dead-man too); other toxics stay."""
        if self.deadman is not None:
            self.deadman.halt()
        for handle in self._handles:
            handle.remove()
