"""GameDay steps that turn a sandbox knob on the api replicas: ``deploy`` a build, ``cache_ttl``.

Each change is a handle with ``active`` and ``remove()`` (as a fault is), so the ledger journals it
as ``fault.applied``/``fault.reverted`` and rolls it back to the value it found: a faulty build is
redeployed as the build that ran before, a TTL goes back to its start value.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from pulsekit.gameday.journal import Event, Journal

_IDS = itertools.count(1)


class KnobChange:
    """One knob turned; ``remove()`` sets it back (once) and journals ``fault.reverted``."""

    takes_by = True

    def __init__(
        self, kind: str, target: str, undo: Callable[[], None], journal: Journal, **data: Any
    ) -> None:
        self.kind, self.target, self.active = kind, target, True
        self.id = f"knob-{next(_IDS)}"
        self._undo, self._journal = undo, journal
        journal.write(
            Event.FAULT_APPLIED,
            f"{kind} {target}",
            kind=kind,
            target=target,
            fault_id=self.id,
            **data,
        )

    def remove(self, by: str = "api") -> None:
        if not self.active:
            return
        began = time.time()
        self._undo()
        self.active = False
        self._journal.write(
            Event.FAULT_REVERTED,
            f"{self.kind} {self.target} reverted ({by})",
            at=time.time(),
            kind=self.kind,
            target=self.target,
            fault_id=self.id,
            reverted_by=by,
            began_at=round(began, 3),  # the undo's start (a redeploy takes seconds)
        )


def deploy(shop: Any, target: str, version: str, journal: Journal) -> KnobChange | None:
    """Restart api replica ``target`` as ``version``; the handle redeploys the build it replaced."""
    before = shop.version(target)
    if version == before:
        return None  # nothing changes, nothing to undo
    shop.deploy(target, version)
    return KnobChange(
        "deploy",
        target,
        lambda: shop.deploy(target, before),
        journal,
        version=version,
        previous_version=before,
    )


def cache_ttl(shop: Any, target: str, seconds: float, journal: Journal) -> KnobChange:
    """Set the cache TTL of ``target`` (``api``: every replica); the handle restores each one's."""
    previous = shop.set_cache_ttl(seconds, None if target == "api" else target)

    def undo() -> None:
        for name, ttl in previous.items():
            shop.set_cache_ttl(ttl, name)

    return KnobChange(
        "cache_ttl",
        target,
        undo,
        journal,
        seconds=seconds,
        previous_seconds=sorted(set(previous.values())),
    )
