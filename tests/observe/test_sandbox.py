"""Observe against the shared sandbox: every service is scraped and gets golden signals."""

from __future__ import annotations

from typing import Any

import pytest

from pulsekit.errors import ConfigError, NotAllowedError
from pulsekit.observe import SLO, availability, scrape
from pulsekit.observe.traffic import Trickle

pytestmark = pytest.mark.integration


def test_golden_signals_for_every_sandbox_service(shop: Any) -> None:
    """Under light traffic the gateway, api replicas and db nodes all report golden signals."""
    with (
        scrape(shop.metrics_targets, every="0.5s") as scraper,
        Trickle(shop.url, rps=20) as traffic,
    ):
        scraper.wait_for(rounds=6)
    signals = scraper.golden(window="2s").df
    # the database pools live in the db nodes (embedded tier) or in the api replicas (PostgreSQL),
    # whose nodes speak the PostgreSQL protocol, not HTTP: their exporters have no request rows
    pools = "db-primary" if shop.db == "embedded" else "api-1"
    assert {"gateway", "api-1", pools} <= set(signals.index)
    assert signals.loc["gateway", "traffic_rps"] > 0
    assert signals.loc["gateway", "p95_ms"] > 0
    assert 0 <= signals.loc[pools, "saturation"] <= 1  # pool in use / pool size
    assert traffic.stats.sent > 0 and traffic.stats.errors == 0
    report = SLO(objective=0.99, sli=availability("gateway")).compressed("10m").evaluate(scraper)
    assert report.total > 0 and report.budget_remaining == 1.0


def test_trickle_is_bounded_and_loopback_only() -> None:
    """Synthetic traffic refuses more than 50 req/s and non-loopback hosts."""
    with pytest.raises(ConfigError, match="pulsekit.load"):
        Trickle("http://127.0.0.1:1", rps=500)
    with pytest.raises(NotAllowedError, match="PULSEKIT_ALLOW_HOSTS"):
        Trickle("http://10.1.2.3:80", rps=5)
