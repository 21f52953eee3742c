"""The kernel pass-through (splice) of connections with no toxic, and the hand-over to toxics."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import threading
import time

import pytest

from pulsekit.faults import _splice
from tests.faults.helpers import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="splice(2) is Linux only"
    ),  # elsewhere the transport path serves, tested by the rest of tests/faults
]


@pytest.fixture()
def echo(api, tcp_echo) -> int:
    """Listen port of a proxy "echo" in front of the TCP echo server."""
    status, body = api("POST", "/proxies", {"name": "echo", "upstream": f"127.0.0.1:{tcp_echo}"})
    assert status == 201
    return int(body["listen"].rsplit(":", 1)[1])


def _conns(fault_proxy, name: str = "echo") -> list:
    return list(fault_proxy.collection.proxies[name].conns)


def _spliced(fault_proxy) -> bool:
    conns = _conns(fault_proxy)
    return len(conns) == 1 and conns[0].splice is not None


def _exchange(sock: socket.socket, payload: bytes) -> bytes:
    """Send ``payload`` while reading the echo on this thread; returns what came back."""
    sender = threading.Thread(target=sock.sendall, args=(payload,), daemon=True)
    sender.start()
    got = bytearray()
    while len(got) < len(payload):
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    sender.join(30)
    return bytes(got)


def _bulk(sock: socket.socket, fault_proxy) -> None:
    """Echo 1 MB chunks until the connection is spliced (a large read triggers it)."""
    for _ in range(20):
        payload = os.urandom(1 << 20)
        assert _exchange(sock, payload) == payload
        if _spliced(fault_proxy):
            return
    raise AssertionError("a connection moving 20 MB was not spliced")


def test_splice_is_available_here() -> None:
    """On Linux the pass-through is on (else every test below would pass on the transport path)."""
    assert _splice.ENABLED


def test_a_link_without_toxics_splices_and_keeps_bytes_identical(fault_proxy, echo) -> None:
    """8 MB of random bytes cross a spliced connection both ways byte for byte, and the byte
    counters of the link count them."""
    payload = os.urandom(8 << 20)
    proxy = fault_proxy.collection.proxies["echo"]
    with socket.create_connection(("127.0.0.1", echo), timeout=30) as sock:
        _bulk(sock, fault_proxy)
        before = proxy.bytes_total("sent", "downstream")
        got = _exchange(sock, payload)
        assert hashlib.sha256(got).digest() == hashlib.sha256(payload).digest()
        assert _spliced(fault_proxy)
    total = before + len(payload)
    wait_for(lambda: proxy.bytes_total("sent", "downstream") == total, what="byte counts")
    assert proxy.bytes_total("received", "upstream") == total


def test_small_request_response_traffic_stays_on_the_transports(fault_proxy, echo) -> None:
    """Small exchanges are cheaper through the transports than through four splice calls."""
    with socket.create_connection(("127.0.0.1", echo), timeout=10) as sock:
        for _ in range(200):
            assert _exchange(sock, b"x" * 1024) == b"x" * 1024
        assert len(_conns(fault_proxy)) == 1 and not _spliced(fault_proxy)


def test_a_toxic_added_to_a_spliced_connection_takes_effect(api, fault_proxy, echo) -> None:
    """An open spliced connection leaves the kernel path when a toxic is added (a 300 ms
    latency delays its next echo) and returns to it when the toxic is removed."""
    with socket.create_connection(("127.0.0.1", echo), timeout=10) as sock:
        _bulk(sock, fault_proxy)
        api("POST", "/proxies/echo/toxics", {"type": "latency", "attributes": {"latency": 300}})
        assert not _spliced(fault_proxy)
        start = time.monotonic()
        assert _exchange(sock, b"b") == b"b"
        assert time.monotonic() - start >= 0.3
        api("DELETE", "/proxies/echo/toxics/latency_downstream")
        assert _exchange(sock, b"c") == b"c"
        _bulk(sock, fault_proxy)  # bulk data again: back into the kernel


def test_a_toxic_added_mid_transfer_loses_and_reorders_nothing(api, fault_proxy, echo) -> None:
    """Bytes already in the kernel pipe when a toxic arrives go on first: a 16 MB echo that a
    slicer toxic joins halfway comes back identical."""
    payload = os.urandom(16 << 20)
    with socket.create_connection(("127.0.0.1", echo), timeout=60) as sock:
        _bulk(sock, fault_proxy)
        sender = threading.Thread(target=sock.sendall, args=(payload,), daemon=True)
        sender.start()
        got = bytearray()
        added = False
        while len(got) < len(payload):
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            got += chunk
            if not added and len(got) > len(payload) // 2:
                attributes = {"average_size": 4096, "size_variation": 1000}
                api("POST", "/proxies/echo/toxics", {"type": "slicer", "attributes": attributes})
                added = True
        sender.join(30)
    assert added and not _spliced(fault_proxy)
    assert hashlib.sha256(got).digest() == hashlib.sha256(payload).digest()


def test_half_close_propagates_through_a_spliced_connection(fault_proxy, echo) -> None:
    """A client's EOF reaches the upstream, whose reply and own EOF still come back."""
    with socket.create_connection(("127.0.0.1", echo), timeout=10) as sock:
        _bulk(sock, fault_proxy)
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := sock.recv(65536):
            got += chunk
        assert got == b"last words"  # then EOF: the echo server closed after our EOF
    wait_for(lambda: not _conns(fault_proxy), what="the proxied connection to close")


def test_closing_spliced_connections_releases_their_descriptors(fault_proxy, echo) -> None:
    """Twenty spliced connections opened and closed leave no descriptor behind in the proxy."""

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    wait_for(lambda: not _conns(fault_proxy), what="no open connection")
    before = fds()
    socks = [socket.create_connection(("127.0.0.1", echo), timeout=10) for _ in range(20)]
    try:
        for i, sock in enumerate(socks):
            for _ in range(20):
                payload = os.urandom(1 << 20)
                assert _exchange(sock, payload) == payload
                if sum(c.splice is not None for c in _conns(fault_proxy)) > i:
                    break
        wait_for(
            lambda: (
                len(_conns(fault_proxy)) == 20
                and all(c.splice is not None for c in _conns(fault_proxy))
            ),
            what="twenty spliced connections",
        )
        assert fds() >= before + 20 * 6  # two duplicates and two kernel pipes each, at least
    finally:
        for sock in socks:
            sock.close()
    wait_for(lambda: not _conns(fault_proxy), what="the connections to close")
    wait_for(lambda: fds() <= before, what="descriptors back to the count before")


def test_an_upstream_reset_closes_the_spliced_client(api, fault_proxy, echo) -> None:
    """Deleting the link while a spliced connection is open closes the client's side too."""
    with socket.create_connection(("127.0.0.1", echo), timeout=10) as sock:
        _bulk(sock, fault_proxy)
        api("DELETE", "/proxies/echo")
        try:
            data = sock.recv(10)
        except ConnectionResetError:
            data = b""  # an abort may arrive as a reset: closed either way
        assert data == b""
