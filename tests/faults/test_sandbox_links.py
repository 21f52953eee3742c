"""The sandbox's links process is the fault proxy: faults on real hops and services of the shop."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from pulsekit import faults
from tests.faults.helpers import wait_for

pytestmark = pytest.mark.integration


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def test_links_process_serves_the_toxiproxy_api_metrics_and_healthz(shop) -> None:
    """shop.proxy_url lists every link as a Toxiproxy proxy and serves /metrics and /healthz."""
    with urllib.request.urlopen(shop.proxy_url + "/proxies", timeout=10) as response:
        proxies = json.loads(response.read())
    assert set(proxies) == set(shop.links)
    assert proxies["api->db-replica-1"]["listen"].endswith(
        f":{shop.links['api->db-replica-1'].listen_port}"
    )
    with urllib.request.urlopen(shop.proxy_url + "/metrics", timeout=10) as response:
        assert b"toxiproxy_proxy_sent_bytes_total" in response.read()
    with urllib.request.urlopen(shop.proxy_url + "/healthz", timeout=10) as response:
        assert json.loads(response.read())["status"] == "ok"


def test_http_errors_on_every_api_link_reach_the_customer(shop) -> None:
    """503s injected on every gateway->api hop reach the client, and the shop recovers after."""
    shop_faults = faults.connect(shop)
    url = shop.url + "/api/products/1"
    links = [name for name in shop.links if name.startswith("gateway->")]
    applied: list[faults.Fault] = []
    try:
        for name in links:
            applied.append(shop_faults.http_errors(name, status=503, ttl="1m"))
        assert _status(url) >= 500  # the injected 503 (or the gateway's own error once it ejects)
    finally:
        for fault in applied:
            fault.remove()
    wait_for(lambda: _status(url) == 200, what="recovery")
    assert [r.kind for r in shop_faults.log.records] == ["status_code"] * len(links)


def test_kill_and_restart_a_sandbox_service(shop) -> None:
    """Faults(shop).kill() kills a service by name and remove() restarts it."""
    shop_faults = faults.connect(shop)
    try:
        fault = shop_faults.kill("api-3")
        assert not shop.is_running("api-3")
        fault.remove()
        assert shop.is_running("api-3") and fault.record.reverted_by == "restart"
    finally:
        if not shop.is_running("api-3"):
            shop.restart("api-3")
    shop.wait_healthy(timeout=30)
