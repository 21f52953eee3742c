"""The api's two GameDay knobs: the catalog cache's TTL (live) and the build a replica runs."""

from __future__ import annotations

import json

import pytest

from pulsekit.errors import ConfigError
from pulsekit.sandbox import Sandbox
from tests.sandbox.conftest import require_postgres
from tests.sandbox.helpers import eventually, get, metric, post

pytestmark = pytest.mark.integration


def _total(shop: Sandbox, name: str, **labels: str) -> float:
    """A counter summed over every metrics target (the embedded tier counts queries in the
    database nodes, the PostgreSQL tier in the api replicas' pools)."""
    total = 0.0
    for url in shop.metrics_targets.values():
        _, body = get(url)
        for line in body.decode().splitlines():
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] == name and all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
    return total


def _product_reads(shop: Sandbox) -> float:
    return _total(shop, "shop_db_queries_total", query="product", status="ok")


def test_cache_ttl_is_off_by_default_and_checked() -> None:
    """Sandbox() reads the database every time; a bad TTL is refused with the field's name."""
    assert Sandbox().cache_ttl == 0.0
    for bad in ("5m", -1, True, 10**6):
        with pytest.raises(ConfigError, match="cache_ttl"):
            Sandbox(cache_ttl=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("db", ["embedded", "postgres"])
def test_cache_serves_repeats_and_a_live_ttl_change_takes_effect(db: str) -> None:
    """With a TTL a repeated product read is a hit (no database query, no bytes on the db link);
    set to 0 live, the same read goes to the database again; counters show it per replica."""
    if db == "postgres":
        require_postgres()
    with Sandbox(replicas=1, db_replicas=1, db=db, cache_ttl=300) as shop:
        api = shop.services["api-1"]
        metrics = shop.metrics_targets["api-1"]
        links = shop.metrics_targets["links"]
        bytes_before = _total(shop, "toxiproxy_proxy_sent_bytes_total")
        reads0 = _product_reads(shop)
        first = get(f"{api.url}/api/products/17")
        assert first[0] == 200
        reads1 = _product_reads(shop)
        bytes1 = _total(shop, "toxiproxy_proxy_sent_bytes_total")
        assert reads1 - reads0 == 1 and bytes1 > bytes_before
        db_link_bytes = metric(links, "toxiproxy_proxy_sent_bytes_total", proxy="api->db-replica-1")
        assert get(f"{api.url}/api/products/17") == first  # the same answer, from the cache
        assert _product_reads(shop) == reads1
        assert metric(metrics, "shop_api_cache_hits_total", query="product") == 1
        assert metric(metrics, "shop_api_cache_misses_total", query="product") == 1
        assert (
            metric(links, "toxiproxy_proxy_sent_bytes_total", proxy="api->db-replica-1")
            == db_link_bytes
        )
        assert shop.set_cache_ttl(0) == {"api-1": 300.0}
        assert metric(metrics, "shop_api_cache_ttl_seconds") == 0
        assert get(f"{api.url}/api/products/17")[0] == 200
        assert _product_reads(shop) == reads1 + 1
        assert json.loads(get(f"{api.url}/_pulsekit/cache")[1])["ttl_s"] == 0
        status, answer = post(f"{api.url}/_pulsekit/cache", {"ttl_s": "soon"})
        assert status == 400 and b"ttl_s" in answer


def test_faulty_build_passes_healthz_fails_product_reads_and_rolls_back() -> None:
    """deploy(api-2, "faulty"): /healthz 200 (so the gateway keeps it in rotation), 500 on
    product reads, other routes fine; deploy(api-2, "good") restores it."""
    with Sandbox(replicas=2, db_replicas=0, db="embedded") as shop:
        with pytest.raises(ConfigError, match="only api replicas"):
            shop.deploy("gateway", "faulty")
        with pytest.raises(ConfigError, match="version"):
            shop.deploy("api-2", "broken")
        shop.deploy("api-2", "faulty")
        api2 = shop.services["api-2"]
        assert shop.version("api-2") == "faulty"
        health = json.loads(get(f"{api2.url}/healthz")[1])
        assert health["status"] == "ok" and health["version"] == "faulty"
        assert get(f"{api2.url}/api/products/3")[0] == 500
        assert get(f"{api2.url}/api/search?q=lamp")[0] == 200
        gateway = shop.metrics_targets["gateway"]
        eventually(lambda: metric(gateway, "shop_gateway_upstream_up", upstream="api-2") == 1)
        assert metric(shop.metrics_targets["api-2"], "shop_api_build_info", version="faulty") == 1
        shop.deploy("api-2", "good")
        assert shop.version("api-2") == "good"
        assert get(f"{shop.services['api-2'].url}/api/products/3")[0] == 200


def test_cli_refuses_a_bad_cache_ttl_before_starting_anything() -> None:
    """`pulsekit sandbox up --cache-ttl -1` is one line naming the field, exit 1, no sandbox."""
    from click.testing import CliRunner

    from pulsekit.cli import cli

    result = CliRunner().invoke(cli, ["sandbox", "up", "--cache-ttl", "-1", "--db", "embedded"])
    assert result.exit_code == 1
    assert "cache_ttl=-1.0 must be between 0 (no cache) and 86400 seconds" in result.output
