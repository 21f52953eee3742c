"""pulsekit: a toolkit for platform teams (observability, chaos, incidents, FinOps, web performance).

The names a first script needs are here; everything else lives in its practice's package
(``pulsekit.faults``, ``pulsekit.load``, ``pulsekit.observe``, ``pulsekit.costs``, ``pulsekit.vitals``,
``pulsekit.incidents``), reachable after ``import pulsekit`` alone: a practice is imported the first
time it is named. Importing pulsekit stays fast: heavy libraries load only when used.
Every result answers the same verbs, :class:`pulsekit.Result`.
"""

from __future__ import annotations

from typing import Any as _Any

from pulsekit import faults
from pulsekit._result import Result
from pulsekit._windows import FaultWindow
from pulsekit.errors import PulsekitError
from pulsekit.sandbox import Sandbox

__version__ = "0.1.0"

__all__ = [
    "FaultWindow",
    "PulsekitError",
    "Result",
    "Sandbox",
    "__version__",
    "discover",
    "faults",
]

#: Practice packages imported on first use (``pulsekit.costs.open()`` after ``import pulsekit``).
_PRACTICES = (
    "chaos",
    "costs",
    "dojo",
    "gameday",
    "incidents",
    "load",
    "observe",
    "profile",
    "sandbox",
    "testing",
    "vitals",
)


def __getattr__(name: str) -> _Any:
    if name in _PRACTICES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'pulsekit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PRACTICES})


def discover(discover_system: bool = True) -> dict[str, _Any]:
    """Chaos Toolkit discovery of pulsekit's activities (``chaos discover pulsekit``)."""
    from pulsekit.chaos import discover as _discover

    return _discover(discover_system)
