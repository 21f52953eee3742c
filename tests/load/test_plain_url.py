"""A URL gets a plain request of exactly that URL (as k6, hey, wrk, vegeta); a sandbox gets its mixes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from pulsekit.cli import cli
from pulsekit.errors import ConfigError
from pulsekit.load import run
from pulsekit.load._request import parse_header, plain_request

SHOPPER_ROUTES = {
    "GET /",
    "GET /api/search",
    "GET /products/{id}",
    "GET /api/products/{id}",
    "POST /api/cart",
    "POST /api/checkout",
}


@dataclass
class Plain:
    """A plain http.server service that only has /healthz, recording every request it gets."""

    url: str
    seen: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def paths(self) -> set[str]:
        return {f"{method} {path}" for method, path, _, _ in self.seen}


@pytest.fixture
def plain() -> Iterator[Plain]:
    """A real server on an ephemeral loopback port, stopped after the test."""
    box = Plain(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            with lock:
                box.seen.append((self.command, self.path, dict(self.headers.items()), body))
            ok = self.path.split("?")[0] == "/healthz"
            reply = b'{"status": "ok"}' if ok else b"not found"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply)

        do_GET = do_POST = do_PUT = do_HEAD = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    box.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.integration
def test_cli_gets_exactly_the_url(plain: Plain) -> None:
    """`pulsekit load run URL/healthz` sends GET /healthz only, with 0% failures (no shop routes)."""
    args = ["load", "run", f"{plain.url}/healthz", "--rate", "20", "--duration", "1s"]
    result = CliRunner().invoke(cli, [*args, "--json", "-"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["requests"] == 20 and doc["failures"] == 0
    assert plain.paths() == {"GET /healthz"}
    assert len(plain.seen) == 20  # no probe: a URL with a path is never a sandbox


@pytest.mark.integration
def test_method_headers_body_and_basic_auth(plain: Plain) -> None:
    """method=, headers= and body= shape the request; user:password in the URL becomes Basic auth."""
    url = plain.url.replace("http://", "http://ops:s3cret@") + "/healthz?probe=1"
    result = run(
        url,
        rate=10,
        duration="1s",
        method="post",
        headers=["X-Team: sre", "Content-Type: application/json"],
        body='{"ping": 1}',
        progress=False,
    )
    assert result.failures == 0 and result.requests == 10
    assert set(result.endpoints.index) == {"POST /healthz"}
    assert {(m, p) for m, p, _, _ in plain.seen} == {("POST", "/healthz?probe=1")}
    _, _, headers, body = plain.seen[0]
    assert headers["X-Team"] == "sre" and body == b'{"ping": 1}'
    assert headers["Authorization"] == "Basic b3BzOnMzY3JldA=="  # base64("ops:s3cret")


@pytest.mark.integration
def test_root_url_of_a_plain_service_is_not_a_sandbox(plain: Plain) -> None:
    """A root URL is probed once (GET /_pulsekit/sandbox, 404 here), then gets a plain GET /."""
    result = run(plain.url, users=1, duration="1s", progress=False)
    assert set(result.endpoints.index) == {"GET /"}
    first, *rest = plain.seen
    assert first[:2] == ("GET", "/_pulsekit/sandbox")
    assert {(m, p) for m, p, _, _ in rest} == {("GET", "/")}
    assert result.failures == result.requests > 0  # this service has no "/": every request 404s


@pytest.mark.integration
def test_mix_stays_available_anywhere(plain: Plain) -> None:
    """--mix vendor sends the vendor routes even to a plain service (which 404s them)."""
    args = ["load", "run", plain.url, "--rate", "10", "--duration", "1s", "--mix", "vendor"]
    result = CliRunner().invoke(cli, [*args, "--json", "-"])
    doc = json.loads(result.stdout)
    assert {row["endpoint"] for row in doc["endpoints"]} == {
        "GET /vendor/{id}/dashboard",
        "GET /api/vendors/{id}/dashboard",
    }
    assert all(path.startswith(("GET /vendor/", "GET /api/vendors/")) for path in plain.paths())


@pytest.mark.integration
def test_sandbox_url_and_object_get_the_shopper_mix(shop: object) -> None:
    """The sandbox's URL (recognised by its probe endpoint) and the object both get the shop mix."""
    by_url = run(shop.url, rate=20, duration="2s", seed=3, progress=False)  # type: ignore[attr-defined]
    by_object = run(shop, rate=20, duration="2s", seed=3, progress=False)
    for result in (by_url, by_object):
        routes = set(result.endpoints.index)
        assert routes <= SHOPPER_ROUTES and len(routes) >= 3, routes
        assert result.failures == 0


def test_request_parts_are_checked_before_any_traffic() -> None:
    """Bad headers, methods and conflicting choices are one-line ConfigErrors naming the field."""
    url = "http://127.0.0.1:9/x"  # nothing listens there: validation comes first
    with pytest.raises(ConfigError, match="'Name: value'"):
        run(url, rate=1, duration="1s", headers=["X-Team sre"])
    with pytest.raises(ConfigError, match="method='FETCH'"):
        run(url, rate=1, duration="1s", method="FETCH")
    with pytest.raises(ConfigError, match="not both"):
        run(url, rate=1, duration="1s", mix="vendor", method="POST")
    with pytest.raises(ConfigError, match="locustfile"):
        run(url, rate=1, duration="1s", locustfile=__file__, body="{}")
    assert parse_header("Accept:  text/html ") == ("Accept", "text/html")
    req = plain_request("http://127.0.0.1:8080")
    assert (req.method, req.url, req.name) == ("GET", "http://127.0.0.1:8080/", "/")
