"""Apply a GameDay step through ``pulsekit.faults`` and keep a ledger that rolls every one back."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from pulsekit.gameday._schema import LINK_ACTIONS
from pulsekit.gameday.journal import Event, Journal
from pulsekit.gameday.spec import Step

TTL_MARGIN_S = 30.0  # a fault outlives the planned run by this much, then the far side reverts it
MAX_TTL_S = 3600.0  # the fault proxy's and the freeze watchdog's ceiling


@dataclass
class Applied:
    """A step that ran, with the fault handle that undoes it (None: nothing to undo)."""

    step: Step
    fault: Any
    applied_t: float
    reverted_t: float | None = None
    reverted_by: str | None = None


class Ledger:
    """The steps applied so far; :meth:`rollback` undoes them last-first, each exactly once."""

    def __init__(self, faults: Any, journal: Journal, run_seconds: float) -> None:
        self.faults = faults
        self.journal = journal
        self.run_seconds = run_seconds
        self.applied: list[Applied] = []
        self.current = "-"  # the latest step, for the progress line
        self.halted = False
        self._lock = threading.Lock()
        self.started = time.monotonic()

    def _ttl(self, step: Step) -> float:
        left = step.duration_s if step.duration_s is not None else self.run_seconds - step.at_s
        return min(MAX_TTL_S, max(1.0, left) + TTL_MARGIN_S)

    def _active(self, action: str, target: str) -> Applied | None:
        for item in reversed(self.applied):
            fault = item.fault
            if item.step.target == target and item.step.action == action and fault and fault.active:
                return item
        return None

    def halt(self) -> None:
        """A stop condition tripped: skip every later step and halt the fault proxy (it reverts
        every network fault at once and refuses new ones until the sandbox stops)."""
        self.halted = True
        if self.faults is not None and any(a.step.action in LINK_ACTIONS for a in self.applied):
            self.faults.halt()

    def apply(self, step: Step, t: float) -> None:
        """Run ``step`` now (``t`` seconds after T0) and journal it."""
        if self.halted:
            return  # due while the load drains after a stop condition
        params = dict(step.params)
        fault: Any = None
        f = self.faults
        if step.action == "kill":
            fault = f.kill(step.target)
        elif step.action == "freeze":
            fault = f.freeze(step.target, ttl=self._ttl(step))
        elif step.action == "deploy":
            from pulsekit.gameday import _knob_steps

            earlier = self._active("deploy", step.target)
            if earlier is not None:  # a later deploy (the rollback) first undoes the earlier one
                self._revert(earlier, t, by="deploy")
            fault = _knob_steps.deploy(f.sandbox, step.target, params["version"], self.journal)
        elif step.action == "cache_ttl":
            from pulsekit.gameday import _knob_steps

            fault = _knob_steps.cache_ttl(
                f.sandbox, step.target, float(params["seconds"]), self.journal
            )
        elif step.action in ("restart", "thaw"):
            undoes = "kill" if step.action == "restart" else "freeze"
            earlier = self._active(undoes, step.target)
            if earlier is not None:
                self._revert(earlier, t, by=step.action)
            elif step.action == "restart":
                f.restart(step.target)
            else:
                f.thaw(step.target)
        else:
            fault = getattr(f, step.action)(step.target, ttl=self._ttl(step), **params)
        with self._lock:
            self.applied.append(Applied(step, fault, t))
            self.current = step.name
        self.journal.write(
            Event.STEP_APPLIED,
            f"step {step.name} at T+{t:.1f}s (planned {step.at_s:g}s)",
            step=step.name,
            action=step.action,
            target=step.target,
            scheduled_t=step.at_s,
            lag_s=round(t - step.at_s, 3),
            **params,
        )

    def revert(self, step: Step, t: float) -> None:
        """End a step with a ``duration`` (its planned end)."""
        for item in self.applied:
            if item.step is step:
                self._revert(item, t, by="duration")

    def _revert(self, item: Applied, t: float, *, by: str) -> None:
        with self._lock:
            if item.reverted_t is not None:
                return
            item.reverted_t, item.reverted_by = t, by
        if item.fault is not None:
            if getattr(item.fault, "takes_by", False):  # a knob: journals who set it back
                item.fault.remove(by=by)
            else:
                item.fault.remove()
        self.journal.write(
            Event.STEP_REVERTED,
            f"step {item.step.name} reverted ({by})",
            step=item.step.name,
            action=item.step.action,
            target=item.step.target,
            reverted_by=by,
        )

    def rollback(self, t: float) -> list[str]:
        """Undo every applied step still in force, last first; returns the problems met."""
        problems = []
        for item in reversed(list(self.applied)):
            if item.fault is None or not item.fault.active:
                continue
            try:
                self._revert(item, t, by="rollback")
            except Exception as exc:  # keep rolling back the others, report every failure
                problems.append(f"{item.step.name}: {exc}")
        return problems
