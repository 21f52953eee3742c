"""The real Toxiproxy clients from PyPI work unchanged against the pulsekit fault proxy."""

from __future__ import annotations

import pytest

from tests.faults.helpers import http_get

pytestmark = pytest.mark.integration


def test_toxiproxy_python_drives_the_proxy(api, fault_proxy, upstream) -> None:
    """toxiproxy-python 0.1.1 can create a proxy, add/list/remove toxics, disable and reset."""
    from toxiproxy import Toxiproxy

    server = Toxiproxy()
    server.update_api_consumer("127.0.0.1", fault_proxy.port)
    assert server.running() and b"2.12.0" in server.version()
    proxy = server.create(upstream=f"127.0.0.1:{upstream}", name="tp")
    port = int(proxy.listen.rsplit(":", 1)[1])
    assert http_get(port)[0] == 200
    proxy.add_toxic(type="status_code", attributes={"status_code": 503})
    assert list(proxy.toxics()) == ["status_code_downstream"]
    assert http_get(port)[0] == 503
    proxy.destroy_toxic("status_code_downstream")
    assert proxy.toxics() == {}
    proxy.disable()
    assert server.get_proxy("tp").enabled is False
    proxy.enable()
    assert server.reset() is True
    server.destroy_all()
    assert server.proxies() == {}


def test_chaostoolkit_toxiproxy_drives_the_proxy(api, fault_proxy, upstream) -> None:
    """chaostoolkit-toxiproxy 0.3.1 actions and probes work against the proxy."""
    from chaostoxi.proxy.actions import create_proxy, delete_proxy, disable_proxy, enable_proxy
    from chaostoxi.proxy.probes import get_proxy_attribute, proxy_exist
    from chaostoxi.toxic.actions import create_latency_toxic, create_limiter_toxic, delete_toxic

    config = {"toxiproxy_url": fault_proxy.url}
    assert create_proxy("ctk", "127.0.0.1", upstream, configuration=config) is True
    assert proxy_exist("ctk", configuration=config) is True
    listen = get_proxy_attribute("ctk", "listen", configuration=config)
    assert listen.startswith("127.0.0.1:")  # the wildcard binds loopback only
    assert create_latency_toxic("ctk", "lat", latency=20, jitter=5, configuration=config) is True
    assert create_limiter_toxic("ctk", "lim", bytes_limit=10, configuration=config) is True
    assert {t["name"] for t in api("GET", "/proxies/ctk/toxics")[1]} == {"lat", "lim"}
    assert delete_toxic("ctk", "lat", configuration=config) is True
    assert disable_proxy("ctk", configuration=config) is True
    assert api("GET", "/proxies/ctk")[1]["enabled"] is False
    assert enable_proxy("ctk", configuration=config) is True
    delete_proxy("ctk", configuration=config)
    assert api("GET", "/proxies/ctk")[0] == 404
