"""The spec keys of GameDays 04 and 05 (deploy and cache_ttl steps, the availability SLO, traffic
prices) and the per-window traffic arithmetic, without starting anything."""

from __future__ import annotations

from typing import Any

import pytest

from pulsekit.errors import SpecError
from pulsekit.gameday import load_spec
from pulsekit.gameday._traffic import window_traffic


def base(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": "t",
        "load": {"users": 2},
        "duration": "20s",
        "steps": [{"at": "5s", "action": "deploy", "target": "api-2", "version": "faulty"}],
    }
    out.update(changes)
    return out


def test_knob_steps_and_keys_parse() -> None:
    spec = load_spec(
        base(
            sandbox={"cache_ttl": "5m"},
            steps=[
                {"at": "5s", "action": "deploy", "target": "api-2", "version": "faulty"},
                {
                    "at": "6s",
                    "action": "cache_ttl",
                    "target": "api",
                    "seconds": 2,
                    "duration": "4s",
                },
            ],
            slo={"sli": "availability", "route": "/api/products/{id}"},
            price={"egress_per_gb": 0.02, "db_reads_per_million": 0.2, "source": "AWS, 2026-12-02"},
        )
    )
    assert spec.sandbox.cache_ttl == 300.0
    assert [(s.action, dict(s.params)) for s in spec.steps] == [
        ("deploy", {"version": "faulty"}),
        ("cache_ttl", {"seconds": 2}),
    ]
    assert spec.slo is not None and spec.slo.sli == "availability"
    assert spec.price is not None and spec.price.meters_traffic
    assert spec.price.cost(0, 0, db_queries=2e6, link_bytes=5e9) == pytest.approx(0.4 + 0.1)


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        (
            {"steps": [{"at": "1s", "action": "deploy", "target": "gateway", "version": "good"}]},
            ["steps[0].target", "is not an api replica", "api-1"],
        ),
        (
            {"steps": [{"at": "1s", "action": "deploy", "target": "api-1", "version": "canary"}]},
            ["steps[0].version", "good, faulty, slow"],
        ),
        (
            {"steps": [{"at": "1s", "action": "deploy", "target": "api-1"}]},
            ["steps[0].version", "is missing"],
        ),
        (
            {"steps": [{"at": "1s", "action": "cache_ttl", "target": "db-primary", "seconds": 1}]},
            ["steps[0].target", "api, api-1"],
        ),
        (
            {"steps": [{"at": "1s", "action": "cache_ttl", "target": "api", "seconds": "soon"}]},
            ["steps[0].seconds", "must be a number"],
        ),
        ({"sandbox": {"cache_ttl": "2d"}}, ["sandbox.cache_ttl", "at most 1 day"]),
        ({"slo": {"sli": "freshness"}}, ["slo.sli", "latency or availability"]),
        ({"slo": {"sli": "availability", "latency": "200ms"}}, ["slo.latency", "remove it"]),
        ({"price": {"source": "x"}}, ["price", "egress_per_gb", "db_reads_per_million"]),
    ],
)
def test_bad_knob_input_is_one_error_naming_the_key(
    changes: dict[str, Any], names: list[str]
) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(base(**changes))
    for name in names:
        assert name in str(info.value), str(info.value)


def test_window_traffic_sums_increases_per_node_and_link_across_a_restart() -> None:
    """Counter increases inside the window only; a replica restarted mid-window (its counter back
    to 0) adds what it counted after the restart; writes and failed reads are not reads."""
    from pulsekit.observe.scrape import samples_frame

    q = 'node="db-replica-1",query="product",status="ok"'
    rows = [
        (99.0, "api-1", "shop_db_queries_total", q, 10.0),  # before the window: the base
        (101.0, "api-1", "shop_db_queries_total", q, 15.0),
        (102.0, "api-1", "shop_db_queries_total", q, 2.0),  # restarted: +2
        (103.0, "api-1", "shop_db_queries_total", q, 6.0),
        (120.0, "api-1", "shop_db_queries_total", q, 100.0),  # after the window
        (99.0, "db-replica-2", "shop_db_queries_total", 'query="search",status="ok"', 0.0),
        (103.0, "db-replica-2", "shop_db_queries_total", 'query="search",status="ok"', 4.0),
        (103.0, "db-primary", "shop_db_queries_total", 'query="cart_add",status="ok"', 9.0),
        (
            99.0,
            "links",
            "toxiproxy_proxy_sent_bytes_total",
            'direction="upstream",proxy="a->b"',
            0.0,
        ),
        (
            103.0,
            "links",
            "toxiproxy_proxy_sent_bytes_total",
            'direction="upstream",proxy="a->b"',
            500.0,
        ),
        (99.0, "api-1", "shop_api_cache_hits_total", 'query="product"', 0.0),
        (103.0, "api-1", "shop_api_cache_hits_total", 'query="product"', 3.0),
        (103.0, "api-1", "shop_api_cache_misses_total", 'query="product"', 1.0),
    ]
    traffic = window_traffic(samples_frame(rows), 100.0, 110.0)
    assert traffic["db_reads_by_node"] == {"db-replica-1": 5 + 2 + 4, "db-replica-2": 4}
    assert traffic["db_reads"] == 15
    assert traffic["link_bytes"] == 500 and traffic["link_bytes_by_link"] == {"a->b": 500}
    assert traffic["cache_hits"] == 3 and traffic["cache_misses"] == 1
    assert traffic["cache_hit_ratio"] == 0.75
