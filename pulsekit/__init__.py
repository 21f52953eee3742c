"""pulsekit: a toolkit for platform teams (observability, chaos, incidents, FinOps, web performance)."""

from __future__ import annotations

__version__ = "0.1.0"
