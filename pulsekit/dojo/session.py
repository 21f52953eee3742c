"""Clean set-up cells: re-running one closes what the previous run started."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulsekit.errors import PulsekitError


def close_previous(namespace: Mapping[str, Any], *names: str) -> list[str]:
    """Stop the objects bound to ``names`` in ``namespace`` (a notebook's ``globals()``).

    A set-up cell calls it first, so running the cell twice never leaves a second sandbox,
    scraper, traffic thread or browser behind. Each object is stopped with ``stop()`` or
    ``close()``, in the order given (traffic before the sandbox it targets). Returns the names
    that were stopped; names not bound yet (the first run) are skipped.
    """
    stopped = []
    for name in names:
        obj = namespace.get(name)
        if obj is None:
            continue
        closer = getattr(obj, "stop", None) or getattr(obj, "close", None)
        if not callable(closer):
            continue
        try:
            closer()
        except (PulsekitError, OSError) as exc:  # a stale object may be half-dead: report, go on
            print(f"could not stop the previous {name}: {exc}")
            continue
        stopped.append(name)
    if stopped:
        print("stopped the previous run's", ", ".join(stopped))
    return stopped
