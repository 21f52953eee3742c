"""The built-in task mixes against the shared sandbox shop (the routes of the sandbox contract)."""

from __future__ import annotations

import pytest

from pulsekit.load import run

pytestmark = pytest.mark.integration


def test_shopper_mix_open_model_on_the_shop(shop) -> None:  # type: ignore[no-untyped-def]
    """The shopper mix hits home, search, product, cart and checkout without failures."""
    result = run(shop, rate=20, duration="2s", mix="shopper", seed=11, progress=False)
    assert result.failures == 0, result.errors
    assert result.arrivals == 40
    assert {"GET /", "GET /api/search", "GET /products/{id}", "POST /api/cart"} <= set(
        result.endpoints.index
    )


def test_vendor_mix_closed_model_on_the_shop(shop) -> None:  # type: ignore[no-untyped-def]
    """The vendor mix loads the dashboard page, then its API, once per iteration."""
    result = run(
        shop, users=2, duration="2s", mix="vendor", think_time=(0.05, 0.1), seed=5, progress=False
    )
    assert result.failures == 0, result.errors
    counts = result.endpoints["requests"].to_dict()
    assert set(counts) == {"GET /vendor/{id}/dashboard", "GET /api/vendors/{id}/dashboard"}
    assert (
        abs(counts["GET /vendor/{id}/dashboard"] - counts["GET /api/vendors/{id}/dashboard"]) <= 2
    )
