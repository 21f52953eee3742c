"""Core Web Vitals in a real headless Chromium: throttling profiles, ratings, scores, budgets, CrUX."""

from __future__ import annotations

from pulsekit.vitals.budgets import Budget, BudgetReport, check_budgets
from pulsekit.vitals.collector import acollect, acollect_many, collect, collect_many
from pulsekit.vitals.compare import Comparison, compare
from pulsekit.vitals.crux import from_crux, sample_crux
from pulsekit.vitals.interactions import Interaction, click, press, type_text
from pulsekit.vitals.mainthread import MainThreadProfile, analyse_trace, main_thread
from pulsekit.vitals.profiles import PROFILES, ThrottleProfile, get_profile
from pulsekit.vitals.result import Bin, RunVitals, VitalsResult
from pulsekit.vitals.scoring import log_normal_score, performance_score
from pulsekit.vitals.session import Session
from pulsekit.vitals.thresholds import METRICS, THRESHOLDS, rate

__all__ = [
    "METRICS",
    "PROFILES",
    "THRESHOLDS",
    "Bin",
    "Budget",
    "BudgetReport",
    "Comparison",
    "Interaction",
    "MainThreadProfile",
    "RunVitals",
    "Session",
    "ThrottleProfile",
    "VitalsResult",
    "acollect",
    "acollect_many",
    "analyse_trace",
    "check_budgets",
    "click",
    "collect",
    "collect_many",
    "compare",
    "from_crux",
    "get_profile",
    "log_normal_score",
    "main_thread",
    "performance_score",
    "press",
    "rate",
    "sample_crux",
    "type_text",
]
