"""Hostile input to the fault API: every way in is held to halt, TTL, the allow-list and 4xx."""

from __future__ import annotations

import socket
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from pulsekit._util import is_loopback
from pulsekit.faults import FaultProxy
from tests.hostile.conftest import wait_for

Api = Callable[..., tuple[int, Any]]


def _get(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        return int(response.status)


def _port(listen: str) -> int:
    return int(listen.rsplit(":", 1)[1])


# -- F2: populate and enabled:false cannot bypass halt or the TTL -----------------------------
def test_populate_always_creates_enabled_proxies_even_when_halted(api: Api, upstream: int) -> None:
    """POST /populate with "enabled": false creates an enabled proxy, as Toxiproxy does."""
    api("POST", "/pulsekit/halt")
    status, body = api(
        "POST",
        "/populate",
        [{"name": "db", "upstream": f"127.0.0.1:{upstream}", "enabled": False}],
    )
    assert status == 201
    proxy = api("GET", "/proxies/db")[1]
    assert proxy["enabled"] is True
    assert _get(_port(proxy["listen"])) == 200


def test_creating_a_disabled_proxy_is_a_fault_refused_by_halt_and_reverted_by_ttl(
    api: Api, upstream: int
) -> None:
    """POST /proxies with "enabled": false answers 423 while halted, else is a down fault with a TTL."""
    body = {"name": "down", "upstream": f"127.0.0.1:{upstream}", "enabled": False}
    api("POST", "/pulsekit/halt")
    assert api("POST", "/proxies", body)[0] == 423
    assert api("GET", "/proxies/down")[0] == 404
    api("POST", "/pulsekit/release")
    assert api("POST", "/proxies", body, headers={"X-Pulsekit-Ttl": "1s"})[0] == 201
    active = api("GET", "/pulsekit/status")[1]["active"]
    assert [(a["proxy"], a["kind"]) for a in active] == [("down", "down")]
    wait_for(lambda: api("GET", "/proxies/down")[1]["enabled"], 20, "the TTL to re-enable it")
    assert _get(_port(api("GET", "/proxies/down")[1]["listen"])) == 200
    assert api("POST", "/proxies", {**body, "name": "down2"})[0] == 201
    api("POST", "/pulsekit/halt")  # halt reverts it like any other fault
    assert api("GET", "/proxies/down2")[1]["enabled"] is True
    assert api("GET", "/pulsekit/status")[1]["active"] == []


# -- F3 and F13: listen addresses follow the loopback/allow-list rule ---------------------------
def test_listen_addresses_never_reach_the_network(api: Api, upstream: int) -> None:
    """Wildcards bind loopback; other non-loopback listen hosts answer 403, on create and update."""
    up = f"127.0.0.1:{upstream}"
    status, body = api("POST", "/proxies", {"name": "w4", "listen": "0.0.0.0:0", "upstream": up})
    assert status == 201 and body["listen"].startswith("127.0.0.1:")
    status, body = api("POST", "/proxies", {"name": "w6", "listen": "[::]:0", "upstream": up})
    assert status == 201 and body["listen"].startswith("[::1]:")
    status, body = api("POST", "/proxies", {"name": "w0", "listen": ":0", "upstream": up})
    assert status == 201 and body["listen"].startswith("127.0.0.1:")
    for listen in ("10.0.0.1:0", "192.0.2.1:18090", "example.com:0", "[2001:db8::1]:0"):
        status, body = api("POST", "/proxies", {"name": "pub", "listen": listen, "upstream": up})
        assert status == 403, (listen, body)
        assert "listen address" in body["error"]
    before = api("GET", "/proxies/w4")[1]
    assert api("POST", "/proxies/w4", {"listen": "10.0.0.1:0"})[0] == 403
    assert api("GET", "/proxies/w4")[1] == before
    populate = [{"name": "p", "listen": "10.0.0.1:0", "upstream": up}]
    assert api("POST", "/populate", populate)[0] == 403


def test_dot_localhost_names_are_resolved_not_trusted(api: Api) -> None:
    """A *.localhost name passes only if every address it resolves to is loopback."""
    name = "pulsekit-hostile-probe.localhost"
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        addresses = set()  # unresolvable here (hosts: files dns): must be refused
    loopback = bool(addresses) and all(is_loopback(a) for a in addresses)
    assert is_loopback(name) is loopback
    assert is_loopback("localhost") and is_loopback("127.0.0.5") and is_loopback("::1")
    expected = 201 if loopback else 403
    assert api("POST", "/proxies", {"name": "t", "upstream": f"{name}:80"})[0] == expected


# -- F6: ports outside 1-65535 -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("listen", "up"),
    [
        ("127.0.0.1:99999", "127.0.0.1:{up}"),
        ("127.0.0.1:65536", "127.0.0.1:{up}"),
        ("127.0.0.1:0", "127.0.0.1:99999"),
        ("127.0.0.1:0", "127.0.0.1:0"),
    ],
)
def test_ports_outside_the_tcp_range_are_refused(
    api: Api, upstream: int, listen: str, up: str
) -> None:
    """A port that does not fit 1-65535 (0 only for listen) answers 400, never wraps around."""
    body = {"name": "bigport", "listen": listen, "upstream": up.format(up=upstream)}
    status, answer = api("POST", "/proxies", body)
    assert status == 400, answer
    assert api("GET", "/proxies/bigport")[0] == 404


def test_an_update_to_a_port_outside_the_range_is_refused(api: Api, upstream: int) -> None:
    """Updating listen or upstream to port 70000 answers 400 and changes nothing."""
    api("POST", "/proxies", {"name": "u", "upstream": f"127.0.0.1:{upstream}"})
    before = api("GET", "/proxies/u")[1]
    assert api("POST", "/proxies/u", {"listen": "127.0.0.1:70000"})[0] == 400
    assert api("POST", "/proxies/u", {"upstream": "127.0.0.1:70000"})[0] == 400
    assert api("GET", "/proxies/u")[1] == before


