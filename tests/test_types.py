"""Shared names of pulsekit._types: a link name is parsed once, with a clear error per bad input."""

from __future__ import annotations

import pytest

from pulsekit._types import LinkName
from pulsekit.errors import ConfigError
from pulsekit.gameday._schema import known_targets


@pytest.mark.parametrize(
    ("text", "source", "target"),
    [
        ("api->db-replica-1", "api", "db-replica-1"),
        ("gateway->api-2", "gateway", "api-2"),
        ("db-primary->db-replica-3", "db-primary", "db-replica-3"),
        ("svc_a.internal->B9", "svc_a.internal", "B9"),
    ],
)
def test_parse_splits_source_and_target(text: str, source: str, target: str) -> None:
    """A well-formed name gives its two services, and prints back exactly as written."""
    link = LinkName.parse(text)
    assert (link.source, link.target) == (source, target)
    assert str(link) == text
    assert LinkName.parse(link) is link


def test_links_are_values() -> None:
    """Two parses of one name are equal, hash alike and sort by source then target."""
    a, b = LinkName.parse("api->payments"), LinkName("api", "payments")
    assert a == b and hash(a) == hash(b)
    assert sorted([LinkName("gateway", "api-1"), LinkName("api", "z")])[0].source == "api"


def test_no_arrow() -> None:
    """A name without '->' is refused, naming the field and the form."""
    with pytest.raises(
        ConfigError, match=r"link='api' has no '->'; name one hop as 'source->target'"
    ):
        LinkName.parse("api")


def test_two_arrows() -> None:
    """A chain of hops is not one link."""
    with pytest.raises(ConfigError, match="has more than one '->'"):
        LinkName.parse("gateway->api-1->db-primary")


@pytest.mark.parametrize("text", ["->db-primary", "api->", "->"])
def test_empty_side(text: str) -> None:
    """Both services must be named."""
    with pytest.raises(ConfigError, match="has an empty side; name both services"):
        LinkName.parse(text)


@pytest.mark.parametrize("text", ["api ->db", "api->db primary", "api->db/1", "-api->db"])
def test_bad_service_name(text: str) -> None:
    """Spaces, slashes or a leading dash in a service name are refused with the allowed alphabet."""
    with pytest.raises(ConfigError, match="must be a service name of letters, digits"):
        LinkName.parse(text)


@pytest.mark.parametrize("value", [None, 42, b"api->db", ("api", "db")])
def test_not_a_string(value: object) -> None:
    """Anything but a string (or a LinkName) is refused, and the error names the field given."""
    with pytest.raises(ConfigError, match=r"^target=.* is not a link name; pass a string like"):
        LinkName.parse(value, field="target")  # type: ignore[arg-type]


def test_direct_construction_checks_too() -> None:
    """Building a LinkName from parts applies the same service-name rule as parsing."""
    with pytest.raises(ConfigError, match="link source ''"):
        LinkName("", "db-primary")


def test_sandbox_link_names_parse() -> None:
    """Every link a sandbox shape has (the GameDay spec's known targets) is a valid LinkName."""

    class Box:
        replicas, db_replicas = 2, 2

    _, links = known_targets(Box())
    parsed = [LinkName.parse(n) for n in links]
    assert {p.source for p in parsed} == {"gateway", "api"}
    assert "api->db-replica-2" in links and "gateway->api-2" in links
