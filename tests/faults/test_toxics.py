"""What each toxic does to real traffic through the proxy (TCP echo and HTTP upstreams)."""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from tests.faults.helpers import http_get, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture()
def echo_link(api, tcp_echo) -> tuple[str, int]:
    """A proxy named "echo" in front of the TCP echo server: (name, listen port)."""
    status, body = api("POST", "/proxies", {"name": "echo", "upstream": f"127.0.0.1:{tcp_echo}"})
    assert status == 201
    return "echo", int(body["listen"].rsplit(":", 1)[1])


def _connect(port: int, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _recv_until_eof(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_latency_delays_responses_by_at_least_the_latency(api, link) -> None:
    """A 150 ms downstream latency toxic delays a response by at least 150 ms."""
    api("POST", "/proxies/web/toxics", {"type": "latency", "attributes": {"latency": 150}})
    start = time.perf_counter()
    assert http_get(link[1])[:2] == (200, b"hello")
    assert time.perf_counter() - start >= 0.15


def test_adding_a_toxic_affects_open_connections(api, link) -> None:
    """A toxic added while a keep-alive connection is open applies to that connection too."""
    conn = http.client.HTTPConnection("127.0.0.1", link[1], timeout=10)
    try:
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"hello"
        api(
            "POST",
            "/proxies/web/toxics",
            {"type": "status_code", "attributes": {"status_code": 503}},
        )
        conn.request("GET", "/")
        assert conn.getresponse().status == 503
    finally:
        conn.close()


def test_large_transfer_is_intact_through_latency(api, link) -> None:
    """A 2 MB body crosses a latency toxic byte for byte."""
    api(
        "POST",
        "/proxies/web/toxics",
        {"type": "latency", "attributes": {"latency": 5, "jitter": 3}},
    )
    status, body, _ = http_get(link[1], "/bytes/2000000")
    assert status == 200 and body == b"x" * 2_000_000


def test_bandwidth_paces_the_transfer(api, link) -> None:
    """At 50 KB/s a 20 KB body takes at least 0.3 s and arrives intact."""
    api("POST", "/proxies/web/toxics", {"type": "bandwidth", "attributes": {"rate": 50}})
    start = time.perf_counter()
    status, body, _ = http_get(link[1], "/bytes/20000")
    assert status == 200 and len(body) == 20000
    assert time.perf_counter() - start >= 0.3


def test_timeout_zero_is_a_black_hole_and_removal_closes(api, echo_link) -> None:
    """timeout=0 drops all data; removing the toxic closes the affected connection."""
    api("POST", "/proxies/echo/toxics", {"type": "timeout", "attributes": {"timeout": 0}})
    sock = _connect(echo_link[1], timeout=0.5)
    with sock:
        sock.sendall(b"ping")
        with pytest.raises(TimeoutError):
            sock.recv(10)
        assert api("DELETE", "/proxies/echo/toxics/timeout_downstream")[0] == 204
        sock.settimeout(10)
        assert sock.recv(10) == b""


def test_timeout_closes_after_its_delay(api, echo_link) -> None:
    """timeout=200 closes the connection after 200 ms without passing data."""
    api("POST", "/proxies/echo/toxics", {"type": "timeout", "attributes": {"timeout": 200}})
    with _connect(echo_link[1]) as sock:
        sock.sendall(b"ping")
        assert _recv_until_eof(sock) == b""


def test_reset_peer_resets_the_connection(api, echo_link) -> None:
    """reset_peer answers the first data with a TCP RST."""
    api("POST", "/proxies/echo/toxics", {"type": "reset_peer", "attributes": {"timeout": 0}})
    with _connect(echo_link[1]) as sock:
        sock.sendall(b"ping")
        with pytest.raises(ConnectionResetError):
            _recv_until_eof(sock)


def test_limit_data_closes_after_n_bytes(api, echo_link) -> None:
    """limit_data passes exactly N bytes downstream, then closes."""
    api("POST", "/proxies/echo/toxics", {"type": "limit_data", "attributes": {"bytes": 100}})
    with _connect(echo_link[1]) as sock:
        sock.sendall(b"a" * 1000)
        assert _recv_until_eof(sock) == b"a" * 100


def test_slicer_keeps_the_data_intact(api, echo_link) -> None:
    """slicer cuts data into small writes without losing or reordering bytes."""
    attrs = {"average_size": 50, "size_variation": 20, "delay": 10}
    api("POST", "/proxies/echo/toxics", {"type": "slicer", "attributes": attrs})
    payload = bytes(range(256)) * 40
    with _connect(echo_link[1]) as sock:
        sock.sendall(payload)
        assert _recv_exactly(sock, len(payload)) == payload


def test_packet_loss_of_one_drops_everything(api, echo_link) -> None:
    """packet_loss with loss_rate 1 drops every chunk."""
    api("POST", "/proxies/echo/toxics", {"type": "packet_loss", "attributes": {"loss_rate": 1.0}})
    with _connect(echo_link[1], timeout=0.5) as sock:
        sock.sendall(b"ping")
        with pytest.raises(TimeoutError):
            sock.recv(10)


def _delivered(port: int, connections: int) -> int:
    """How many of ``connections`` one-byte echoes come back (each connection one chunk each way)."""
    got = 0
    for _ in range(connections):
        with _connect(port) as sock:
            sock.sendall(b"x")
            sock.shutdown(socket.SHUT_WR)
            got += _recv_until_eof(sock) == b"x"
    return got


def test_half_closed_connections_keep_their_reply(echo_link) -> None:
    """A client that sends and half-closes at once (nc -N, HTTP/1.0) gets every reply back: the
    EOF is forwarded once, even when the client transport reports it again after resuming."""
    assert _delivered(echo_link[1], 100) == 100


@pytest.mark.parametrize("rate", [0.25, 0.6])
def test_packet_loss_drops_about_its_rate(api, echo_link, rate: float) -> None:
    """packet_loss drops each chunk with probability loss_rate: 400 one-chunk echoes lose
    rate x 400 of them, within five standard deviations (a halved or doubled rate falls outside)."""
    api("POST", "/proxies/echo/toxics", {"type": "packet_loss", "attributes": {"loss_rate": rate}})
    n = 400
    lost = n - _delivered(echo_link[1], n)
    spread = 5 * (n * rate * (1 - rate)) ** 0.5
    assert abs(lost - rate * n) <= spread, (lost, rate * n)


def test_packet_loss_correlation_one_repeats_the_first_decision(api, echo_link) -> None:
    """With correlation 1 every chunk of a connection shares the first chunk's fate."""
    attrs = {"loss_rate": 0.5, "correlation": 1.0}
    api("POST", "/proxies/echo/toxics", {"type": "packet_loss", "attributes": attrs})
    outcomes = set()
    for _ in range(40):
        with _connect(echo_link[1], timeout=0.3) as sock:
            got = []
            for _ in range(5):
                sock.sendall(b"y")
                try:
                    got.append(sock.recv(10) == b"y")
                except TimeoutError:
                    got.append(False)
            outcomes.add(tuple(got))
    assert outcomes <= {(True,) * 5, (False,) * 5}


def test_upstream_stream_toxic_acts_on_requests(api, echo_link) -> None:
    """A toxic on the upstream stream acts on client-to-server bytes (here: all dropped)."""
    api(
        "POST",
        "/proxies/echo/toxics",
        {"type": "packet_loss", "stream": "upstream", "attributes": {"loss_rate": 1.0}},
    )
    with _connect(echo_link[1], timeout=0.5) as sock:
        sock.sendall(b"ping")
        with pytest.raises(TimeoutError):
            sock.recv(10)


def test_toxicity_zero_leaves_the_link_alone(api, echo_link) -> None:
    """A toxic with toxicity 0 never fires: a black hole with toxicity 0 passes data."""
    api("POST", "/proxies/echo/toxics", {"type": "timeout", "toxicity": 0.0})
    with _connect(echo_link[1]) as sock:
        sock.sendall(b"ping")
        assert _recv_exactly(sock, 4) == b"ping"


def test_slow_close_delays_the_close(api, echo_link) -> None:
    """slow_close holds the downstream close for its delay."""
    api("POST", "/proxies/echo/toxics", {"type": "slow_close", "attributes": {"delay": 300}})
    with _connect(echo_link[1]) as sock:
        sock.sendall(b"bye")
        assert _recv_exactly(sock, 3) == b"bye"
        start = time.perf_counter()
        sock.shutdown(socket.SHUT_WR)
        assert _recv_until_eof(sock) == b""
        assert time.perf_counter() - start >= 0.3


def test_status_code_replaces_status_and_body(api, link) -> None:
    """status_code turns responses into the given status and, if asked, replaces the body."""
    attrs = {"status_code": 503, "modify_response_body": 1, "response_body": "down for chaos"}
    api("POST", "/proxies/web/toxics", {"type": "status_code", "attributes": attrs})
    status, body, headers = http_get(link[1])
    assert (status, body) == (503, b"down for chaos")
    assert headers["Content-Length"] == str(len(b"down for chaos"))


def test_http_toxicity_is_rolled_per_response(api, link) -> None:
    """HTTP toxics roll toxicity per response: one keep-alive connection sees both outcomes, in
    the proportion the toxicity says."""
    api("POST", "/proxies/web/toxics", {"type": "status_code", "toxicity": 0.5})
    conn = http.client.HTTPConnection("127.0.0.1", link[1], timeout=10)
    statuses = []
    try:
        for _ in range(200):
            conn.request("GET", "/")
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        conn.close()
    assert set(statuses) == {200, 500}
    # about half of them (five standard deviations: a halved or doubled toxicity falls outside)
    assert abs(statuses.count(500) - 100) <= 5 * (200 * 0.25) ** 0.5


def test_header_toxic_sets_request_and_response_headers(api, link) -> None:
    """header adds headers to responses (downstream) or requests (mode request, upstream)."""
    api(
        "POST",
        "/proxies/web/toxics",
        {
            "type": "header",
            "name": "req",
            "attributes": {"headers": {"X-Injected": "yes"}, "mode": "request"},
        },
    )
    api(
        "POST",
        "/proxies/web/toxics",
        {"type": "header", "name": "resp", "attributes": {"headers": {"X-Chaos": "1"}}},
    )
    _, _, headers = http_get(link[1])
    assert headers["X-Seen-Header"] == "yes" and headers["X-Chaos"] == "1"


def test_modify_body_replaces_the_body(api, link) -> None:
    """modify_body replaces response bodies and fixes Content-Length."""
    api("POST", "/proxies/web/toxics", {"type": "modify_body", "attributes": {"body": "{}"}})
    assert http_get(link[1])[:2] == (200, b"{}")


def test_removing_toxics_returns_to_the_fast_path(api, link) -> None:
    """After the last toxic is removed, traffic flows normally again on a reused connection."""
    conn = http.client.HTTPConnection("127.0.0.1", link[1], timeout=10)
    try:
        api("POST", "/proxies/web/toxics", {"type": "status_code"})
        conn.request("GET", "/")
        response = conn.getresponse()
        assert (response.status, response.read()) == (500, b"hello")
        api("DELETE", "/proxies/web/toxics/status_code_downstream")
        wait_for(lambda: api("GET", "/proxies/web/toxics")[1] == [], what="toxic removal")
        conn.request("GET", "/")
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"hello")
    finally:
        conn.close()
