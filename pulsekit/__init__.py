"""pulsekit: a toolkit for platform teams (observability, chaos, incidents, FinOps, web performance).

The names a first script needs are here; everything else lives in its practice's package
(``pulsekit.faults``, ``pulsekit.load``, ``pulsekit.observe``, ``pulsekit.costs``, ``pulsekit.vitals``,
``pulsekit.incidents``). Importing pulsekit stays fast: heavy libraries load only when used.
"""

from __future__ import annotations

from typing import Any as _Any

from pulsekit import faults
from pulsekit._windows import FaultWindow
from pulsekit.errors import PulsekitError
from pulsekit.sandbox import Sandbox

__version__ = "0.1.0"

__all__ = ["FaultWindow", "PulsekitError", "Sandbox", "__version__", "discover", "faults"]


def discover(discover_system: bool = True) -> dict[str, _Any]:
    """Chaos Toolkit discovery of pulsekit's activities (``chaos discover pulsekit``)."""
    from pulsekit.chaos import discover as _discover

    return _discover(discover_system)
