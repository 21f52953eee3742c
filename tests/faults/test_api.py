"""The Toxiproxy 2.12 HTTP API contract: routes, status codes, JSON shapes, defaults and errors."""

from __future__ import annotations

import socket

import pytest

from tests.faults.helpers import http_get

pytestmark = pytest.mark.integration


def test_version_is_toxiproxy_json(api) -> None:
    """GET /version answers Toxiproxy's JSON form with the 2.12.0 version."""
    assert api("GET", "/version") == (200, {"version": "2.12.0"})


def test_create_proxy_answers_201_with_the_real_port(api, upstream) -> None:
    """POST /proxies with port 0 answers 201 and the bound port, and the proxy forwards."""
    status, body = api("POST", "/proxies", {"name": "a", "upstream": f"127.0.0.1:{upstream}"})
    assert status == 201
    assert list(body) == ["name", "listen", "upstream", "enabled", "toxics"]
    host, port = body["listen"].rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    assert body["enabled"] is True and body["toxics"] == []
    assert http_get(int(port))[:2] == (200, b"hello")


def test_get_proxies_is_a_dict_keyed_by_name(api, link) -> None:
    """GET /proxies answers an object keyed by proxy name."""
    status, body = api("GET", "/proxies")
    assert status == 200 and set(body) == {"web"} and body["web"]["name"] == "web"


def test_duplicate_and_missing_fields(api, link, upstream) -> None:
    """A duplicate proxy is 409, a missing name or upstream is 400, with Toxiproxy's messages."""
    assert api("POST", "/proxies", {"name": "web", "upstream": f"127.0.0.1:{upstream}"}) == (
        409,
        {"error": "proxy already exists", "status": 409},
    )
    assert api("POST", "/proxies", {"upstream": "127.0.0.1:1"}) == (
        400,
        {"error": "missing required field: name", "status": 400},
    )
    assert api("POST", "/proxies", {"name": "x"})[1]["error"] == "missing required field: upstream"


def test_malformed_json_is_400_bad_request_body(api, link) -> None:
    """Malformed JSON gives 400 with a 'bad request body' error and creates nothing."""
    status, body = api("POST", "/proxies/web/toxics", b"{not json")
    assert status == 400 and body["error"].startswith("bad request body")
    assert api("GET", "/proxies/web/toxics") == (200, [])


def test_unknown_proxy_and_toxic_are_404(api, link) -> None:
    """Unknown proxies and toxics give Toxiproxy's 404 bodies."""
    assert api("GET", "/proxies/nope") == (404, {"error": "proxy not found", "status": 404})
    assert api("DELETE", "/proxies/web/toxics/nope") == (
        404,
        {"error": "toxic not found", "status": 404},
    )


