"""The sandbox's services read their links through LinkName: the gateway's upstreams, bad names refused."""

from __future__ import annotations

import pytest

from pulsekit.errors import ConfigError
from pulsekit.sandbox import _gateway
from pulsekit.sandbox._config import ServiceConfig


def test_gateway_upstreams_are_its_own_links_by_target() -> None:
    """Only the gateway's hops become upstreams, keyed by the api replica they reach, in order."""
    app, _ = _gateway.build(
        ServiceConfig(
            "gateway",
            "gateway",
            links={
                "gateway->api-2": "http://127.0.0.1:2",
                "gateway->api-1": "http://127.0.0.1:1",
                "api->db-primary": "http://127.0.0.1:3",
            },
        )
    )
    upstreams = app[_gateway.BALANCER_KEY].upstreams
    assert list(upstreams) == ["api-1", "api-2"]
    assert upstreams["api-1"] == "http://127.0.0.1:1"


def test_gateway_refuses_a_malformed_link_name() -> None:
    """A link name without '->' in a service's config fails at start with the one parser's message."""
    with pytest.raises(ConfigError, match=r"link='gateway-api-1' has no '->'"):
        _gateway.build(
            ServiceConfig("gateway", "gateway", links={"gateway-api-1": "http://127.0.0.1:1"})
        )
