"""Helpers for the dojo notebooks: exercise checks, stable verdicts, the shared scenario, clean set-up.

A check tells the learner right or wrong and why, never the answer::

    from pulsekit.dojo import check_burn_rate
    check_burn_rate(by_hand)        # "not answered yet: ..." / "not yet: ..." / "right: ..."

Measured numbers go in a cell nbval ignores; :func:`verdict` turns them into a sentence that is
stable from run to run (a band around a bar, with a wide margin), so that cell can be compared.
"""

from __future__ import annotations

from pulsekit.dojo._result import Check
from pulsekit.dojo.checks import (
    check_blameless,
    check_budgets,
    check_burn_rate,
    check_dashboard_slo,
    check_gp3,
    check_halt,
    check_handoff,
    check_hypothesis,
    check_models,
    check_moved,
    check_nat_zone,
    check_omission,
    check_phone_inp,
    check_rules_file,
    check_slowest_severity,
    check_step_or_spike,
    check_unit_cost,
    check_update,
    check_vendor_gate,
)
from pulsekit.dojo.scenario import Scenario, load_scenario
from pulsekit.dojo.session import close_previous
from pulsekit.dojo.verdicts import magnitude, verdict

__all__ = [
    "Check",
    "Scenario",
    "check_blameless",
    "check_budgets",
    "check_burn_rate",
    "check_dashboard_slo",
    "check_gp3",
    "check_halt",
    "check_handoff",
    "check_hypothesis",
    "check_models",
    "check_moved",
    "check_nat_zone",
    "check_omission",
    "check_phone_inp",
    "check_rules_file",
    "check_slowest_severity",
    "check_step_or_spike",
    "check_unit_cost",
    "check_update",
    "check_vendor_gate",
    "close_previous",
    "load_scenario",
    "magnitude",
    "verdict",
]