def test_toxic_defaults_and_shapes(api, link) -> None:
    """A toxic with only a type gets name <type>_<stream>, downstream, toxicity 1 and zero attributes."""
    status, body = api("POST", "/proxies/web/toxics", {"type": "latency", "attributes": None})
    assert status == 200
    assert body == {
        "attributes": {"latency": 0, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    assert api("GET", "/proxies/web/toxics")[1] == [body]
    assert api("GET", "/proxies/web/toxics/latency_downstream") == (200, body)


@pytest.mark.parametrize(
    ("toxic", "message"),
    [
        ({"type": "nope"}, "invalid toxic type"),
        ({"type": "latency", "stream": "sideways"}, "stream was invalid"),
        ({"type": "latency", "attributes": {"latency": -5}}, "must not be negative"),
        ({"type": "latency", "attributes": {"latency": "slow"}}, "must be an integer"),
        ({"type": "latency", "toxicity": 1.5}, "between 0 and 1"),
        ({"type": "status_code", "attributes": {"status_code": 299}}, "not supported"),
    ],
)
def test_bad_toxics_are_400_and_nothing_is_applied(api, link, toxic, message) -> None:
    """Bad toxic input answers 400 naming the problem, and no toxic is added."""
    status, body = api("POST", "/proxies/web/toxics", toxic)
    assert status == 400 and message in body["error"] and body["status"] == 400
    assert api("GET", "/proxies/web/toxics") == (200, [])


def test_duplicate_toxic_name_is_409_across_streams(api, link) -> None:
    """Toxic names are unique per proxy across both streams."""
    assert api("POST", "/proxies/web/toxics", {"type": "latency", "name": "t"})[0] == 200
    status, body = api(
        "POST", "/proxies/web/toxics", {"type": "latency", "name": "t", "stream": "upstream"}
    )
    assert (status, body["error"]) == (409, "toxic already exists")


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_toxic_update_merges_attributes(api, link, method) -> None:
    """POST and PATCH on a toxic merge attributes and keep the current toxicity by default."""
    api(
        "POST",
        "/proxies/web/toxics",
        {"type": "latency", "toxicity": 0.5, "attributes": {"latency": 10, "jitter": 2}},
    )
    status, body = api(
        method, "/proxies/web/toxics/latency_downstream", {"attributes": {"latency": 99}}
    )
    assert status == 200
    assert body["attributes"] == {"latency": 99, "jitter": 2} and body["toxicity"] == 0.5


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_disable_proxy_refuses_connections_and_enable_restores(api, link, method) -> None:
    """enabled:false is Toxiproxy's "down": new connections are refused until enabled again."""
    name, port = link
    status, body = api(method, f"/proxies/{name}", {"enabled": False})
    assert status == 200 and body["enabled"] is False
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert api(method, f"/proxies/{name}", {"enabled": True})[1]["enabled"] is True
    assert http_get(port)[0] == 200


def test_reset_removes_toxics_and_enables_proxies_but_keeps_them(api, link) -> None:
    """POST /reset answers 204, removes every toxic, re-enables proxies and deletes none."""
    api("POST", "/proxies/web/toxics", {"type": "latency"})
    api("POST", "/proxies/web", {"enabled": False})
    assert api("POST", "/reset") == (204, None)
    body = api("GET", "/proxies/web")[1]
    assert body["enabled"] is True and body["toxics"] == []


def test_delete_proxy_is_204_and_closes_the_listener(api, link) -> None:
    """DELETE /proxies/{name} answers 204 and the listen port stops accepting."""
    name, port = link
    assert api("DELETE", f"/proxies/{name}") == (204, None)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_populate_answers_proxies_and_keeps_matching_ones(api, upstream) -> None:
    """POST /populate answers 201 {"proxies": [...]}; a same-upstream entry keeps its port."""
    spec = [{"name": "p1", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{upstream}"}]
    status, body = api("POST", "/populate", spec)
    assert status == 201 and [p["name"] for p in body["proxies"]] == ["p1"]
    again = api("POST", "/populate", spec)[1]
    assert again["proxies"][0]["listen"] == body["proxies"][0]["listen"]
    bad = api("POST", "/populate", [*spec, {"name": "p2"}])
    assert bad[0] == 400 and bad[1]["error"] == "missing required field: upstream at proxy 2"


def test_browser_user_agent_is_403(api) -> None:
    """A request whose User-Agent starts with Mozilla/ is refused with 403 (CSRF guard)."""
    status, body = api("GET", "/proxies", headers={"User-Agent": "Mozilla/5.0 (X11)"})
    assert status == 403 and "User agent not allowed" in body


def test_non_loopback_upstream_is_refused(api) -> None:
    """An upstream that is neither loopback nor allow-listed is refused and says how to allow it."""
    status, body = api("POST", "/proxies", {"name": "x", "upstream": "10.1.2.3:80"})
    assert status == 403 and "PULSEKIT_ALLOW_HOSTS" in body["error"]
    assert api("GET", "/proxies") == (200, {})


def test_metrics_and_healthz(api, link) -> None:
    """/metrics exposes Toxiproxy's byte counters per proxy and /healthz answers ok."""
    http_get(link[1])
    status, text = api("GET", "/metrics")
    assert status == 200
    assert 'toxiproxy_proxy_received_bytes_total{direction="upstream"' in text
    assert 'proxy="web"' in text and "pulsekit_faults_halted 0.0" in text
    assert api("GET", "/healthz")[1]["status"] == "ok"
