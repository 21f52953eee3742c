"""The sandbox: real processes that start, serve, fail over, and always stop."""

from __future__ import annotations

from dataclasses import replace

import psutil
import pytest

from pulsekit.errors import ConfigError, SandboxError, ServiceStartError
from pulsekit.sandbox import Sandbox
from pulsekit.sandbox._config import ServiceConfig
from tests.sandbox.helpers import eventually, get, metric, post

pytestmark = pytest.mark.integration


def _pids(shop: Sandbox) -> list[int]:
    return [s.pid for s in shop.services.values()]


def _gone(pids: list[int]) -> bool:
    return not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in pids)


def test_every_service_is_healthy_and_serves_metrics(shop: Sandbox) -> None:
    """Each process answers /healthz and exports the contract's metric families."""
    roles = {s.role for s in shop.services.values()}
    assert roles == {"links", "gateway", "api", "db-primary", "db-replica", "payments"}
    assert len([s for s in shop.services.values() if s.role == "api"]) == 3
    for name, target in shop.metrics_targets.items():
        status, body = get(target)
        assert status == 200, name
        if name != "links":
            assert b"shop_http_requests_in_flight" in body, name
    _, db = get(shop.metrics_targets["db-replica-1"])
    assert b"shop_db_replication_lag_seconds" in db
    # the pool is where it lives: in each db node (embedded) or in each api replica (postgres)
    _, pools = get(shop.metrics_targets["db-replica-1" if shop.db == "embedded" else "api-1"])
    for family in (b"shop_db_pool_size", b"shop_db_pool_in_use", b"shop_db_pool_waiting"):
        assert family in pools


def test_links_name_every_hop(shop: Sandbox) -> None:
    """Every hop between tiers is a named link whose upstream is the service's own port."""
    links = shop.links
    replication = {"db-primary->db-replica-1", "db-primary->db-replica-2"}
    assert set(links) == {
        "gateway->api-1",
        "gateway->api-2",
        "gateway->api-3",
        "api->db-primary",
        "api->db-replica-1",
        "api->db-replica-2",
        "api->payments",
    } | (replication if shop.db == "postgres" else set())
    assert links["api->db-replica-1"].upstream_port == shop.services["db-replica-1"].port
    assert links["api->db-replica-1"].listen_port != shop.services["db-replica-1"].port
    if shop.db == "postgres":  # the WAL stream: replica M dials the primary through its link
        assert links["db-primary->db-replica-2"].upstream_port == shop.services["db-primary"].port


def test_pages_and_api_routes_answer(shop: Sandbox) -> None:
    """The home, product and dashboard pages and every api route answer through the gateway."""
    for path, marker in [
        ("/", b"Featured"),
        ("/products/42", b"/static/hero/42.svg"),
        ("/vendor/7/dashboard", b"dashboard.js"),
        ("/static/hero/42.svg", b"<svg"),
        ("/api/search?q=Lamp", b'"results"'),
        ("/api/products/42", b'"price_cents"'),
        ("/api/vendors/7/dashboard", b'"totals"'),
    ]:
        status, body = get(shop.url + path)
        assert status == 200, path
        assert marker in body, path
    assert get(shop.url + "/api/products/999999")[0] == 404
    assert get(shop.url + "/api/products/abc")[0] == 400


def test_checkout_writes_to_primary_and_replicates(shop: Sandbox) -> None:
    """A checkout is charged, written to the primary and shows up on the replicas' dashboard."""
    _, product = get(shop.url + "/api/products/1234")
    vendor = __import__("json").loads(product)["vendor_id"]
    before = __import__("json").loads(get(shop.url + f"/api/vendors/{vendor}/dashboard")[1])
    for attempt in range(10):  # payments declines 2% of charges, as a real provider does
        session = f"test-replication-{attempt}"
        assert (
            post(shop.url + "/api/cart", {"session": session, "product_id": 1234, "qty": 3})[0]
            == 201
        )
        status, answer = post(shop.url + "/api/checkout", {"session": session})
        if status == 200:
            break
    assert status == 200 and answer["status"] == "paid"

    def orders_now() -> bool:
        data = __import__("json").loads(get(shop.url + f"/api/vendors/{vendor}/dashboard")[1])
        return data["totals"]["orders"] == before["totals"]["orders"] + 1

    # several reads, so every replica (round robin) is seen to have caught up
    for _ in range(4):
        eventually(orders_now, timeout=10)


def test_bad_counts_are_refused() -> None:
    """Zero, negative and non-integer counts raise ConfigError naming the field."""
    with pytest.raises(ConfigError, match="replicas=0"):
        Sandbox(replicas=0)
    with pytest.raises(ConfigError, match="db_replicas=-1"):
        Sandbox(db_replicas=-1)
    with pytest.raises(ConfigError, match="replicas="):
        Sandbox(replicas="3")  # type: ignore[arg-type]


def test_unknown_service_names_are_refused(shop: Sandbox) -> None:
    """kill/freeze of an unknown service lists the real ones."""
    with pytest.raises(ConfigError, match="unknown service 'api-9'.*api-1"):
        shop.kill("api-9")
    with pytest.raises(ConfigError, match="unknown service"):
        shop.freeze("database")


