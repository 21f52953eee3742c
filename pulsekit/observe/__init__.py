"""Observability: scrape metrics into DataFrames, query Prometheus, SLOs, burn rates, charts."""

from __future__ import annotations

from pulsekit.observe.burn import SLOReport, evaluate
from pulsekit.observe.golden import (
    GoldenMetrics,
    GoldenSignals,
    GoldenTimeline,
    golden_signals,
    golden_timeline,
)
from pulsekit.observe.guard import Guard, Verdict, guard
from pulsekit.observe.prometheus import Prometheus
from pulsekit.observe.scrape import Scraper, scrape
from pulsekit.observe.server import PrometheusServer
from pulsekit.observe.slo import SLI, SLO, AlertRule, availability, latency, load_slo
from pulsekit.observe.traffic import Trickle, trickle

__all__ = [
    "AlertRule",
    "GoldenMetrics",
    "GoldenSignals",
    "GoldenTimeline",
    "Guard",
    "Prometheus",
    "PrometheusServer",
    "SLI",
    "SLO",
    "SLOReport",
    "Scraper",
    "Trickle",
    "Verdict",
    "availability",
    "evaluate",
    "golden_signals",
    "golden_timeline",
    "guard",
    "latency",
    "load_slo",
    "scrape",
    "trickle",
]
