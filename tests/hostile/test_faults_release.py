"""Data a toxic is holding is released at once when the toxic is removed, expires or is halted."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from tests.hostile.conftest import HeldUpstream, wait_for

Api = Callable[..., tuple[int, Any]]
HOLD = 60_000  # ms: far longer than the 30 s the client below waits


def _request(port: int, path: str = "/") -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    return client


def _read_to_eof(client: socket.socket) -> bytes:
    """Everything until the proxy closes; socket.timeout (30 s) if the data stays held."""
    chunks = []
    with client:
        while data := client.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def _link(api: Api, held: HeldUpstream) -> int:
    status, body = api("POST", "/proxies", {"name": "db", "upstream": f"127.0.0.1:{held.port}"})
    assert status == 201
    return int(body["listen"].rsplit(":", 1)[1])


@pytest.mark.parametrize("revert", ["delete", "ttl", "halt", "reset"])
def test_latency_releases_held_data_when_reverted(
    api: Api, held_upstream: HeldUpstream, revert: str
) -> None:
    """A 60 s latency toxic that is deleted, expires (TTL 1s), halted or reset lets the answer go."""
    port = _link(api, held_upstream)
    toxic = {"name": "l8", "type": "latency", "attributes": {"latency": HOLD}}
    headers = {"X-Pulsekit-Ttl": "1s"} if revert == "ttl" else {}
    assert api("POST", "/proxies/db/toxics", toxic, headers=headers)[0] == 200
    client = _request(port)
    wait_for(lambda: held_upstream.answered, 20, "the upstream to answer")
    if revert == "delete":
        assert api("DELETE", "/proxies/db/toxics/l8")[0] == 204
    elif revert == "halt":
        api("POST", "/pulsekit/halt")
    elif revert == "reset":
        assert api("POST", "/reset")[0] == 204
    answer = _read_to_eof(client)
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"hello")


def test_bandwidth_and_slow_close_release_at_once_when_removed(
    api: Api, held_upstream: HeldUpstream
) -> None:
    """A 1 KB/s bandwidth toxic sends the rest, a 60 s slow_close closes, once deleted."""
    port = _link(api, held_upstream)
    toxic = {"name": "bw", "type": "bandwidth", "attributes": {"rate": 1}}
    assert api("POST", "/proxies/db/toxics", toxic)[0] == 200
    client = _request(port, "/big")
    wait_for(lambda: held_upstream.answered, 20, "the upstream to answer")
    assert api("DELETE", "/proxies/db/toxics/bw")[0] == 204
    assert _read_to_eof(client).endswith(b"x" * 50_000)
    toxic = {"name": "sc", "type": "slow_close", "attributes": {"delay": HOLD}}
    assert api("POST", "/proxies/db/toxics", toxic)[0] == 200
    client = _request(port)
    wait_for(lambda: held_upstream.answered == 2, 20, "the upstream to answer")
    assert api("DELETE", "/proxies/db/toxics/sc")[0] == 204
    assert _read_to_eof(client).endswith(b"hello")