def test_acting_on_a_stopped_sandbox_says_how_to_start_it() -> None:
    """A sandbox that is not running explains how to start one."""
    with pytest.raises(SandboxError, match="not running"):
        Sandbox().kill("api-1")


def test_gateway_ejects_a_killed_replica_and_readmits_it() -> None:
    """After a real SIGKILL the gateway takes the replica out, keeps serving, and readmits it on restart."""
    with Sandbox(replicas=2, db_replicas=1) as shop:
        gateway = shop.metrics_targets["gateway"]
        shop.kill("api-2")
        assert not shop.is_running("api-2")
        statuses = [get(shop.url + "/api/products/5")[0] for _ in range(20)]
        assert statuses == [200] * 20  # idempotent requests are retried on the other replica
        eventually(lambda: metric(gateway, "shop_gateway_upstream_up", upstream="api-2") == 0.0)
        assert (metric(gateway, "shop_gateway_ejections_total", upstream="api-2") or 0) >= 1
        shop.restart("api-2")
        eventually(lambda: metric(gateway, "shop_gateway_upstream_up", upstream="api-2") == 1.0)


def test_reads_fail_over_when_a_database_replica_dies(db: str) -> None:
    """Killing a read replica (a real SIGKILL) moves reads to the other replica, then to the primary."""
    with Sandbox(replicas=1, db_replicas=2, db=db) as shop:
        shop.kill("db-replica-1")
        assert [get(shop.url + "/api/vendors/3/dashboard")[0] for _ in range(10)] == [200] * 10
        # the node's counters: on the node (embedded), in the api's pool for it (postgres)
        where = shop.metrics_targets["db-primary" if db == "embedded" else "api-1"]
        labels = {} if db == "embedded" else {"node": "db-primary"}
        before = metric(where, "shop_db_queries_total", query="search", status="ok", **labels)
        shop.kill("db-replica-2")
        assert [get(shop.url + "/api/search?q=Mug")[0] for _ in range(5)] == [200] * 5
        after = metric(where, "shop_db_queries_total", query="search", status="ok", **labels)
        assert (after or 0.0) - (before or 0.0) == 5  # no replica left: the primary serves reads


def test_freeze_ejects_and_thaw_readmits() -> None:
    """A frozen (SIGSTOP) replica is ejected by health checks and readmitted once thawed."""
    with Sandbox(replicas=2, db_replicas=1) as shop:
        gateway = shop.metrics_targets["gateway"]
        shop.freeze("api-1")
        assert psutil.Process(shop.services["api-1"].pid).status() == psutil.STATUS_STOPPED
        eventually(lambda: metric(gateway, "shop_gateway_upstream_up", upstream="api-1") == 0.0)
        # the remaining replica serves (a request already on its way to api-1 may still time out)
        eventually(lambda: get(shop.url + "/api/products/9")[0] == 200)
        shop.thaw("api-1")
        eventually(lambda: metric(gateway, "shop_gateway_upstream_up", upstream="api-1") == 1.0)


def test_nothing_is_left_after_the_block_or_an_exception(db: str) -> None:
    """Every process (every postgres backend too) is gone after the with-block, also after a raise."""
    with Sandbox(replicas=1, db_replicas=1, db=db) as shop:
        pids = _pids(shop)
        for service in shop.services.values():  # a postmaster's backends and helpers
            pids += [c.pid for c in psutil.Process(service.pid).children(recursive=True)]
        assert len(pids) > len(shop.services) or db == "embedded"
        assert all(psutil.pid_exists(p) for p in pids)
    eventually(lambda: _gone(pids), timeout=10)
    with pytest.raises(RuntimeError), Sandbox(replicas=1, db_replicas=0, db=db) as shop:
        pids = _pids(shop)
        raise RuntimeError("boom")
    eventually(lambda: _gone(pids), timeout=10)


def test_two_sandboxes_run_side_by_side() -> None:
    """Ephemeral ports let two sandboxes run at once without clashing."""
    with Sandbox(replicas=1, db_replicas=0) as one, Sandbox(replicas=1, db_replicas=0) as two:
        assert one.url != two.url
        assert get(one.url + "/api/products/1")[0] == get(two.url + "/api/products/1")[0] == 200


def test_a_service_that_fails_to_start_is_named_and_everything_is_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A crashing service raises ServiceStartError with its log tail; nothing started is left."""
    original = Sandbox._service_config

    def broken(self: Sandbox, proc: object) -> ServiceConfig:
        config = original(self, proc)  # type: ignore[arg-type]
        if config.name == "payments":  # the service's own check of its config stops it
            return replace(config, role="no-such-role")  # type: ignore[arg-type]
        return config

    monkeypatch.setattr(Sandbox, "_service_config", broken)
    shop = Sandbox(replicas=1, db_replicas=0)
    with pytest.raises(ServiceStartError, match=r"payments exited[\s\S]*unknown role"):
        shop.start()
    eventually(lambda: _gone(_pids(shop)), timeout=10)
