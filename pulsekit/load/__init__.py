"""Load generation on Locust: closed and open (arrival-rate) models, thresholds, honest latency.

Locust always runs in child processes (it monkey-patches its process with gevent), so importing
this package never imports locust.
"""

from __future__ import annotations

from pulsekit.load.knee import KneeResult, Saturation, find_knee
from pulsekit.load.result import LoadResult
from pulsekit.load.runner import run
from pulsekit.load.shapes import Stage
from pulsekit.load.thresholds import Threshold, ThresholdResult, parse_threshold

__all__ = [
    "KneeResult",
    "LoadResult",
    "Saturation",
    "Stage",
    "Threshold",
    "ThresholdResult",
    "find_knee",
    "parse_threshold",
    "run",
]