# -- F22: integer attributes are int64 and time attributes are bounded by max_ttl ---------------
@pytest.mark.parametrize(
    ("kind", "attributes"),
    [
        ("latency", {"latency": 1e308}),
        ("latency", {"latency": 2**63}),
        ("latency", {"latency": 10**18}),
        ("latency", {"latency": 3_600_001}),
        ("latency", {"latency": 10, "jitter": 3_600_001}),
        ("slow_close", {"delay": 10**12}),
        ("timeout", {"timeout": 10**12}),
        ("reset_peer", {"timeout": 10**12}),
        ("bandwidth", {"rate": 2**64}),
        ("limit_data", {"bytes": 1e300}),
        ("slicer", {"average_size": 2**63}),
    ],
)
def test_integer_attributes_beyond_int64_or_the_max_ttl_are_refused(
    api: Api, upstream: int, kind: str, attributes: dict[str, Any]
) -> None:
    """A toxic whose integer does not fit int64, or whose time outlives the TTL, answers 400."""
    api("POST", "/proxies", {"name": "i", "upstream": f"127.0.0.1:{upstream}"})
    status, body = api("POST", "/proxies/i/toxics", {"type": kind, "attributes": attributes})
    assert status == 400, body
    assert api("GET", "/proxies/i/toxics")[1] == []


def test_a_toxic_update_beyond_the_bounds_is_refused_and_changes_nothing(
    api: Api, upstream: int
) -> None:
    """Updating a latency to 1e18 ms answers 400; the toxic keeps its attributes."""
    api("POST", "/proxies", {"name": "i", "upstream": f"127.0.0.1:{upstream}"})
    ok = {"name": "l", "type": "latency", "attributes": {"latency": 3_600_000}}
    assert api("POST", "/proxies/i/toxics", ok)[0] == 200
    assert api("POST", "/proxies/i/toxics/l", {"attributes": {"latency": 10**18}})[0] == 400
    assert api("GET", "/proxies/i/toxics/l")[1]["attributes"]["latency"] == 3_600_000


# -- F7: a failed update applies nothing -------------------------------------------------------
def test_a_failed_proxy_update_leaves_the_proxy_exactly_as_it_was(
    api: Api, upstream: int, fault_proxy: FaultProxy
) -> None:
    """Updates that fail (port in use, unresolvable host, bad types) keep the link up and unchanged."""
    api("POST", "/proxies", {"name": "db", "upstream": f"127.0.0.1:{upstream}"})
    before = api("GET", "/proxies/db")[1]
    for update in (
        {"listen": f"127.0.0.1:{fault_proxy.port}"},  # address already in use
        {"listen": "no such host:18081"},
        {"listen": "localhost:notaport"},
        {"upstream": "10.0.0.1:80"},
        {"enabled": "no"},
        {"listen": 5},
    ):
        status, body = api("POST", "/proxies/db", update)
        assert 400 <= status < 600 and status != 200, (update, body)
        assert api("GET", "/proxies/db")[1] == before, update
        assert _get(_port(before["listen"])) == 200, update
    assert api("GET", "/pulsekit/status")[1]["active"] == []


# -- F10: unforeseen input shapes answer 4xx ----------------------------------------------------
@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/proxies", b"[" * 200_000),
        ("/populate", b"[" * 200_000),
        ("/proxies", b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b', "upstream": "x:1"}'),
        ("/proxies", b'{"name": "gh", "listen": "no such host:1234", "upstream": "127.0.0.1:9"}'),
    ],
)
def test_unforeseen_bodies_answer_400_not_500(api: Api, path: str, raw: bytes) -> None:
    """Deep nesting, unresolvable listen hosts and wrong JSON types are the caller's error (4xx)."""
    status, body = api("POST", path, raw)
    assert 400 <= status < 500, (status, body)
    assert api("GET", "/proxies")[0] == 200  # and the server still answers


# -- F11: names are strings of a safe set, always addressable -----------------------------------
UNSAFE = ["x{y}", "a/b", "a b", "tab\t", "new\nline", "", {"a": 1}, 5, ["db"], "x" * 201]
SAFE = ["web->db", "db.primary", "a_b-c~d", "x:y@z", "UP(1)+[2]"]


def test_names_are_safe_strings_and_always_addressable(api: Api, upstream: int) -> None:
    """Unsafe names answer 400 (proxies and toxics); every accepted name can be addressed again."""
    up = f"127.0.0.1:{upstream}"
    api("POST", "/proxies", {"name": "ok", "upstream": up})
    for name in UNSAFE:
        status, body = api("POST", "/proxies", {"name": name, "upstream": up})
        assert status == 400, (name, body)
        if name != "":  # an empty toxic name means the default one
            toxic = {"name": name, "type": "latency", "attributes": {"latency": 1}}
            assert api("POST", "/proxies/ok/toxics", toxic)[0] == 400, name
    assert list(api("GET", "/proxies")[1]) == ["ok"]
    assert api("GET", "/proxies/ok/toxics")[1] == []
    for name in SAFE:
        assert api("POST", "/proxies", {"name": name, "upstream": up})[0] == 201
        path = "/proxies/" + urllib.parse.quote(name, safe="")
        assert api("GET", path)[1]["name"] == name
        toxic = {"name": name, "type": "latency", "attributes": {"latency": 1}}
        assert api("POST", path + "/toxics", toxic)[0] == 200
        assert api("DELETE", path + "/toxics/" + urllib.parse.quote(name, safe=""))[0] == 204
        assert api("DELETE", path)[0] == 204
