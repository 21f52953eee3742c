"""Resilience tests in CI: a pytest plugin (fixtures ``pulsekit_*``) and the checks behind it.

The plugin loads itself through the ``pytest11`` entry point once pulsekit is installed; turn it
off with ``-p no:pulsekit``. Fixtures: ``pulsekit_sandbox``, ``pulsekit_faults``, ``pulsekit_load``,
``pulsekit_slo``, ``pulsekit_vitals_budget`` and ``pulsekit_artifacts``. Nothing heavy is imported
here: pytest loads this package in every test run of a project that installs pulsekit.
"""

from __future__ import annotations

from pulsekit.testing.artifacts import Artifacts
from pulsekit.testing.checks import SloWindow, load_failure, vitals_failure

__all__ = ["Artifacts", "SloWindow", "load_failure", "vitals_failure"]
