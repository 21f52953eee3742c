"""Resilience tests a CI pipeline runs on every change (pytest + the pulsekit plugin).

Run: ``pytest examples/ci/test_resilience.py --pulsekit-reports reports/pulsekit``. Each failure
prints the threshold, the observed value, the window, and where the chart and journal are.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.pulsekit


def test_latency_on_payments_does_not_break_checkout(
    pulsekit_sandbox, pulsekit_faults, pulsekit_load
):
    """300 ms more on every call to payments: checkouts still succeed (they wait, they do not fail)."""
    pulsekit_faults.latency("api->payments", ms=300, ttl="1m")
    pulsekit_load(
        pulsekit_sandbox,
        rate=15,
        duration="3s",
        mix="shopper",
        seed=1,
        thresholds=["http_req_failed{name:/api/checkout}: rate<0.01", "http_req_failed: rate<0.01"],
    )


def test_losing_a_replica_produces_no_errors(
    pulsekit_sandbox, pulsekit_faults, pulsekit_load, pulsekit_slo
):
    """SIGKILL db-replica-1 just before the dashboards' load: reads fail over, nobody sees an error."""
    pulsekit_faults.kill("db-replica-1")
    pulsekit_load(
        pulsekit_sandbox,
        rate=15,
        duration="3s",
        mix="vendor",
        seed=2,
        thresholds=["http_req_failed: rate<0.01"],
    )
    pulsekit_slo.check(0.99)  # the gateway's availability over this test's own window


def test_home_page_lcp_budget(pulsekit_sandbox, pulsekit_vitals_budget):
    """The home page's largest contentful paint stays within 2.5 s on a desktop profile."""
    pulsekit_vitals_budget(
        f"{pulsekit_sandbox.url}/", ["LCP<=2500", "CLS<=0.1"], runs=1, profile="desktop"
    )
